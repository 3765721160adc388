import type { ServerResponse } from 'node:http';
import { isRecord } from '../is-record.js';
import type { ChunkSource } from './chunk-source.js';

/**
 * Relays an upstream SSE stream to the caller byte for byte, touching only what its endpoint's dialect
 * fixes (chat's missing `choices`, say) and picking out the usage for accounting. A failure after the
 * first byte becomes one error frame in the dialect and the end of the stream, never a silently cut
 * socket; a half-received event is dropped rather than sent as malformed JSON.
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
  | { readonly kind: 'client_cancelled' }
  /** The gateway's drain ended it at the grace deadline: no fault of the upstream's. */
  | { readonly kind: 'stopped' }
  /** A fault in the gateway's own relaying (`message` is for its log, not the caller): no fault of the upstream's either. */
  | { readonly kind: 'gateway_error'; readonly message: string };

/** What one endpoint's streams say and how they end; each endpoint brings its own (`endpoints/<name>/stream-dialect.ts`). */
export interface SseDialect {
  /**
   * One complete event that is not an error, its data parsed once by the relay: reports the usage it
   * carries, and returns what the caller gets in its place where clients need it fixed (chat's missing
   * `choices`), or `undefined` to send it as it came.
   */
  readonly fixEvent: (data: unknown, frame: SseFrame, onUsage: (usage: StreamUsage) => void) => Buffer | undefined;
  /**
   * The upstream's own error event, in the form this endpoint's clients read as an error (chat's SDKs
   * see one only under an `error` key), or `undefined` to send it as it came.
   */
  readonly fixError?: (data: unknown, frame: SseFrame) => Buffer | undefined;
  /** The one error frame that ends a failed stream, in the form this endpoint's clients read. */
  readonly errorFrame: (message: string, code: string) => Buffer;
  /** What follows the error frame when the gateway's drain cuts a stream (chat's `[DONE]`), if anything. */
  readonly endMarker: Buffer | undefined;
  /** The proper end, as the error names it when a stream stops without one. */
  readonly expectedEnd: string;
}

/** An event's name (its `event:` line) and data; `plain` when it is one `data:` line and nothing else, so it can be written again whole from its data. */
export interface SseFrame {
  readonly event: string | undefined;
  readonly data: string;
  readonly plain: boolean;
}

export interface RelayOptions {
  readonly first: Uint8Array;
  readonly source: ChunkSource;
  /** Aborts the upstream call (the caller went away). */
  readonly cancelUpstream: () => void;
  /** Called exactly once, however the stream ends. */
  readonly onEnd: (end: StreamEnd) => void;
}

/** The configured keys an upstream may echo in what it answers: found with one byte search each, and taken out alone. */
export interface EchoedKeys {
  foundIn(bytes: Buffer): boolean;
  redactKeys(text: string): string;
}

export interface SseRelayOptions extends RelayOptions {
  readonly dialect: SseDialect;
  readonly onUsage?: (usage: StreamUsage) => void;
  /** Fires when a draining gateway's grace period is over: the stream ends with an error frame (and the dialect's end marker). */
  readonly stop?: AbortSignal;
  /** Takes the configured secrets out of upstream text: applied to the upstream's own error events and events that carry an error. */
  readonly redact?: (text: string) => string;
  /** The keys an upstream may echo anywhere in a stream (a comment, an id, a chunk's text): taken out of whatever is relayed. */
  readonly keys?: EchoedKeys;
}

const DATA_JSON = Buffer.from('data: {');
const EVENT_END = Buffer.from('\n\n');
/**
 * No event legitimately grows this large (a Responses `response.completed` repeats the whole answer,
 * which is still far smaller); past it the upstream is not speaking SSE.
 */
const MAX_EVENT_BYTES = 16 << 20;
/** The events after which a Responses API stream is complete. */
const RESPONSES_TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** The upstream broke the stream's framing: a frame no client could parse, or an event without end. */
export class InvalidFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidFrameError';
  }
}

