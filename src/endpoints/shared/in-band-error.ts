import { classifyStatus, failure, type UpstreamFailure } from '../../upstream/failure.js';

const DATA_ERROR = 'data: {"error"';
const EVENT_ERROR = 'event: error';

/**
 * An upstream that opens a stream with an error event has failed before anything reached the caller,
 * so the request can still go elsewhere. Chat streams send `data: {"error":…}`; Responses streams an
 * `event: error` frame.
 */
export function inBandStreamError(first: Uint8Array): UpstreamFailure | undefined {
  const text = Buffer.from(first.buffer, first.byteOffset, first.byteLength).toString('utf8');
  if (!text.startsWith(DATA_ERROR) && !text.startsWith(EVENT_ERROR)) return undefined;
  const dataLine = text.split('\n').find((line) => line.startsWith('data:'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(dataLine?.slice('data:'.length) ?? '');
  } catch {
    parsed = undefined;
  }
  const classified = classifyStatus(500, parsed, undefined);
  return failure('stream_error', classified.message, { code: classified.code, type: classified.type });
}
