/** The fake's public surface. Implementation lives in server.ts and the modules it wires together. */
import type { Fault } from './faults.js';
import type { RateLimits } from './limits.js';
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
  /** Text of the answer. Default `Hello from <model>`. Not consulted for tool-call answers. */
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
  /** Clock for rate windows, `created` and `calls[].at`, in ms. Default `Date.now`. */
  now?: () => number;
  /** Larger bodies get 413. Default 25 MiB. */
  maxBodyBytes?: number;
}

export interface FakeCall {
  /** `now()` when the request arrived. */
  readonly at: number;
  readonly method: string;
  /** Path without query string, as received (still percent-encoded). */
  readonly path: string;
  /** `model` from the body (chat) or the path (model lookup); `null` when there was none. */
  readonly model: string | null;
  readonly stream: boolean;
  /** `gsk_...abcd`; the full key is never recorded. */
  readonly keyPreview: string | null;
  /** Status sent, `null` while in flight or when no response was ever sent (hang, reset). */
  readonly status: number | null;
  /** Parsed request JSON; `undefined` in fast mode or when the body was not JSON. */
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
}

export interface FakeGroq {
  /** `http://127.0.0.1:<port>`, no trailing slash: pass it as the SDK's `baseURL`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, oldest first. Entries are updated in place as responses go out. */
  readonly calls: readonly FakeCall[];
  /** Calls naming `model`, or all calls. */
  callCount(model?: string): number;
  /** Queue `fault` for the next `times` chat requests to `model` (FIFO after faults already queued). */
  fail(model: string, fault: Fault, times?: number): void;
  clearFaults(model?: string): void;
  /** Spend quota as another client of the same organisation would, at `now()`. */
  consume(key: string, model: string, spend: QuotaSpend): void;
  /** Current window sums for (key, model), after sliding. */
  usage(key: string, model: string): UsageSnapshot;
  /** Clears calls, faults and rate windows. */
  reset(): void;
  /** Stops listening and destroys every socket, hanging ones included. Idempotent. */
  close(): Promise<void>;
}
