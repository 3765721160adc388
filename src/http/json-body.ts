import { GatewayError, badRequest } from '../errors.js';

/**
 * Reads a request body as a JSON object, refusing it with 413 as soon as it passes `maxBytes` (by its
 * declared length when there is one, else while reading) and with 400 when it is not a JSON object.
 */
export async function readJsonObject(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const text = await readText(request, maxBytes);
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

async function readText(request: Request, maxBytes: number): Promise<string> {
  if (request.body === null) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      void reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError(413, `Request body is larger than the limit of ${maxBytes} bytes (general_settings.max_request_size_mb)`, {
    code: 'request_too_large',
  });
}
