import type { Logger } from '../log.js';
import { MemoryQuotaStore } from './memory-store.js';
import { StoreTimeoutError, withTimeout } from './redis-timeout.js';
import { WINDOW_NAMES } from './types.js';
import type { BudgetSnapshot, BudgetSpec, Demand, QuotaStore, Reservation, ReserveResult, Settlement, UpstreamGap, UpstreamView, WindowLimit, WindowName } from './types.js';

export interface DegradingQuotaStoreOptions {
  /** The store every instance shares (RedisQuotaStore). */
  readonly shared: QuotaStore;
  /** Warned once when the shared store is lost, told once (info) when it is back. */
  readonly log: Pick<Logger, 'warn' | 'info'>;
  /** Serves while the shared store is away; default a fresh MemoryQuotaStore. */
  readonly local?: QuotaStore;
  /** Longest a call waits for the shared store before it is served locally; default 200 ms (a busy instance's own event loop can delay a prompt answer by tens of ms, and a wrong switch costs double counting). */
  readonly timeoutMs?: number;
  /** Gateway instances sharing the budgets; default 2. Sets the default `localShare`. */
  readonly instances?: number;
  /** Fraction of each limit one instance may spend on its own while degraded; default 1 / instances. */
  readonly localShare?: number;
  /** How often, while degraded, one call tries the shared store again; default 1,000 ms. */
  readonly retryIntervalMs?: number;
  /** Called on every switch between shared (false) and local (true) budgets. */
  readonly onStateChange?: (degraded: boolean) => void;
  /** Settles and releases of shared reservations held for replay while degraded; default 10,000. */
  readonly maxDeferred?: number;
  /** Why a call to the shared store failed, in words (e.g. naming the server and its socket error); default the error's message. */
  readonly explain?: (error: unknown) => string;
  /** Clock for the retry interval (ms); injectable for tests. */
  readonly now?: () => number;
}

type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

const FAILED: Attempt<never> = { ok: false };

/**
 * Shared budgets that keep the gateway serving when the shared store is slow or gone.
 *
 * Policy, in order of what matters:
 * - No request waits on the shared store longer than `timeoutMs`; a call that fails or times out is
 *   served from the local store, and the first such failure switches to degraded mode.
 * - Degraded, each instance spends at most `localShare` of every limit on its own (floor, at least 1 where
 *   the limit is above 0), so N instances with share 1/N together stay within the organisation's limit,
 *   except that usage booked in the shared store just before the outage is not known locally.
 * - Every `retryIntervalMs` one call (whatever it is) goes to the shared store again; its success rejoins.
 * - A reservation is settled or released in the store that booked it. Those of the shared store that
 *   arrive while degraded are held (up to `maxDeferred`) and replayed on rejoin, so their headroom comes
 *   back; past the cap, or when the shared call itself fails, the booking just expires with its window.
 * - Upstream observations are copied to the local store too, so a 429's retry-after survives an outage.
 */
export class DegradingQuotaStore implements QuotaStore {
  private readonly shared: QuotaStore;
  private readonly local: QuotaStore;
  private readonly log: Pick<Logger, 'warn' | 'info'>;
  private readonly timeoutMs: number;
  private readonly share: number;
  private readonly retryIntervalMs: number;
  private readonly maxDeferred: number;
  private readonly onStateChange: ((degraded: boolean) => void) | undefined;
  private readonly clock: () => number;
  private isDegraded = false;
  private nextProbeAt = 0;
  private probing = false;
  private draining = false;
  /** Which store booked each reservation handed out. */
  private readonly origin = new WeakMap<Reservation, 'shared' | 'local'>();
  private readonly localSpecs = new WeakMap<BudgetSpec, BudgetSpec>();
  private readonly deferred: { readonly what: string; readonly call: () => Promise<void> }[] = [];

  private readonly explain: (error: unknown) => string;

  constructor(options: DegradingQuotaStoreOptions) {
    const instances = options.instances ?? 2;
    if (!Number.isInteger(instances) || instances < 1) throw new RangeError(`instances must be a whole number >= 1, got ${instances}`);
    const share = options.localShare ?? 1 / instances;
    if (!(share > 0 && share <= 1)) throw new RangeError(`localShare must be in (0, 1], got ${share}`);
    this.timeoutMs = positive(options.timeoutMs ?? 200, 'timeoutMs');
    this.retryIntervalMs = positive(options.retryIntervalMs ?? 1_000, 'retryIntervalMs');
    this.maxDeferred = options.maxDeferred ?? 10_000;
    this.shared = options.shared;
    this.local = options.local ?? new MemoryQuotaStore();
    this.log = options.log;
    this.share = share;
    this.onStateChange = options.onStateChange;
    this.clock = options.now ?? Date.now;
    this.explain = options.explain ?? ((error) => (error instanceof Error ? error.message : String(error)));
  }

  readonly kind = 'redis';

  /** Whether calls are being served from the local store. */
  get degraded(): boolean {
    return this.isDegraded;
  }

  async reserve(budget: BudgetSpec, demand: Demand): Promise<ReserveResult> {
    const shared = await this.attempt('reserve', () => this.shared.reserve(budget, demand), (late) => {
      // Answered after we gave up and served the caller locally: give the booking back.
      if (late.ok) void this.shared.release(budget, late.reservation).catch(() => {});
    });
    const result = shared.ok ? shared.value : await this.local.reserve(this.localSpec(budget), demand);
    if (result.ok) this.origin.set(result.reservation, shared.ok ? 'shared' : 'local');
    return result;
  }

