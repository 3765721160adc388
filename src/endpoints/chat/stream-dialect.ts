import { isRecord } from '../../is-record.js';
import { splitEvents, type SseDialect, type StreamUsage } from '../../relay/sse-relay.js';

const CHOICES = Buffer.from('"choices"');
const USAGE = Buffer.from('"usage"');
const USAGE_NULL = Buffer.from('"usage":null');
const DATA_JSON = Buffer.from('data: {');
const DONE = Buffer.from('data: [DONE]\n\n');

/**
 * Chat completion streams: an event without a `choices` array gets `"choices":[]` (Kilo Code reads
 * `choices[0]?.delta` on every chunk), the usage is picked out (`usage`, or Groq's `x_groq.usage`), a
 * failure is one `data: {"error":…}` frame, and a stream ends at `data: [DONE]`.
 */
export const chatStream: SseDialect = {
  fix: fixEvents,
  errorFrame,
  endMarker: DONE,
  expectedEnd: '[DONE]',
};

function errorFrame(message: string, code: string): Buffer {
  return Buffer.from(`data: ${JSON.stringify({ error: { message, type: 'api_error', code } })}\n\n`);
}

/**
 * Returns the events unchanged unless one lacks `choices`; reports usage. Only events that mention
 * usage or lack choices are parsed, so ordinary content chunks cost a byte scan.
 */
export function fixEvents(events: Buffer, onUsage: ((usage: StreamUsage) => void) | undefined): Buffer {
  const needsChoices = events.indexOf(DATA_JSON) !== -1 && countOf(events, DATA_JSON) !== countOf(events, CHOICES);
  const mentionsUsage = onUsage !== undefined && events.indexOf(USAGE) !== -1;
  if (!needsChoices && !mentionsUsage) return events;

  let changed = false;
  const parts = splitEvents(events).map((event) => {
    if (!event.subarray(0, DATA_JSON.length).equals(DATA_JSON)) return event;
    const hasChoices = event.indexOf(CHOICES) !== -1;
    const hasUsage = onUsage !== undefined && event.indexOf(USAGE) !== -1 && event.indexOf(USAGE_NULL) === -1;
    if (hasChoices && !hasUsage) return event;
    const parsed = parseDataEvent(event);
    if (parsed === undefined) return event;
    const usage = extractUsage(parsed);
    if (usage !== undefined) onUsage?.(usage);
    if (hasChoices || 'error' in parsed) return event;
    changed = true;
    return Buffer.from(`data: ${JSON.stringify({ ...parsed, choices: [] })}\n\n`);
  });
  return changed ? Buffer.concat(parts) : events;
}

function extractUsage(chunk: Record<string, unknown>): StreamUsage | undefined {
  const direct = chunk.usage;
  if (isRecord(direct)) return direct as StreamUsage;
  const groq = chunk.x_groq;
  if (isRecord(groq) && isRecord(groq.usage)) return groq.usage as StreamUsage;
  return undefined;
}

function parseDataEvent(event: Buffer): Record<string, unknown> | undefined {
  const text = event.toString('utf8').trim();
  try {
    const parsed: unknown = JSON.parse(text.slice('data:'.length));
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function countOf(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}
