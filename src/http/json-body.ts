import type { IncomingMessage } from 'node:http';
import { GatewayError, badRequest } from '../errors.js';

/**
 * Reads a request body as a JSON object, refusing it with 413 as soon as it passes `maxBytes` (by its
 * declared length when there is one, else while reading) and with 400 when it is not a JSON object.
 * Reads the Node request directly when there is one: a WHATWG Request around it costs a web stream.
 */
export async function readJsonObject(source: IncomingMessage | Request, maxBytes: number): Promise<Record<string, unknown>> {
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
  return parsed as Record<string, unknown>;
}

function headerOf(source: IncomingMessage | Request, name: string): string | undefined {
  if (source instanceof Request) return source.headers.get(name) ?? undefined;
  const value = source.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readText(source: IncomingMessage | Request, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const body = (source instanceof Request ? source.body : source) as AsyncIterable<Uint8Array> | null;
  if (body === null) return '';
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      // Stop reading; the connection is closed with the answer rather than drained.
      if (!(source instanceof Request)) source.pause();
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? Buffer.from(chunks[0] as Uint8Array).toString('utf8') : Buffer.concat(chunks, total).toString('utf8');
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError(413, `Request body is larger than the limit of ${maxBytes} bytes (general_settings.max_request_size_mb)`, {
    code: 'request_too_large',
  });
}