/**
 * Cuts a byte stream into whole SSE events, checks and fixes them; holds back a trailing partial event.
 * Every `data:` must be JSON (or chat's `[DONE]`); `push` throws `InvalidFrameError` at the first that
 * is not, before it is relayed. Each event's data is parsed once, here, and handed to the dialect. It
 * also notes how the stream ended: at its terminal event (`[DONE]`, a Responses
 * `response.completed`/`incomplete`/`failed`), or at an error frame the upstream sent itself. Events
 * nobody changes go out as the upstream's bytes, without a copy.
 */
export class SseRewriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private terminal = false;
  private upstreamError: string | undefined;
  /** Usage seen in the events being inspected: reported once all of them have passed the check. */
  private readonly usageSeen: StreamUsage[] = [];
  private readonly noteUsage = (usage: StreamUsage): void => {
    this.usageSeen.push(usage);
  };

  constructor(
    private readonly onUsage: ((usage: StreamUsage) => void) | undefined,
    private readonly dialect: SseDialect,
    private readonly redact?: (text: string) => string,
    private readonly keys?: EchoedKeys,
  ) {}

  /** The complete events in `chunk` (plus what was held back), fixed; `undefined` when none is complete. */
  push(chunk: Uint8Array): Buffer | undefined {
    const incoming = toBuffer(chunk);
    if (this.pendingBytes > 0 && !this.mayCompleteEvent(incoming)) {
      this.hold(incoming);
      return undefined;
    }
    const bytes = this.pendingBytes === 0 ? incoming : Buffer.concat([...this.pending, incoming]);
    this.pending = [];
    this.pendingBytes = 0;
    const cut = lastEventEnd(bytes);
    if (cut === 0) {
      this.hold(bytes);
      return undefined;
    }
    if (cut < bytes.length) this.hold(bytes.subarray(cut));
    return this.cleaned(this.inspect(cut === bytes.length ? bytes : bytes.subarray(0, cut)));
  }

  /**
   * At the upstream's end: what was held back. An upstream may omit the final blank line; the caller's
   * parser dispatches an event only at one, so the event gets it (and an error frame after it stays apart).
   */
  flush(): Buffer | undefined {
    const rest = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    if (rest.toString('latin1').trim() === '') return rest.length === 0 ? undefined : this.cleaned(rest);
    return this.cleaned(this.inspect(lastEventEnd(rest) === rest.length ? rest : Buffer.concat([rest, EVENT_END])));
  }

  /** At a failure: a half-received event would be malformed JSON to the client. */
  discard(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  /**
   * After `flush`: whether the stream ended as it should. `undefined` for a proper end; otherwise why
   * not, and whether the upstream already said so in an error frame of its own (then the caller has its
   * one error frame and gets no second).
   */
  improperEnd(): { readonly message: string; readonly framed: boolean } | undefined {
    if (this.upstreamError !== undefined) return { message: `upstream sent an error: ${this.upstreamError}`, framed: true };
    if (this.terminal) return undefined;
    return { message: `upstream stream ended without ${this.dialect.expectedEnd}`, framed: false };
  }

  private hold(bytes: Buffer): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes > MAX_EVENT_BYTES) throw new InvalidFrameError(`upstream sent an event over ${MAX_EVENT_BYTES >> 20} MB without an end`);
  }

  /** Whether a blank line may end in `incoming`, also across the join with what is held: every one ends in LF. */
  private mayCompleteEvent(incoming: Buffer): boolean {
    return incoming.indexOf(0x0a) !== -1;
  }

  /**
   * `events`, each checked and offered to the dialect; the same buffer when none was replaced. Their
   * usage is reported only when every one of them passed: none of them is relayed otherwise.
   */
  private inspect(events: Buffer): Buffer {
    this.usageSeen.length = 0;
    let parts: Buffer[] | undefined;
    for (let start = 0; start < events.length; ) {
      const end = eventEnd(events, start);
      const event = events.subarray(start, end);
      const replaced = this.inspectEvent(event);
      if (replaced !== undefined) {
        parts ??= start === 0 ? [] : [events.subarray(0, start)];
        parts.push(replaced);
      } else parts?.push(event);
      start = end;
    }
    if (this.onUsage !== undefined) for (const usage of this.usageSeen) this.onUsage(usage);
    return parts === undefined ? events : Buffer.concat(parts);
  }

  private inspectEvent(event: Buffer): Buffer | undefined {
    const frame = readFrame(event);
    if (frame === undefined) return undefined;
    if (frame.data === '[DONE]') {
      this.terminal = true;
      return undefined;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(frame.data);
    } catch {
      // Cleaned before it is cut: a secret the cut split would no longer be recognised.
      const shown = this.redact === undefined ? frame.data : this.redact(frame.data);
      throw new InvalidFrameError(`upstream sent a frame that is not JSON: ${JSON.stringify(shown.slice(0, 80))}`);
    }
    const type = frame.event ?? (isRecord(parsed) && typeof parsed.type === 'string' ? parsed.type : undefined);
    if (type === 'error' || (frame.event === undefined && isRecord(parsed) && parsed.error != null)) {
      // The upstream's own error frame goes out in the dialect's form (as it came where that is the same), cleaned.
      this.upstreamError = errorMessageOf(parsed);
      return this.redacted(this.dialect.fixError?.(parsed, frame), event);
    }
    if (type !== undefined && RESPONSES_TERMINAL.has(type)) this.terminal = true;
    const fixed = this.dialect.fixEvent(parsed, frame, this.noteUsage);
    return carriesError(parsed) ? this.redacted(fixed, event) : fixed;
  }

  /** Whole events on their way out, with any key in them taken out: one byte search per key. */
  private cleaned(events: Buffer): Buffer {
    if (this.keys === undefined || !this.keys.foundIn(events)) return events;
    return Buffer.from(this.keys.redactKeys(events.toString('utf8')));
  }

  /** What goes out for an event that carries upstream error text (`fixed`, or the event as it came), with the configured secrets taken out. */
  private redacted(fixed: Buffer | undefined, event: Buffer): Buffer | undefined {
    if (this.redact === undefined) return fixed;
    const text = (fixed ?? event).toString('utf8');
    const clean = this.redact(text);
    return clean === text ? fixed : Buffer.from(clean);
  }
}

