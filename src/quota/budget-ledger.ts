import { UNITS, WINDOWS_BY_UNIT, amountIn, reportedIn, type Unit } from './demand.js';
import { WINDOW_NAMES, WINDOW_SPECS } from './types.js';
import type {
  BudgetSnapshot,
  BudgetSpec,
  Demand,
  ExhaustedWindow,
  Reservation,
  ReserveResult,
  UpstreamView,
  WindowName,
  WindowSnapshot,
} from './types.js';
import { BucketedWindow } from './window.js';

/** The upstream headers that describe a window, and which one: Groq's requests are per DAY, tokens per MINUTE. */
const UPSTREAM_WINDOWS: readonly { readonly window: WindowName; readonly remaining: keyof UpstreamView; readonly reset: keyof UpstreamView }[] = [
  { window: 'tpm', remaining: 'remainingTokens', reset: 'resetTokensMs' },
  { window: 'rpd', remaining: 'remainingRequests', reset: 'resetRequestsMs' },
];

/** The upstream's last word on a window: `remaining` until `until`, less what we booked since. */
interface UpstreamCeiling {
  readonly remaining: number;
  readonly until: number;
  readonly since: number;
  booked: number;
}

/**
 * One budget's counters. Synchronous, and every operation takes the time from its caller, so a store can
 * run check-then-book with nothing in between and keep one clock for everything.
 */
export class BudgetLedger {
  /** All six windows, limited or not, so `/quota` shows usage even where nothing is enforced. */
  private readonly windows = Object.fromEntries(WINDOW_NAMES.map((name) => [name, new BucketedWindow(WINDOW_SPECS[name])])) as Record<
    WindowName,
    BucketedWindow
  >;
  private blockedUntil = 0;
  /** The upstream's remaining quota per window it reports (Groq: tpm and rpd), while it holds. */
  private readonly ceilings = new Map<WindowName, UpstreamCeiling>();
  private upstream: (UpstreamView & { readonly observedAt: number }) | undefined;

  /** Checks every window before booking any, so a refusal leaves no trace. `demand` must be normalised. */
  reserve(budget: BudgetSpec, demand: Demand, now: number): ReserveResult {
    let retryAfterMs = Math.max(0, this.blockedUntil - now);
    const exhausted: ExhaustedWindow[] = [];
    for (const name of WINDOW_NAMES) {
      const { limit } = budget.limits[name];
      const requested = amountIn(demand, WINDOW_SPECS[name].unit);
      if (limit === null || requested === 0) continue;
      const wait = this.windows[name].msUntilFits(now, requested, limit);
      if (wait === 0) continue;
      exhausted.push({ window: name, limit, used: this.windows[name].used(now), requested });
      // Every window must fit at once, and each only gets roomier with time: the longest wait is the answer.
      retryAfterMs = Math.max(retryAfterMs, wait);
    }
    for (const [name] of this.ceilings) {
      const ceiling = this.ceiling(name, now);
      const requested = amountIn(demand, WINDOW_SPECS[name].unit);
      if (ceiling === undefined || requested === 0 || ceiling.booked + requested <= ceiling.remaining) continue;
      const limit = budget.limits[name].limit ?? ceiling.remaining;
      exhausted.push({ window: name, limit, used: limit - (ceiling.remaining - ceiling.booked), requested });
      retryAfterMs = Math.max(retryAfterMs, ceiling.until - now);
    }
    if (retryAfterMs > 0) return { ok: false, refusal: { budgetId: budget.id, retryAfterMs, exhausted } };
    for (const name of WINDOW_NAMES) {
      const amount = amountIn(demand, WINDOW_SPECS[name].unit);
      if (amount > 0) this.windows[name].add(now, amount);
      const ceiling = amount > 0 ? this.ceiling(name, now) : undefined;
      if (ceiling !== undefined) ceiling.booked += amount;
    }
    // The booking time, not a bucket number: windows bucket differently, and each derives its own from it.
    return { ok: true, reservation: { budgetId: budget.id, demand, at: now } };
  }

