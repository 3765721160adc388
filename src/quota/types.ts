/**
 * Budgets: what one Groq organisation (API key) may spend on one model, per window. The store behind
 * this interface may be in memory or shared (Redis), so nothing here assumes one process: time comes
 * from the store's clock, and nothing calls back from the store.
 */

export type WindowName = 'rpm' | 'rpd' | 'tpm' | 'tpd' | 'ash' | 'asd';

export const WINDOW_NAMES: readonly WindowName[] = ['rpm', 'rpd', 'tpm', 'tpd', 'ash', 'asd'];

/**
 * What each window counts and over how long. Minute buckets are fine-grained because a refused caller's
 * `retry-after` must land within a second of the real reset; day buckets only need minute precision.
 */
export const WINDOW_SPECS: Readonly<
  Record<WindowName, { readonly unit: 'requests' | 'tokens' | 'audio_seconds'; readonly windowMs: number; readonly bucketMs: number; readonly graceMs?: number }>
> = {
  // The grace outlasts the trip to the upstream, which starts its own count on arrival: a caller told
  // to come back when our booking expires must not arrive while Groq still counts it. 100 ms was too
  // little: in bench:agents the first requests of a run reached the upstream 150-250 ms after booking,
  // and callers sent back at their retry-after met a 429 there. A second costs at most 1/60 of a window.
  rpm: { unit: 'requests', windowMs: 60_000, bucketMs: 50, graceMs: 1_000 },
  tpm: { unit: 'tokens', windowMs: 60_000, bucketMs: 50, graceMs: 1_000 },
  rpd: { unit: 'requests', windowMs: 86_400_000, bucketMs: 60_000 },
  tpd: { unit: 'tokens', windowMs: 86_400_000, bucketMs: 60_000 },
  ash: { unit: 'audio_seconds', windowMs: 3_600_000, bucketMs: 10_000 },
  asd: { unit: 'audio_seconds', windowMs: 86_400_000, bucketMs: 60_000 },
};

/**
 * How long a booking counts in `window` at most, from when it was made: the window, its bucket and its
 * grace in whole buckets (BucketedWindow's expiry of a bucket, measured from the bucket's start).
 */
export function bookingLifetimeMs(window: WindowName): number {
  const { windowMs, bucketMs, graceMs } = WINDOW_SPECS[window];
  return windowMs + bucketMs * (1 + Math.ceil((graceMs ?? 0) / bucketMs));
}

/**
 * When a booking made at `at` stops counting in `window`: its bucket's expiry, up to a bucket sooner than
 * `at + bookingLifetimeMs` (a refusal's wait until it has left ends there, and so must anything compared with it).
 */
export function bookingExpiresAt(window: WindowName, at: number): number {
  const { bucketMs } = WINDOW_SPECS[window];
  return Math.floor(at / bucketMs) * bucketMs + bookingLifetimeMs(window);
}

/** Where a window's limit came from, for `/quota` and `groq-router check`. */
export type LimitSource = 'config' | 'catalogue' | 'none';

export interface WindowLimit {
  /** `null`: not enforced. `0`: admits nothing. */
  readonly limit: number | null;
  readonly source: LimitSource;
}

/** A budget's identity and limits; the same object for every deployment sharing a key and model. */
export interface BudgetSpec {
  /** Stable id derived from a hash of the API key and the upstream model; never contains the key. */
  readonly id: string;
  readonly model: string;
  /** `gsk_...9f3a`: enough to tell keys apart, never enough to use one. */
  readonly keyPreview: string;
  readonly limits: Readonly<Record<WindowName, WindowLimit>>;
}

/** What one request is expected to spend. */
export interface Demand {
  readonly requests: number;
  /** The most tokens the request may be booked with (prompt estimate plus the completion cap it wants). */
  readonly tokens: number;
  readonly audioSeconds: number;
  /**
   * The fewest tokens it may be booked with, when its completion cap can shrink to fit the window: the
   * store books as many as fit between this and `tokens`, or refuses with the wait until this fits.
   * Absent: exactly `tokens`.
   */
  readonly minTokens?: number;
  /**
   * Book it now whatever the limits: capacity promised to a refused caller until its retry-after, so
   * that others who come meanwhile are told to wait behind it (see RetryPromises).
   */
  readonly hold?: boolean;
  /**
   * Tokens to leave free in each token window beyond this booking: room for another consumer of the same
   * key that Groq's headers have shown, so the gateway does not fill the minute window under its feet.
   * A request that fits the limit alone but not beside the spare waits for the window to empty, never
   * refused as one that can never fit.
   */
  readonly spare?: number;
}

/** What a finished request spent, per unit; a unit left out stays as booked. */
export interface Settlement extends Partial<Omit<Demand, 'minTokens'>> {
  /** Of `tokens`, those counted from the end of the answer (its completion, by an upstream booking usage). */
  readonly tokensAtEnd?: number;
  /**
   * How long before this settlement the upstream's answer began (its headers arrived): the latest it can
   * have admitted the request, and so started counting it. When that is later than a booking's grace
   * covers (a loaded machine, a slow network), what stays booked is moved so that it counts at least as
   * long as the upstream's own booking does; otherwise our count of it would end before the upstream's
   * and the next request could meet a 429.
   */
  readonly admittedMsAgo?: number;
}