  async settle(budget: BudgetSpec, reservation: Reservation, actual: Settlement): Promise<void> {
    assertSameBudget(budget, reservation);
    if (this.origin.get(reservation) === 'local') return this.local.settle(this.localSpec(budget), reservation, actual);
    // A settlement held for the rejoin says how long ago the answer began as of now, not as of its replay.
    const heldAt = this.clock();
    await this.finishShared('settle', () => this.shared.settle(budget, reservation, heldFor(actual, this.clock() - heldAt)));
  }

  async release(budget: BudgetSpec, reservation: Reservation): Promise<void> {
    assertSameBudget(budget, reservation);
    if (this.origin.get(reservation) === 'local') return this.local.release(this.localSpec(budget), reservation);
    await this.finishShared('release', () => this.shared.release(budget, reservation));
  }

  async observe(budget: BudgetSpec, view: UpstreamView): Promise<UpstreamGap> {
    const local = await this.local.observe(this.localSpec(budget), this.localView(view));
    const shared = await this.attempt('observe', () => this.shared.observe(budget, view));
    return shared.ok ? shared.value : local;
  }

  async snapshot(budget: BudgetSpec): Promise<BudgetSnapshot> {
    const shared = await this.attempt('snapshot', () => this.shared.snapshot(budget));
    return shared.ok ? shared.value : this.local.snapshot(this.localSpec(budget));
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.shared.close(), this.local.close()]);
  }

  /** The budget as the local store enforces it: each limit cut to this instance's share. */
  localSpec(budget: BudgetSpec): BudgetSpec {
    let spec = this.localSpecs.get(budget);
    if (spec === undefined) {
      const limits = Object.fromEntries(
        WINDOW_NAMES.map((name): [WindowName, WindowLimit] => [name, { ...budget.limits[name], limit: shareOf(budget.limits[name].limit, this.share) }]),
      ) as Record<WindowName, WindowLimit>;
      spec = { ...budget, limits };
      this.localSpecs.set(budget, spec);
    }
    return spec;
  }

  /** The upstream's counts cut to this instance's share, as its local budget is. */
  private localView(view: UpstreamView): UpstreamView {
    const scaled = (value: number | undefined) => (value === undefined ? undefined : value * this.share);
    return {
      ...view,
      limitRequests: scaled(view.limitRequests),
      remainingRequests: scaled(view.remainingRequests),
      limitTokens: scaled(view.limitTokens),
      remainingTokens: scaled(view.remainingTokens),
    };
  }

  /**
   * Runs `call` against the shared store within the timeout, unless degraded and it is not yet time to
   * try again. `late` sees a result that arrives after the timeout.
   */
  private async attempt<T>(what: string, call: () => Promise<T>, late?: (value: T) => void): Promise<Attempt<T>> {
    const probe = this.isDegraded;
    if (probe && (this.probing || this.clock() < this.nextProbeAt)) return FAILED;
    if (probe) this.probing = true;
    let pending: Promise<T> | undefined;
    try {
      pending = call();
      const value = await withTimeout(pending, this.timeoutMs, `shared quota store ${what}`);
      if (probe) this.rejoin();
      return { ok: true, value };
    } catch (error) {
      if (late !== undefined && error instanceof StoreTimeoutError && pending !== undefined) pending.then(late, () => {});
      this.nextProbeAt = this.clock() + this.retryIntervalMs;
      this.degrade(error);
      return FAILED;
    } finally {
      if (probe) this.probing = false;
    }
  }

  /** Settles or releases a shared reservation now, or holds it for the rejoin while degraded. */
  private async finishShared(what: string, call: () => Promise<void>): Promise<void> {
    if (this.isDegraded && (this.probing || this.clock() < this.nextProbeAt)) {
      if (this.deferred.length < this.maxDeferred) this.deferred.push({ what, call });
      return;
    }
    await this.attempt(what, call);
  }

  private degrade(error: unknown): void {
    if (this.isDegraded) return;
    this.isDegraded = true;
    const reason = this.explain(error);
    this.log.warn(
      `quota: shared store unavailable (${reason.slice(0, 200)}); serving budgets locally at ${formatShare(this.share)} of each limit until it answers again`,
    );
    this.notify(true);
  }

  private rejoin(): void {
    if (!this.isDegraded) return;
    this.isDegraded = false;
    this.log.info(`quota: shared store answering again; budgets are shared again (${this.deferred.length} held settlements to replay)`);
    this.notify(false);
    void this.drain();
  }

  /** Replays held settlements one at a time, stopping as soon as the shared store fails again. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.isDegraded) {
        const next = this.deferred.shift();
        if (next === undefined) break;
        await this.attempt(next.what, next.call);
      }
    } finally {
      this.draining = false;
    }
  }

  private notify(degraded: boolean): void {
    try {
      this.onStateChange?.(degraded);
    } catch {
      // A listener's failure must not decide where budgets are kept.
    }
  }
}

/** floor(limit x share), at least 1 where the limit admits anything; null and 0 stay as they are. */
export function shareOf(limit: number | null, share: number): number | null {
  if (limit === null || limit <= 0) return limit;
  // The epsilon keeps 30 x (1/3) at 10 rather than 9.999... floored to 9.
  return Math.max(1, Math.floor(limit * share + 1e-9));
}

/** `actual` as it reads `heldMs` later: its answer began that much longer ago. */
function heldFor(actual: Settlement, heldMs: number): Settlement {
  if (actual.admittedMsAgo === undefined || !(heldMs > 0)) return actual;
  return { ...actual, admittedMsAgo: actual.admittedMsAgo + heldMs };
}

function assertSameBudget(budget: BudgetSpec, reservation: Reservation): void {
  // Checked here so the mistake is reported as such, not taken for an outage of the shared store.
  if (reservation.budgetId !== budget.id) {
    throw new Error(`reservation for budget ${reservation.budgetId} cannot be returned to budget ${budget.id}`);
  }
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function formatShare(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
