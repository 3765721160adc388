import type { ServerResponse } from 'node:http';
import type { ChunkSource } from './chunk-source.js';

/**
 * Relays an upstream SSE stream to the caller byte for byte, touching only what clients need fixed:
 * an event without a `choices` array gets `"choices":[]` (Kilo Code reads `choices[0]?.delta` on every
 * chunk), and the usage is picked out for accounting. A failure after the first byte becomes one
 * `data: {"error":...}` frame and the end of the stream, never a silently cut socket; a half-received
 * event is dropped rather than sent as malformed JSON.
 */

export interface StreamUsage {
  readonly prompt_tokens?: number;
  readonly completion_tokens?: number;
  readonly total_tokens?: number;
  readonly [key: string]: unknown;
}

export type StreamEnd =
  | { readonly kind: 'complete' }
  | { readonly kind: 'upstream_error'; readonly message: string }
  | { readonly kind: 'client_cancelled' };

/**
 * What a relay does to complete events of one kind of stream before they go out: fix them where
 * clients need it, report usage. Returns the events to send.
 */
export type SseDialect = (events: Buffer, onUsage: ((usage: StreamUsage) => void) | undefined) => Buffer;

export interface RelayOptions {
  /** Chat completions (`fixEvents`) unless said otherwise. */
  readonly dialect?: SseDialect;
  readonly first: Uint8Array;
  readonly source: ChunkSource;
  /** Aborts the upstream call (the caller went away). */
  readonly cancelUpstream: () => void;
  readonly onUsage?: (usage: StreamUsage) => void;
  /** Called exactly once, however the stream ends. */
  readonly onEnd: (end: StreamEnd) => void;
}

const CHOICES = Buffer.from('"choices"');
const USAGE = Buffer.from('"usage"');
const USAGE_NULL = Buffer.from('"usage":null');
const DATA_JSON = Buffer.from('data: {');
/** An event never legitimately grows this large without a boundary; past it, bytes pass as they are. */
const MAX_PENDING_BYTES = 1 << 20;

const ERROR_DATA = Buffer.from('data: {"error"');
const ERROR_EVENT = Buffer.from('event: error');

/**
 * Cuts a byte stream into whole SSE events and fixes them; holds back a trailing partial event. Notes
 * an upstream error frame passing through: such a stream ends as a failure, not a success.
 */
export class SseRewriter {
  private pending: Buffer = Buffer.alloc(0);
  /** Set once an error event went through (`data: {"error":…}` or `event: error`). */
  sawErrorFrame = false;

  constructor(
    private readonly onUsage: ((usage: StreamUsage) => void) | undefined,
    private readonly dialect: SseDialect = fixEvents,
  ) {}

  /** The complete events in `chunk` (plus what was held back), fixed; `undefined` when none is complete. */
  push(chunk: Uint8Array): Buffer | undefined {
    const bytes = this.pending.length === 0 ? toBuffer(chunk) : Buffer.concat([this.pending, chunk]);
    const cut = lastEventEnd(bytes);
    if (cut === 0) {
      const overlong = bytes.length > MAX_PENDING_BYTES;
      this.pending = overlong ? Buffer.alloc(0) : bytes;
      return overlong ? bytes : undefined;
    }
    this.pending = bytes.subarray(cut);
    return this.noteErrors(this.dialect(bytes.subarray(0, cut), this.onUsage));
  }

  /** Error frames start an event; inside JSON content the quotes are escaped, so a byte scan suffices. */
  private noteErrors(events: Buffer): Buffer {
    if (!this.sawErrorFrame && (events.indexOf(ERROR_DATA) !== -1 || events.indexOf(ERROR_EVENT) !== -1)) this.sawErrorFrame = true;
    return events;
  }

  /** At a clean end: what was held back (an upstream may omit the final blank line). */
  flush(): Buffer | undefined {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest.length > 0 ? this.noteErrors(this.dialect(rest, this.onUsage)) : undefined;
  }

  /** At a failure: a half-received event would be malformed JSON to the client. */
  discard(): void {
    this.pending = Buffer.alloc(0);
  }
}

/**
 * Writes the relayed stream straight to the caller's socket, honouring its back-pressure: the upstream
 * is read only as fast as the caller takes bytes. `head` is written first (status and headers).
 */
export async function pipeSse(out: ServerResponse, head: Record<string, string>, options: RelayOptions): Promise<void> {
  const rewriter = new SseRewriter(options.onUsage, options.dialect);
  const finish = new RelayEnd(options.onEnd);
  const end = (how: StreamEnd): void => finish.end(how);
  const onClose = (): void => {
    if (out.writableFinished) return;
    end({ kind: 'client_cancelled' });
    options.cancelUpstream();
    options.source.cancel();
  };
  out.once('close', onClose);
  out.writeHead(200, head);
  try {
    await write(out, rewriter.push(options.first));
    for (;;) {
      const chunk = await options.source.read();
      if (finish.ended) return;
      if (chunk === undefined) break;
      await write(out, rewriter.push(chunk));
    }
    const rest = rewriter.flush();
    if (rest !== undefined) out.write(rest);
    out.end();
    end(cleanEnd(rewriter));
  } catch (err) {
    if (finish.ended) return;
    rewriter.discard();
    const message = failureMessage(err);
    out.end(errorFrame(message));
    end({ kind: 'upstream_error', message });
  }
}