export interface Reservation {
  readonly budgetId: string;
  readonly demand: Demand;
  /** Store-specific locator of where the demand was booked, so settle/release touch the same buckets. */
  readonly at: number;
}

export interface ExhaustedWindow {
  readonly window: WindowName;
  readonly limit: number;
  readonly used: number;
  readonly requested: number;
}

export interface Refusal {
  readonly budgetId: string;
  /** The demand that did not fit (a shrinkable one at its minimum). */
  readonly demand: Demand;
  /** Milliseconds until this demand would fit; `Infinity` when it never can (larger than the limit). */
  readonly retryAfterMs: number;
  readonly exhausted: readonly ExhaustedWindow[];
  /**
   * Refused because it cannot fit beside what other consumers of the key spend (see Neighbours), not
   * because our own bookings fill the window: its wait is their room fading, nothing to promise.
   */
  readonly keptForOthers?: true;
}

/** A refusal a caller will hear, and the budget whose capacity can be promised to it. */
export interface PromisedRefusal {
  readonly budget: BudgetSpec;
  readonly refusal: Refusal;
}

export type ReserveResult = { readonly ok: true; readonly reservation: Reservation } | { readonly ok: false; readonly refusal: Refusal };

/**
 * What an upstream response said about the organisation's remaining quota (Groq: requests per DAY,
 * tokens per MINUTE), and how long to stay away after a 429.
 */
export interface UpstreamView {
  readonly limitRequests?: number;
  readonly remainingRequests?: number;
  readonly resetRequestsMs?: number;
  readonly limitTokens?: number;
  readonly remainingTokens?: number;
  readonly resetTokensMs?: number;
  readonly retryAfterMs?: number;
}

/**
 * The windows Groq's headers report a remaining count for (Groq's API reference, rate limits: requests
 * per DAY, tokens per MINUTE), and the view fields that carry each.
 */
export const REPORTED_WINDOWS: readonly {
  readonly window: WindowName;
  readonly limit: 'limitRequests' | 'limitTokens';
  readonly remaining: 'remainingRequests' | 'remainingTokens';
  readonly reset: 'resetRequestsMs' | 'resetTokensMs';
}[] = [
  { window: 'tpm', limit: 'limitTokens', remaining: 'remainingTokens', reset: 'resetTokensMs' },
  { window: 'rpd', limit: 'limitRequests', remaining: 'remainingRequests', reset: 'resetRequestsMs' },
];

/**
 * What the upstream counted beyond our own bookings when it answered, per reported window: positive
 * when it counts more (another consumer of the key, or a cap it keeps), negative when less.
 */
export type UpstreamGap = Partial<Record<'tpm' | 'rpd', number>>;

/**
 * A look at the upstream's counts as the endpoints learn from it: the tokens-per-minute gap, and how many
 * requests it counted beyond ours since the budget's previous look, when it says (`OutsideRequests`,
 * from the per-day gap of every look, in the order the store compared them).
 */
export interface UpstreamLook {
  readonly tpm?: number;
  readonly outsideRequests?: number;
}

export interface WindowSnapshot {
  readonly limit: number | null;
  readonly source: LimitSource;
  readonly used: number;
  readonly remaining: number | null;
  /** Milliseconds until the oldest usage in the window expires; 0 when nothing is used. */
  readonly resetMs: number;
}

export interface BudgetSnapshot {
  readonly id: string;
  readonly model: string;
  readonly keyPreview: string;
  readonly windows: Readonly<Record<WindowName, WindowSnapshot>>;
  /** The store's clock time (ms) the snapshot was taken at. */
  readonly at: number;
  /** Until when (store clock, ms) an upstream 429's retry-after keeps this budget closed; 0 when open. */
  readonly blockedUntil: number;
  /** The last upstream header view and when it was seen (store clock, ms). */
  readonly upstream: (UpstreamView & { readonly observedAt: number }) | undefined;
}

export interface QuotaStore {
  /** Where the budgets are kept: this process's memory, or Redis shared with other instances. */
  readonly kind: 'memory' | 'redis';
  /** Whether a shared store is running on this instance's local share (Redis unreachable); the in-memory store never is. */
  readonly degraded: boolean;
  /** Atomically checks every window and books the demand in all of them, or books nothing. */
  reserve(budget: BudgetSpec, demand: Demand): Promise<ReserveResult>;
  /**
   * Replaces the reserved demand by what was really spent (e.g. `usage.total_tokens`). Of the tokens,
   * `actual.tokensAtEnd` are booked now rather than at the reservation: a completion the upstream counts
   * only when the answer ends must not leave our window before it leaves the upstream's.
   */
  settle(budget: BudgetSpec, reservation: Reservation, actual: Settlement): Promise<void>;
  /** Returns the whole reservation (the request failed or the caller went away). */
  release(budget: BudgetSpec, reservation: Reservation): Promise<void>;
  /**
   * Reconciles with the upstream's view: whatever it counted in a reported window beyond our bookings
   * (outside spending) is booked now and slides out of the window like any booking, so our count
   * converges on the upstream's. A 429's retry-after closes the budget until then. Returns the gap seen.
   */
  observe(budget: BudgetSpec, view: UpstreamView): Promise<UpstreamGap>;
  snapshot(budget: BudgetSpec): Promise<BudgetSnapshot>;
  close(): Promise<void>;
}
