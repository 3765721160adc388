import { isRecord } from '../../is-record.js';
import type { AnswerCheck } from '../../routing/operation.js';

/**
 * What a whole 2xx answer of each endpoint must look like before it is relayed as a success. An HTML
 * page from a proxy, a cut or empty body, or JSON of another shape is the upstream failing, not an
 * answer: the request falls back and the deployment's breaker counts it.
 */

/** A JSON object whose `field` is an array (chat's `choices`, the Responses API's `output`); the object when it is. */
export function jsonObjectWithArray(field: string): (body: Uint8Array, contentType: string | null) => AnswerCheck {
  return (body, contentType) => {
    const parsed = parseJsonObject(body, contentType);
    if (typeof parsed === 'string') return parsed;
    return Array.isArray(parsed[field]) ? parsed : `upstream answered 2xx with JSON that has no "${field}" array`;
  };
}

/** The top-level `usage` object of a JSON answer the shape check parsed. */
export function usageIn(json: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const usage = json?.usage;
  return isRecord(usage) ? usage : undefined;
}

/**
 * Transcriptions come as JSON (`json`, `verbose_json`: an object with `text`) or as the transcript
 * itself (`text`, `srt`, `vtt`); a JSON content type must hold the JSON shape, and nothing is HTML.
 */
export function transcriptionAnswer(body: Uint8Array, contentType: string | null): AnswerCheck {
  const type = mediaType(contentType);
  if (type === 'text/html') return 'upstream answered 2xx with an HTML page';
  if (type !== 'application/json') return undefined;
  const parsed = parseJsonObject(body, contentType);
  if (typeof parsed === 'string') return parsed;
  return typeof parsed.text === 'string' ? parsed : 'upstream answered 2xx with JSON that has no "text"';
}

function parseJsonObject(body: Uint8Array, contentType: string | null): Record<string, unknown> | string {
  const type = mediaType(contentType);
  if (type !== undefined && type !== 'application/json') return `upstream answered 2xx with ${type}, not JSON`;
  if (body.byteLength === 0) return 'upstream answered 2xx with an empty body';
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return `upstream answered 2xx with a body that is not JSON (${body.byteLength} bytes)`;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : 'upstream answered 2xx with JSON that is not an object';
}

function mediaType(contentType: string | null): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === '' ? undefined : type;
}
