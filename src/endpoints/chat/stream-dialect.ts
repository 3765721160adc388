import { isRecord } from '../../is-record.js';
import type { SseDialect, SseFrame, StreamUsage } from '../../relay/sse-relay.js';

const DONE = Buffer.from('data: [DONE]\n\n');

/**
 * Chat completion streams: an event without a `choices` array gets `"choices":[]` (Kilo Code reads
 * `choices[0]?.delta` on every chunk), the usage is picked out (`usage`, or Groq's `x_groq.usage`), a
 * failure is one `data: {"error":…}` frame, and a stream ends at `data: [DONE]`.
 */
export const chatStream: SseDialect = {
  fixEvent: fixChatEvent,
  fixError: fixChatError,
  errorFrame,
  endMarker: DONE,
  expectedEnd: '[DONE]',
};

function errorFrame(message: string, code: string): Buffer {
  return Buffer.from(`data: ${JSON.stringify({ error: { message, type: 'api_error', code } })}\n\n`);
}

/**
 * An upstream error event as chat clients read one: the OpenAI and Groq SDKs throw for a chat chunk
 * only when its data has an `error` key, so an `event: error` frame with `{message, code}` (the
 * Responses form) would reach the caller as an ordinary chunk. Written again as `data: {"error": …}`.
 */
export function fixChatError(data: unknown): Buffer | undefined {
  if (isRecord(data) && data.error) return undefined;
  const message = isRecord(data) && typeof data.message === 'string' ? data.message : 'upstream sent an error';
  const code = isRecord(data) && typeof data.code === 'string' ? data.code : 'upstream_stream_error';
  return errorFrame(message, code);
}

/**
 * Reports the event's usage; a plain chunk (one `data:` line) without `choices` (Groq's usage-only
 * chunk, say) is written again with an empty one. Named events and events with other lines go out as
 * they came: writing them again from their data would drop those lines.
 */
export function fixChatEvent(data: unknown, frame: SseFrame, onUsage: (usage: StreamUsage) => void): Buffer | undefined {
  if (!isRecord(data)) return undefined;
  const usage = extractUsage(data);
  if (usage !== undefined) onUsage(usage);
  if ('choices' in data || !frame.plain) return undefined;
  return Buffer.from(`data: ${JSON.stringify({ ...data, choices: [] })}\n\n`);
}

function extractUsage(chunk: Record<string, unknown>): StreamUsage | undefined {
  const direct = chunk.usage;
  if (isRecord(direct)) return direct as StreamUsage;
  const groq = chunk.x_groq;
  if (isRecord(groq) && isRecord(groq.usage)) return groq.usage as StreamUsage;
  return undefined;
}