/** The same relay as a web stream, for runtimes without a Node response to write to. */
export function relaySse(options: RelayOptions): ReadableStream<Uint8Array> {
  const rewriter = new SseRewriter(options.onUsage, options.dialect);
  const finish = new RelayEnd(options.onEnd);
  const end = (how: StreamEnd): void => finish.end(how);
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const out = rewriter.push(options.first);
        if (out !== undefined) controller.enqueue(out);
      },
      async pull(controller) {
        try {
          for (;;) {
            const chunk = await options.source.read();
            if (chunk === undefined) {
              const rest = rewriter.flush();
              if (rest !== undefined) controller.enqueue(rest);
              controller.close();
              end(cleanEnd(rewriter));
              return;
            }
            const out = rewriter.push(chunk);
            if (out !== undefined && out.length > 0) {
              controller.enqueue(out);
              return;
            }
          }
        } catch (err) {
          if (finish.ended) return;
          rewriter.discard();
          const message = failureMessage(err);
          controller.enqueue(errorFrame(message));
          controller.close();
          end({ kind: 'upstream_error', message });
        }
      },
      cancel() {
        end({ kind: 'client_cancelled' });
        options.cancelUpstream();
        options.source.cancel();
      },
    },
    // No read-ahead: a byte is pulled from upstream only when the caller's socket wants one.
    { highWaterMark: 0 },
  );
}

/** Reports a relay's end once, however many ways it ends at the same time. */
export class RelayEnd {
  private done = false;

  constructor(private readonly onEnd: (end: StreamEnd) => void) {}

  get ended(): boolean {
    return this.done;
  }

  end(how: StreamEnd): void {
    if (this.done) return;
    this.done = true;
    this.onEnd(how);
  }
}

function write(out: ServerResponse, bytes: Buffer | undefined): Promise<void> | undefined {
  if (bytes === undefined || bytes.length === 0 || out.write(bytes)) return undefined;
  return drained(out);
}

/** Resolves when the caller's socket takes more bytes, or is gone. */
export function drained(out: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}

/** A stream that ran to its end is complete unless the upstream sent an error frame on the way. */
function cleanEnd(rewriter: SseRewriter): StreamEnd {
  return rewriter.sawErrorFrame ? { kind: 'upstream_error', message: 'upstream sent an error event mid-stream' } : { kind: 'complete' };
}

function failureMessage(err: unknown): string {
  return `upstream stream failed: ${err instanceof Error ? err.message : String(err)}`;
}

export function errorFrame(message: string, code = 'upstream_stream_error'): Buffer {
  return Buffer.from(`data: ${JSON.stringify({ error: { message, type: 'api_error', code } })}\n\n`);
}

/** Index just past the last complete event (`\n\n` or `\r\n\r\n`), or 0 when there is none. */
export function lastEventEnd(bytes: Buffer): number {
  for (let i = bytes.length - 1; i > 0; i--) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i - 1] === 0x0a) return i + 1;
    if (bytes[i - 1] === 0x0d && bytes[i - 2] === 0x0a && bytes[i - 3] === 0x0d) return i + 1;
  }
  return 0;
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

const RESPONSE_COMPLETED = Buffer.from('"response.completed"');

/**
 * Responses API streams pass unchanged (every event names its type; there are no `choices` to fix);
 * the usage arrives once, inside the `response.completed` event's response, in the Responses names.
 */
export const responsesEvents: SseDialect = (events, onUsage) => {
  if (onUsage === undefined || events.indexOf(RESPONSE_COMPLETED) === -1) return events;
  for (const event of splitEvents(events)) {
    if (event.indexOf(RESPONSE_COMPLETED) === -1) continue;
    const data = event
      .toString('utf8')
      .split('\n')
      .find((line) => line.startsWith('data:'));
    let parsed: unknown;
    try {
      parsed = JSON.parse(data?.slice('data:'.length) ?? '');
    } catch {
      continue;
    }
    const usage = isRecord(parsed) && isRecord(parsed.response) ? responsesUsage(parsed.response.usage) : undefined;
    if (usage !== undefined) onUsage(usage);
  }
  return events;
};

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

function splitEvents(events: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < events.length; i++) {
    if (events[i] !== 0x0a) continue;
    const lf = events[i + 1] === 0x0a ? i + 2 : events[i + 1] === 0x0d && events[i + 2] === 0x0a ? i + 3 : -1;
    if (lf === -1) continue;
    out.push(events.subarray(start, lf));
    start = lf;
    i = lf - 1;
  }
  if (start < events.length) out.push(events.subarray(start));
  return out;
}

function countOf(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
