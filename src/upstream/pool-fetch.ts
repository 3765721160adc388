import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { type Agent, type Dispatcher, errors } from 'undici';
import type { FetchLike } from './fetch-like.js';

/**
 * A `fetch` for the SDKs built on undici's dispatcher API instead of WHATWG fetch: no Request object,
 * no web streams unless someone asks for one. The SDKs use only a small part of `Response` (status,
 * headers, text, body); `PoolResponse` is that part. The pool is driven with a handler of our own
 * (`PoolCall`) rather than undici's `request`, which builds a `BodyReadable` stream, an async resource
 * and a header object for every answer: the answer's bytes wait in a queue until read, and its headers
 * stay undici's raw array until one is asked for.
 */
export function poolFetch(agent: Agent): FetchLike {
  const targets = new Map<string, Target>();
  return ((input: string | URL | Request, init: RequestInit = {}) => {
    const target = typeof input === 'string' ? targetOf(input, targets) : targetOfUrl(input instanceof URL ? input : new URL(input.url));
    // groq-sdk's deployment client (DeploymentGroq) hands a plain record with a JSON body: taken as it is,
    // and never changed (its record is shared by the calls with the same per-call headers); an upload's
    // encoder may add the content type, so those are always copied.
    const headers = typeof init.body === 'string' && isPlainRecord(init.headers) ? init.headers : plainHeaders(init.headers);
    const body = requestBody(init.body, headers);
    return new Promise<Response>((resolve, reject) => {
      const call = new PoolCall(target.href, body, init.signal ?? undefined, resolve, reject);
      agent.dispatch({ origin: target.origin, path: target.path, method: (init.method ?? 'GET') as Dispatcher.HttpMethod, headers, body }, call);
    });
  }) as FetchLike;
}

/** What undici's `request` buffers before it pauses the socket (its `BodyReadable`'s high-water mark). */
const HIGH_WATER_MARK = 64 * 1024;

/**
 * One call on the pool: undici's dispatch handler and the answer's body at once. It behaves as
 * `request` did: an abort of the signal before the answer fails the call with the signal's reason; after
 * it, the body fails with that reason (and the connection is dropped) until the body has been read to its
 * end; a connection error fails the call, or the body's next read; the socket is paused while more than
 * `HIGH_WATER_MARK` bytes wait unread; a stream request body is destroyed when the call fails.
 */
export class PoolCall implements Dispatcher.DispatchHandler {
  private abortCall: ((err?: Error) => void) | undefined;
  private resumeSocket: (() => void) | undefined;
  private response: PoolResponse | undefined;
  private reason: unknown;
  private readonly chunks: Buffer[] = [];
  private queued = 0;
  private paused = false;
  /** undici has completed the answer. */
  private complete = false;
  /** The reader has had the end, or the body is cancelled: nothing more to tell. */
  private done = false;
  private failed: unknown;
  private waiting: { resolve(chunk: Buffer | undefined): void; reject(err: unknown): void } | undefined;
  /** Whether the body has been read: by `read()` (a chunk source, the web `body`) or whole (`text()`, `json()`, `arrayBuffer()`). */
  used = false;

  constructor(
    private readonly url: string,
    private requestBody: PoolBody,
    private signal: AbortSignal | undefined,
    private resolve: ((response: Response) => void) | undefined,
    private reject: ((err: unknown) => void) | undefined,
  ) {
    if (signal === undefined) return;
    if (signal.aborted) {
      this.reason = signal.reason ?? new errors.RequestAbortedError();
      this.signal = undefined;
    } else signal.addEventListener('abort', this);
  }

