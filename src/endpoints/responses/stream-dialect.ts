import { isRecord } from '../../is-record.js';
import type { SseDialect, SseFrame, StreamUsage } from '../../relay/sse-relay.js';

/**
 * Responses API streams pass unchanged (every event names its type; there are no `choices` to fix);
 * the usage arrives once, inside the terminal event's response (`response.completed`, `incomplete` or
 * `failed`), in the Responses names. A failure is an `event: error` frame (clients read it only with
 * that event name), and the stream ends at its terminal event, with no `[DONE]` after it.
 */
export const responsesStream: SseDialect = {
  fixEvent: reportResponsesUsage,
  errorFrame: (message, code) => Buffer.from(`event: error\ndata: ${JSON.stringify({ type: 'error', code, message, param: null })}\n\n`),
  endMarker: undefined,
  expectedEnd: 'its terminal event (response.completed)',
};

/** The terminal events, whose response carries the usage: an incomplete or failed answer spent tokens too. */
const WITH_USAGE: ReadonlySet<unknown> = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** Reports the usage of a terminal event; every event goes out as it came. */
export function reportResponsesUsage(data: unknown, frame: SseFrame, onUsage: (usage: StreamUsage) => void): undefined {
  if (!isRecord(data) || !WITH_USAGE.has(frame.event ?? data.type)) return undefined;
  const usage = isRecord(data.response) ? responsesUsage(data.response.usage) : undefined;
  if (usage !== undefined) onUsage(usage);
  return undefined;
}

/** A Responses API `usage` object in chat's names, which the books and metrics read. */
export function responsesUsage(usage: unknown): StreamUsage | undefined {
  if (!isRecord(usage)) return undefined;
  const details = isRecord(usage.input_tokens_details) ? usage.input_tokens_details : undefined;
  return {
    prompt_tokens: typeof usage.input_tokens === 'number' ? usage.input_tokens : undefined,
    completion_tokens: typeof usage.output_tokens === 'number' ? usage.output_tokens : undefined,
    total_tokens: typeof usage.total_tokens === 'number' ? usage.total_tokens : undefined,
    prompt_tokens_details: typeof details?.cached_tokens === 'number' ? { cached_tokens: details.cached_tokens } : null,
  };
}
