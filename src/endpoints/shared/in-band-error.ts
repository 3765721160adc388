import { isRecord } from '../../is-record.js';
import { classifyStatus, failure, type UpstreamFailure } from '../../upstream/failure.js';

const DATA_ERROR = 'data: {"error"';
const EVENT_ERROR = 'event: error';
/** The fields a server-sent event may open with (the WHATWG event-stream format), and a comment. */
const SSE_FIELDS = ['data', 'event', 'id', 'retry'] as const;

/**
 * An upstream that opens a stream with an error event has failed before anything reached the caller,
 * so the request can still go elsewhere. Chat streams send `data: {"error":…}`; Responses streams an
 * `event: error` frame. So has one whose first bytes are not server-sent events at all (an HTML page
 * from a proxy, JSON): it is not relayed, and is not quoted (it may hold anything).
 */
export function inBandStreamError(first: Uint8Array): UpstreamFailure | undefined {
  // Only part of a byte-order mark so far: nothing to judge yet.
  if (first.byteLength < 3 && first[0] === 0xef && (first.byteLength === 1 || first[1] === 0xbb)) return undefined;
  const text = Buffer.from(first.buffer, first.byteOffset, first.byteLength).toString('utf8');
  if (!opensAsSse(text)) return failure('server_error', 'upstream answered a streamed request with bytes that are not server-sent events', { code: 'upstream_bad_response' });
  if (!text.startsWith(DATA_ERROR) && !text.startsWith(EVENT_ERROR)) return undefined;
  const dataLine = text.split('\n').find((line) => line.startsWith('data:'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(dataLine?.slice('data:'.length) ?? '');
  } catch {
    parsed = undefined;
  }
  // `"error": null` opens an ordinary chunk, as the relay reads it too.
  if (text.startsWith(DATA_ERROR) && isRecord(parsed) && parsed.error == null) return undefined;
  const classified = classifyStatus(500, parsed, undefined);
  return failure('stream_error', classified.message, { code: classified.code, type: classified.type });
}

/** Whether a stream's first bytes open an event or a comment: its first line (after a byte-order mark and blank lines), or the part of it received so far. */
function opensAsSse(text: string): boolean {
  const start = text.replace(/^\ufeff?[\r\n]*/, '');
  const end = start.search(/[\r\n]/);
  const line = end === -1 ? start : start.slice(0, end);
  if (line === '' || line.startsWith(':')) return true;
  return SSE_FIELDS.some((field) => line === field || line.startsWith(`${field}:`) || (end === -1 && `${field}:`.startsWith(line)));
}