  /** The signal's `abort`. */
  handleEvent(): void {
    const reason = (this.signal as AbortSignal).reason ?? new errors.RequestAbortedError();
    this.reason = reason;
    this.forget();
    if (this.response !== undefined) this.fail(reason);
    else if (this.abortCall !== undefined) this.abortCall(reason as Error);
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.reason !== undefined) abort(this.reason as Error);
    else this.abortCall = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true;
    this.resumeSocket = resume;
    const response = new PoolResponse(this.url, statusCode, statusText, rawHeaders, this);
    this.response = response;
    const resolve = this.resolve as (response: Response) => void;
    this.resolve = undefined;
    this.reject = undefined;
    resolve(response as unknown as Response);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.failed !== undefined) return true;
    const waiter = this.waiting;
    if (waiter !== undefined) {
      this.waiting = undefined;
      waiter.resolve(chunk);
      return true;
    }
    this.chunks.push(chunk);
    this.queued += chunk.length;
    if (this.queued < HIGH_WATER_MARK) return true;
    this.paused = true;
    return false;
  }

  onComplete(): void {
    this.complete = true;
    if (this.waiting !== undefined && this.queued === 0) this.finish();
  }

  onError(err: Error): void {
    const body = this.requestBody;
    this.requestBody = undefined;
    if (body instanceof Readable) {
      body.on('error', noop);
      body.destroy(err);
    }
    const reject = this.reject;
    if (reject !== undefined) {
      this.resolve = undefined;
      this.reject = undefined;
      this.forget();
      reject(err);
      return;
    }
    this.fail(err);
  }

  /** The rest of the body that has arrived, in one piece, or its end (`undefined`). */
  read(): Promise<Buffer | undefined> {
    // Read in any way, the body cannot be read whole as well (undici's "Body is unusable").
    this.used = true;
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (this.queued > 0) return Promise.resolve(this.take());
    if (this.complete) {
      this.finish();
      return Promise.resolve(undefined);
    }
    if (this.done) return Promise.resolve(undefined);
    // One reader: a second would take the first's place, and the first would never settle.
    if (this.waiting !== undefined) return Promise.reject(new TypeError('A read of this body is already waiting'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /**
   * All of the body that is left, at once, when undici has completed the answer (nothing then waits on a
   * read); `undefined` otherwise. A whole answer has usually arrived by the time its headers are handled:
   * taken here it costs no promise per chunk.
   */
  readRest(): Buffer | undefined {
    if (!this.complete || this.failed !== undefined || this.done || this.waiting !== undefined) return undefined;
    this.used = true;
    const rest = this.queued > 0 ? this.take() : Buffer.alloc(0);
    this.finish();
    return rest;
  }

  /** Stops reading: an answer not yet whole is aborted, which drops its connection. */
  cancel(): void {
    if (this.done) return;
    if (this.failed === undefined && !this.complete) this.fail(new errors.RequestAbortedError());
    this.done = true;
    this.forget();
  }

  private take(): Buffer {
    const chunks = this.chunks;
    const chunk = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.queued);
    chunks.length = 0;
    this.queued = 0;
    if (this.paused) {
      this.paused = false;
      this.resumeSocket?.();
    }
    return chunk;
  }

  private finish(): void {
    this.done = true;
    this.forget();
    const waiter = this.waiting;
    this.waiting = undefined;
    waiter?.resolve(undefined);
  }

  private fail(err: unknown): void {
    if (this.failed !== undefined || this.done) return;
    this.failed = err;
    this.chunks.length = 0;
    this.queued = 0;
    this.forget();
    if (!this.complete) this.abortCall?.(err as Error);
    const waiter = this.waiting;
    this.waiting = undefined;
    waiter?.reject(err);
  }

  private forget(): void {
    const signal = this.signal;
    if (signal === undefined) return;
    this.signal = undefined;
    signal.removeEventListener('abort', this);
  }
}

function noop(): void {}

interface Target {
  readonly origin: string;
  readonly path: string;
  readonly href: string;
}

/** At most this many URLs are kept parsed: a deployment calls a few fixed ones; file and batch ids vary. */
const PARSED_URLS = 64;

/** A URL's origin and path, parsed once for the URLs every routed request calls. */
function targetOf(input: string, targets: Map<string, Target>): Target {
  let target = targets.get(input);
  if (target === undefined) {
    target = targetOfUrl(new URL(input));
    if (targets.size < PARSED_URLS) targets.set(input, target);
  }
  return target;
}

function targetOfUrl(url: URL): Target {
  return { origin: url.origin, path: url.pathname + url.search, href: url.href };
}

/** Groq's error bodies are a few hundred bytes; one this large is not an error message. */
const MAX_ERROR_BODY_BYTES = 1 << 20;
/** What the SDKs read whole of a 2xx (listings, file and batch metadata): as `max_response_size_mb`'s default. */
const MAX_WHOLE_BODY_BYTES = 32 << 20;

/** The part of `Response` the SDKs and the router read, over the call's queued body. */
export class PoolResponse {
  private parsedHeaders: PoolHeaders | undefined;
  private webBody: ReadableStream<Uint8Array> | undefined;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    private readonly rawHeaders: Buffer[],
    /** The body as the router reads it: `read()` a chunk at a time, `cancel()` to drop it. */
    readonly call: PoolCall,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get headers(): PoolHeaders {
    this.parsedHeaders ??= new PoolHeaders(this.rawHeaders);
    return this.parsedHeaders;
  }

  /** A web stream for callers that want one; the router reads `call` directly. */
  get body(): ReadableStream<Uint8Array> {
    if (this.webBody === undefined) {
      const call = this.call;
      this.webBody = new ReadableStream<Uint8Array>(
        {
          pull: async (controller) => {
            const chunk = await call.read();
            if (chunk === undefined) controller.close();
            else controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          },
          cancel: () => call.cancel(),
        },
        { highWaterMark: 0 },
      );
    }
    return this.webBody;
  }

  async text(): Promise<string> {
    const bytes = await this.wholeBody();
    // As undici's body mixin: a UTF-8 byte-order mark is skipped.
    const start = bytes.length > 2 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    return bytes.toString('utf8', start);
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.wholeBody();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  /**
   * The whole body; as undici's body mixin, only once. Bounded, whatever the upstream sends: the SDKs
   * read an error body whole to quote it, and a listing or a file's metadata as JSON (a routed answer is
   * read by the router, under `max_response_size_mb`).
   */
  private async wholeBody(): Promise<Buffer> {
    const call = this.call;
    if (call.used) throw new TypeError('Body is unusable: Body has already been read');
    call.used = true;
    const limit = this.ok ? MAX_WHOLE_BODY_BYTES : MAX_ERROR_BODY_BYTES;
    const chunks: Buffer[] = [];
    let length = 0;
    for (let chunk = await call.read(); chunk !== undefined; chunk = await call.read()) {
      chunks.push(chunk);
      length += chunk.length;
      if (length > limit) {
        call.cancel();
        throw new Error(`upstream ${this.ok ? '' : 'error '}body is larger than ${limit >> 20} MB`);
      }
    }
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
  }
}

/**
 * Read-only `Headers` over undici's raw list (name, value, name, value, … as bytes). The router asks for
 * a handful of names per answer: each is found by comparing bytes (ASCII case folded), and only the
 * values asked for become strings. Iteration makes the whole record once.
 */
export class PoolHeaders {
  private record: Record<string, string> | undefined;

  constructor(private readonly raw: Buffer[]) {}

  get(name: string): string | null {
    const raw = this.raw;
    const length = name.length;
    let found: string | null = null;
    for (let i = 0; i < raw.length; i += 2) {
      const key = raw[i] as Buffer;
      if (key.length !== length || !sameName(key, name)) continue;
      const value = (raw[i + 1] as Buffer).toString('latin1');
      found = found === null ? value : `${found}, ${value}`;
    }
    return found;
  }

  has(name: string): boolean {
    const raw = this.raw;
    for (let i = 0; i < raw.length; i += 2) {
      const key = raw[i] as Buffer;
      if (key.length === name.length && sameName(key, name)) return true;
    }
    return false;
  }

  forEach(callback: (value: string, name: string) => void): void {
    for (const [name, value] of this.entries()) callback(value, name);
  }

  *entries(): IterableIterator<[string, string]> {
    if (this.record === undefined) {
      const record: Record<string, string> = Object.create(null) as Record<string, string>;
      for (let i = 0; i < this.raw.length; i += 2) {
        const name = (this.raw[i] as Buffer).toString('latin1').toLowerCase();
        const value = (this.raw[i + 1] as Buffer).toString('latin1');
        const known = record[name];
        record[name] = known === undefined ? value : `${known}, ${value}`;
      }
      this.record = record;
    }
    for (const name of Object.keys(this.record)) yield [name, this.record[name] as string];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** Whether a header name's bytes spell `name` (of the same length), ASCII letters in either case. */
function sameName(key: Buffer, name: string): boolean {
  for (let j = 0; j < key.length; j++) {
    const byte = key[j] as number;
    const code = name.charCodeAt(j);
    if (byte === code) continue;
    // A-Z against a-z, either way round.
    const lower = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
    const wanted = code >= 0x41 && code <= 0x5a ? code | 0x20 : code;
    if (lower !== wanted) return false;
  }
  return true;
}

type PoolBody = string | Uint8Array | Readable | null | undefined;

/**
 * The body as the pool takes it. Uploads (groq-sdk hands `fetch` a `FormData` for audio and files) are
 * encoded by the platform's own multipart encoder and streamed: a file-backed part is read from disk as
 * it is sent, never held whole in memory. The encoder also supplies the boundary's content type.
 */
function requestBody(body: RequestInit['body'], headers: Record<string, string>): PoolBody {
  if (body === null || body === undefined || typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof FormData || body instanceof Blob || body instanceof URLSearchParams) {
    const encoded = new Response(body);
    const type = encoded.headers.get('content-type');
    if (type !== null && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = type;
    return encoded.body === null ? null : Readable.fromWeb(encoded.body as NodeReadableStream<Uint8Array>);
  }
  if (body instanceof ReadableStream) return Readable.fromWeb(body as NodeReadableStream<Uint8Array>);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  return body as unknown as PoolBody;
}

function isPlainRecord(headers: RequestInit['headers']): headers is Record<string, string> {
  return typeof headers === 'object' && headers !== null && Object.getPrototypeOf(headers) === Object.prototype;
}

function plainHeaders(headers: RequestInit['headers']): Record<string, string> {
  if (headers === undefined || headers === null) return {};
  const out: Record<string, string> = {};
  if (typeof (headers as Headers).forEach === 'function' && !Array.isArray(headers)) {
    (headers as Headers).forEach((value, name) => {
      out[name] = value;
    });
    return out;
  }
  for (const [name, value] of Array.isArray(headers) ? headers : Object.entries(headers)) out[name as string] = String(value);
  return out;
}
