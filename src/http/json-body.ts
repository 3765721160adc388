import type { IncomingMessage } from 'node:http';
import { GatewayError, badRequest } from '../errors.js';

/**
 * Reads a request body as a JSON object, refusing it with 413 as soon as it passes `maxBytes` (by its
 * declared length when there is one, else while reading) and with 400 when it is not a JSON object.
 * Reads the Node request directly: a WHATWG Request around it would cost a web stream.
 */
export async function readJsonObject(source: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const declared = Number(headerOf(source, 'content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const text = await readText(source, maxBytes);
  if (text.trim() === '') throw badRequest('Request body is empty; expected a JSON object', 'invalid_json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw badRequest(`Malformed JSON in request body: ${(err as Error).message}`, 'invalid_json');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('Request body must be a JSON object', 'invalid_json');
  }
  checkFieldCount(parsed);
  checkJsonDepth(parsed);
  return parsed as Record<string, unknown>;
}

/**
 * How many top-level fields a request body may have. OpenAI's and Groq's request bodies have a few
 * dozen parameters; each later step (hygiene, the estimate, the SDK's serialisation) copies the top
 * level, so a body of hundreds of thousands of fields would hold the event loop for seconds.
 */
export const MAX_TOP_LEVEL_FIELDS = 256;

/** Refuses, with a 400, an object with more than `MAX_TOP_LEVEL_FIELDS` fields; counts no further than that. */
export function checkFieldCount(value: object, max: number = MAX_TOP_LEVEL_FIELDS): void {
  let fields = 0;
  for (const key in value) {
    if (Object.hasOwn(value, key) && ++fields > max) {
      throw badRequest(`Request body has more than ${max} top-level fields; a request has a few dozen at most`, 'too_many_fields');
    }
  }
}

/**
 * How deeply a request body may nest objects and arrays. Real requests (messages, content parts, tool
 * schemas) stay far below it; a body nested thousands deep fits in a few KB and would make every later
 * `JSON.stringify` (estimates, the SDK's serialisation) throw.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Refuses a parsed JSON value nested deeper than `MAX_JSON_DEPTH` with a 400. Iterative (an explicit
 * stack), so the check itself cannot overflow; it visits each object and array once.
 */
export function checkJsonDepth(value: unknown, maxDepth: number = MAX_JSON_DEPTH): void {
  const stack: Array<{ value: object; depth: number }> = [];
  if (typeof value === 'object' && value !== null) stack.push({ value, depth: 1 });
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (top.depth > maxDepth) {
      throw badRequest(`Request body nests objects and arrays more than ${maxDepth} levels deep`, 'json_too_deep');
    }
    const children = Array.isArray(top.value) ? top.value : Object.values(top.value);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: top.depth + 1 });
    }
  }
}

function headerOf(source: IncomingMessage, name: string): string | undefined {
  const value = source.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The Node request's body through its events: the handler runs while Node is still parsing the packet
 * that brought the headers, so the body is not there yet, and an async iterator over the request (an
 * async generator and end-of-stream listeners per request) costs more than the few events it waits for.
 */
function readText(source: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const settle = (err: unknown, text: string): void => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
      if (err === undefined) resolve(text);
      else reject(err);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.byteLength;
      if (total > maxBytes) {
        // Stop reading; the connection is closed with the answer rather than drained.
        source.pause();
        settle(tooLarge(maxBytes), '');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle(undefined, chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, total).toString('utf8'));
    const onError = (err: Error): void => settle(err, '');
    // Gone before its end (the caller left): as an async iterator over it would have said.
    const onClose = (): void => settle(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }), '');
    if (source.readableEnded) {
      resolve('');
      return;
    }
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    source.on('close', onClose);
  });
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError(413, `Request body is larger than the limit of ${maxBytes} bytes (general_settings.max_request_size_mb)`, {
    code: 'request_too_large',
  });
}