/** An event's name and its data lines joined, or `undefined` when it carries no data (a comment). */
function readFrame(event: Buffer): SseFrame | undefined {
  // The common case, one `data: {...}` line, without splitting lines.
  if (event.subarray(0, DATA_JSON.length).equals(DATA_JSON)) {
    const text = event.toString('utf8', 6).trimEnd();
    if (!text.includes('\n')) return { event: undefined, data: text, plain: true };
  }
  let name: string | undefined;
  const data: string[] = [];
  const text = event.toString('utf8');
  // A stream may begin with a byte-order mark, which is not part of its first field's name.
  for (const line of (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r?\n/)) {
    if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    else if (line.startsWith('event:')) name = line.slice(6).trim();
  }
  return data.length === 0 ? undefined : { event: name, data: data.join('\n'), plain: false };
}

/** An event that reports an error of its own beside its data (a Responses `response.failed`'s `response.error`); `"error": null`, as every Responses event has, is none. */
function carriesError(parsed: unknown): boolean {
  return isRecord(parsed) && (parsed.error != null || (isRecord(parsed.response) && parsed.response.error != null));
}

function errorMessageOf(parsed: unknown): string {
  const inner = isRecord(parsed) && isRecord(parsed.error) ? parsed.error : parsed;
  return isRecord(inner) && typeof inner.message === 'string' ? inner.message : 'unknown error';
}

/**
 * Writes the relayed stream straight to the caller's socket, honouring its back-pressure: the upstream
 * is read only as fast as the caller takes bytes. `head` is written first (status and headers).
 */