  /**
   * Replaces the reserved amounts by the reported ones. Savings go back to the reservation's bucket, so the
   * headroom is free at once. Overruns are booked now rather than back-dated: the upstream may have counted
   * them as they were generated, and booking them later keeps them at least as long as it does.
   */
  settle(reservation: Reservation, actual: Partial<Demand>, now: number): void {
    for (const unit of UNITS) {
      const spent = reportedIn(actual, unit);
      if (spent === undefined) continue;
      const delta = spent - amountIn(reservation.demand, unit);
      this.adjustCeilings(reservation, unit, delta, now);
      for (const name of WINDOWS_BY_UNIT[unit]) {
        const window = this.windows[name];
        if (delta < 0) window.adjust(window.bucketOf(reservation.at), delta, now);
        else if (delta > 0) window.add(now, delta);
      }
    }
  }

  release(reservation: Reservation, now: number): void {
    for (const unit of UNITS) {
      const amount = amountIn(reservation.demand, unit);
      if (amount === 0) continue;
      this.adjustCeilings(reservation, unit, -amount, now);
      for (const name of WINDOWS_BY_UNIT[unit]) {
        const window = this.windows[name];
        window.adjust(window.bucketOf(reservation.at), -amount, now);
      }
    }
  }

  /**
   * Adopts the upstream's remaining quota where it is tighter than ours: whatever it counts that we do
   * not (other clients of the key, estimates that fell short) caps what we book until the upstream says
   * its window resets. A looser upstream changes nothing; our own windows still apply.
   */
  observe(view: UpstreamView, now: number): void {
    for (const { window, remaining, reset } of UPSTREAM_WINDOWS) {
      const left = view[remaining];
      if (left === undefined || !Number.isFinite(left) || left < 0) continue;
      // Without a reset time the usage may be anywhere in the window: hold it for the whole window.
      const resetMs = view[reset];
      const holdMs = resetMs !== undefined && Number.isFinite(resetMs) && resetMs >= 0 ? resetMs : WINDOW_SPECS[window].windowMs;
      this.ceilings.set(window, { remaining: left, until: now + holdMs, since: now, booked: 0 });
    }
    const { retryAfterMs } = view;
    if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0) {
      this.blockedUntil = Math.max(this.blockedUntil, now + retryAfterMs);
    }
    this.upstream = { ...view, observedAt: now };
  }

  /** What the upstream's last word still allows in `window`, or `undefined` when it has expired. */
  private ceiling(window: WindowName, now: number): UpstreamCeiling | undefined {
    const ceiling = this.ceilings.get(window);
    if (ceiling === undefined) return undefined;
    if (now >= ceiling.until) {
      this.ceilings.delete(window);
      return undefined;
    }
    return ceiling;
  }

  /** Moves a ceiling's count by what a reservation booked after the ceiling was observed. */
  private adjustCeilings(reservation: Reservation, unit: Unit, delta: number, now: number): void {
    for (const name of WINDOWS_BY_UNIT[unit]) {
      const ceiling = this.ceiling(name, now);
      if (ceiling !== undefined && reservation.at >= ceiling.since) ceiling.booked = Math.max(0, ceiling.booked + delta);
    }
  }

  snapshot(budget: BudgetSpec, now: number): BudgetSnapshot {
    const windows = Object.fromEntries(WINDOW_NAMES.map((name) => [name, this.windowSnapshot(budget, name, now)])) as Record<
      WindowName,
      WindowSnapshot
    >;
    return {
      id: budget.id,
      model: budget.model,
      keyPreview: budget.keyPreview,
      windows,
      at: now,
      blockedUntil: this.blockedUntil > now ? this.blockedUntil : 0,
      upstream: this.upstream,
    };
  }

  private windowSnapshot(budget: BudgetSpec, name: WindowName, now: number): WindowSnapshot {
    const { limit, source } = budget.limits[name];
    const window = this.windows[name];
    const used = window.used(now);
    const ceiling = this.ceiling(name, now);
    const ours = limit === null ? null : Math.max(0, limit - used);
    const upstream = ceiling === undefined ? null : Math.max(0, ceiling.remaining - ceiling.booked);
    const remaining = ours === null ? upstream : upstream === null ? ours : Math.min(ours, upstream);
    return { limit, source, used, remaining, resetMs: window.resetMs(now) };
  }
}
