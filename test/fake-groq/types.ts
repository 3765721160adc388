/** The fake's public surface. Implementation lives in server.ts and the modules it wires together. */
import type { Accounting, PromptCount } from './accounting.js';
import type { Fault } from './faults.js';
import type { FakeBatch, FakeFile } from './files-batches.js';
import type { RateLimits } from './limits.js';
import type { ModelsFault } from './model-listing.js';
import type { FakeModel } from './models.js';
import type { ReplyFn } from './plan.js';
import type { UsageSnapshot } from './rate-limiter.js';

export interface FakeGroqOptions {
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** Default 0: an ephemeral port, read it back from `fake.port`/`fake.url`. */
  port?: number;
  /** Accepted API keys. Default: any key starting with `gsk_`. */
  keys?: readonly string[];
  /** Replaces the built-in model list (BUILTIN_MODELS). */
  models?: readonly FakeModel[];
  /** Per-model quotas; windows left out fall back to `defaultLimits`. See GROQ_DEV_LIMITS for Groq's. */
  limits?: Readonly<Record<string, RateLimits>>;
  /** Quotas for models without an entry in `limits`. Default GENEROUS_LIMITS (RPD 14,400, TPM 1M, RPM 10k, TPD unlimited). */
  defaultLimits?: RateLimits;
  /** Tokens reserved for the completion when a request names no max_tokens. Default 1024. */
  defaultMaxTokens?: number;
  /** Shown in 429 messages. Default `org_fake`. */
  organization?: string;
  /**
   * Text of the answer. Default `Hello from <model>`. Not consulted for tool-call answers. Also used by
   * `/responses`, which passes a chat-shaped view (`instructions` + `input` as `messages`).
   */
  reply?: ReplyFn;
  /** Pause between SSE frames. Default 0. */
  chunkDelayMs?: number;
  /** Pause before every response, errors included. Default 0. */
  latencyMs?: number;
  /**
   * Benchmark mode: cached bodies, only the checks needed to answer (JSON, auth, model, messages),
   * no rate limiting unless `limits` is given, and `calls` entries without body or headers.
   */
  fast?: boolean;
  /**
   * Whether `calls` keeps a record of every request. Default true. A standalone fake (the CLI) has no
   * reader for it, and over a benchmark's hundreds of thousands of requests the record grew its heap by
   * about 80 bytes a request (33 MB live after 150k), each full collection pausing it longer: a slowdown
   * Groq does not have. `requestCount` counts either way.
   */
  recordCalls?: boolean;
  /** Clock for rate windows, `created` and `calls[].at`, in ms. Default `Date.now`. */
  now?: () => number;
  /** Larger bodies get 413. Default 25 MiB. */
  maxBodyBytes?: number;
  /**
   * Models each key's organisation sees in `GET /models` and `GET /models/{id}` (ids from `models`);
   * keys not listed see every model.
   */
  modelsByKey?: Readonly<Record<string, readonly string[]>>;
  /**
   * TPM accounting rule per chat model (chat and /responses); models not listed use `defaultAccounting`.
   * See accounting.ts: every rule admits on prompt + cap, they differ in what stays booked.
   */
  accounting?: Readonly<Record<string, Accounting>>;
  /** Default `reserve-then-settle`: prompt + cap at admission, settled to real usage at once. */
  defaultAccounting?: Accounting;
  /** How prompt tokens are counted, for every model or per model (others: `content-chars`). */
  promptCount?: PromptCount | Readonly<Record<string, PromptCount>>;
  /** Multiplies the prompt count (then rounds up), for every model or per model (others: 1). */
  promptScale?: number | Readonly<Record<string, number>>;
  /**
   * Pacing: time to the first content token, for every model or per model. Default none (0). A
   * non-stream answer waits `ttftMs + completion / tokensPerSecond` before it is sent.
   */
  ttftMs?: number | Readonly<Record<string, number>>;
  /** Pacing: completion tokens per second (streams send frames of ~16 tokens), for every model or per model. Default none. */
  tokensPerSecond?: number | Readonly<Record<string, number>>;
}

export interface FakeCall {
  /** `now()` when the request arrived. */
  readonly at: number;
  readonly method: string;
  /** Path without query string, as received (still percent-encoded). */
  readonly path: string;
  /** `model` from the body (JSON or form) or the path (model lookup); `null` when there was none. */
  readonly model: string | null;
  readonly stream: boolean;
  /** `gsk_...abcd`; the full key is never recorded. */
  readonly keyPreview: string | null;
  /** Status sent, `null` while in flight or when no response was ever sent (hang, reset). */
  readonly status: number | null;
  /**
   * Parsed request JSON; `undefined` in fast mode or when the body was not JSON. For the multipart
   * audio endpoints: the text fields (names ending in `[]` as arrays) plus
   * `file: { filename, bytes, contentType }` (the size, never the bytes).
   */
  readonly body: unknown;
  /** Request headers, lower-case, `authorization` reduced to its preview; `{}` in fast mode. */
  readonly headers: Readonly<Record<string, string>>;
  /** The scripted fault applied (`status:503`, `hang`, `midstream-error`, ...), else `null`. */
  readonly fault: string | null;
}

export type MutableCall = { -readonly [K in keyof FakeCall]: FakeCall[K] };

export interface QuotaSpend {
  requests?: number;
  tokens?: number;
  /** Audio seconds, counted against ASH/ASD (nothing applies Groq's 10 s minimum here). */
  audioSeconds?: number;
}

export interface FakeGroq {
  /** `http://127.0.0.1:<port>`, no trailing slash: pass it as the SDK's `baseURL`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, oldest first (none when `recordCalls` is false). Entries are updated in place as responses go out. */
  readonly calls: readonly FakeCall[];
  /** Requests received so far, recorded in `calls` or not; `reset` and `clearCalls` start it again. */
  readonly requestCount: number;
  /** Recorded calls naming `model`, or all recorded calls (none when `recordCalls` is false: see `requestCount`). */
  callCount(model?: string): number;
  /**
   * Queue `fault` for the next `times` requests to `model` (FIFO after faults already queued): chat,
   * responses, transcriptions/translations and speech alike.
   */
  fail(model: string, fault: Fault, times?: number): void;
  clearFaults(model?: string): void;
  /**
   * Make `GET /models` with `key` fail the next `times` times (default Infinity): a status in 400..599
   * answers with a Groq-shaped error, `'hang'` never answers. FIFO, like `fail`.
   */
  failModels(key: string, fault: ModelsFault, times?: number): void;
  clearModelFaults(key?: string): void;
  /** Files stored for `key`'s organisation (uploads and batch outputs), oldest first. */
  files(key: string): readonly FakeFile[];
  /** Batches of `key`'s organisation, oldest first, as `GET /batches/{id}` shows them. */
  batches(key: string): readonly FakeBatch[];
  /** Runs a batch to `completed` at once, with an output file answering every request. */
  completeBatch(key: string, batchId: string): FakeBatch;
  /** Spend quota as another client of the same organisation would, at `now()`. */
  consume(key: string, model: string, spend: QuotaSpend): void;
  /** Current window sums for (key, model), after sliding. */
  usage(key: string, model: string): UsageSnapshot;
  /** Clears calls, faults (listing faults too), rate windows, files and batches. */
  reset(): void;
  /** Clears the record of calls only: queued faults, rate windows, files and batches stay. */
  clearCalls(): void;
  /** Stops listening and destroys every socket, hanging ones included. Idempotent. */
  close(): Promise<void>;
}