export async function pipeSse(out: ServerResponse, head: Record<string, string>, options: SseRelayOptions): Promise<void> {
  const rewriter = new SseRewriter(options.onUsage, options.dialect, options.redact, options.keys);
  const finish = new RelayEnd(options.onEnd);
  const end = (how: StreamEnd): void => finish.end(how);
  const onClose = (): void => {
    if (out.writableFinished) return;
    end({ kind: 'client_cancelled' });
    options.cancelUpstream();
    options.source.cancel();
  };
  out.once('close', onClose);
  const onStop = (): void => {
    if (finish.ended) return;
    rewriter.discard();
    end({ kind: 'stopped' });
    stopUpstream(options);
    out.end(stoppedFrames(options.dialect));
  };
  if (options.stop?.aborted) queueMicrotask(onStop);
  else options.stop?.addEventListener('abort', onStop, { once: true });
  out.once('close', () => options.stop?.removeEventListener('abort', onStop));
  out.writeHead(200, head);
  // Whether a failure came from reading the upstream (its fault) rather than from our own relaying.
  let reading = false;
  try {
    await write(out, rewriter.push(options.first));
    for (;;) {
      reading = true;
      const chunk = await options.source.read();
      reading = false;
      if (finish.ended) return;
      if (chunk === undefined) break;
      await write(out, rewriter.push(chunk));
    }
    const rest = rewriter.flush();
    if (rest !== undefined) out.write(rest);
    const improper = rewriter.improperEnd();
    if (improper === undefined) {
      out.end();
      end({ kind: 'complete' });
      return;
    }
    out.end(improper.framed ? undefined : errorFrameFor(options.dialect, improper.message));
    end({ kind: 'upstream_error', message: improper.message });
  } catch (err) {
    if (finish.ended) return;
    rewriter.discard();
    if (!reading && !(err instanceof InvalidFrameError)) {
      // Ours: the caller is told so without our internals, the log gets them, the deployment nothing.
      stopUpstream(options);
      out.end(options.dialect.errorFrame('the gateway failed while relaying the stream', 'internal_error'));
      end({ kind: 'gateway_error', message: `the gateway failed relaying the stream: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    // An invalid frame's message quotes the upstream's bytes: cleaned like its error frames.
    const message = options.redact === undefined ? failureMessage(err) : options.redact(failureMessage(err));
    if (err instanceof InvalidFrameError) stopUpstream(options);
    out.end(errorFrameFor(options.dialect, message));
    end({ kind: 'upstream_error', message });
  }
}

/** An upstream whose stream is no longer believed is not read any further. */
function stopUpstream(options: RelayOptions): void {
  options.cancelUpstream();
  options.source.cancel();
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
  if (bytes === undefined || bytes.length === 0) return undefined;
  holdForTurn(out);
  return out.write(bytes) ? undefined : drained(out);
}

/**
 * Holds what is written to the caller in this turn of the event loop (the head, chunks the upstream
 * delivered together, the stream's end) and sends it as one write when the turn's promise jobs are done:
 * each write to a socket is a system call, and on loopback also the receiver's work. `end()` sends
 * whatever is held at once.
 */
export function holdForTurn(out: ServerResponse): void {
  if (out.writableCorked > 0) return;
  out.cork();
  process.nextTick(() => out.uncork());
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

function failureMessage(err: unknown): string {
  return `upstream stream failed: ${err instanceof Error ? err.message : String(err)}`;
}

/** How a stream cut by the gateway's drain ends: the error, then the end marker clients wait for. */
function stoppedFrames(dialect: SseDialect): Buffer {
  const error = dialect.errorFrame('the gateway is shutting down; the answer was cut at the end of its grace period', 'gateway_shutting_down');
  return dialect.endMarker === undefined ? error : Buffer.concat([error, dialect.endMarker]);
}

function errorFrameFor(dialect: SseDialect, message: string): Buffer {
  return dialect.errorFrame(message, 'upstream_stream_error');
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

/** Index just past the event that begins at `start` (its blank line included), or the end of `events`. */
function eventEnd(events: Buffer, start: number): number {
  for (let i = events.indexOf(0x0a, start); i !== -1; i = events.indexOf(0x0a, i + 1)) {
    if (events[i + 1] === 0x0a) return i + 2;
    if (events[i + 1] === 0x0d && events[i + 2] === 0x0a) return i + 3;
  }
  return events.length;
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
