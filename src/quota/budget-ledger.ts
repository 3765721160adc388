import { UNITS, WINDOWS_BY_UNIT, amountIn, reportedIn } from './demand.js';
import { REPORTED_WINDOWS, WINDOW_NAMES, WINDOW_SPECS } from './types.js';
import type {
  BudgetSnapshot,
  BudgetSpec,
  Demand,
  ExhaustedWindow,
  Reservation,
  ReserveResult,
  Settlement,
  UpstreamGap,
  UpstreamView,
  WindowName,
  WindowSnapshot,
} from './types.js';
import { BucketedWindow } from './window.js';

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
  private upstream: (UpstreamView & { readonly observedAt: number }) | undefined;

  /**
   * Checks every window before booking any, so a refusal leaves no trace. `demand` must be normalised.
   * A demand with `minTokens` is booked with as many tokens as the token windows have room for, down to
   * that minimum; the refusal's wait is for the minimum.
   */
  reserve(budget: BudgetSpec, asked: Demand, now: number): ReserveResult {
    const demand = this.fitted(budget, asked, now);
    if (demand.hold === true) return { ok: true, reservation: this.book(budget, demand, now) };
    let retryAfterMs = Math.max(0, this.blockedUntil - now);
    const exhausted: ExhaustedWindow[] = [];
    const spare = demand.spare ?? 0;
    for (const name of WINDOW_NAMES) {
      const { limit } = budget.limits[name];
      const { unit } = WINDOW_SPECS[name];
      const requested = amountIn(demand, unit);
      if (limit === null || requested === 0) continue;
      // Room kept for other consumers is minute room, and never makes a request that fits the limit alone
      // one that never fits: such a request waits for the window to empty.
      const kept = name === 'tpm' ? Math.min(spare, Math.max(0, limit - requested)) : 0;
      const wait = this.windows[name].msUntilFits(now, requested + kept, limit);
      if (wait === 0) continue;
      exhausted.push({ window: name, limit, used: this.windows[name].used(now), requested });
      // Every window must fit at once, and each only gets roomier with time: the longest wait is the answer.
      retryAfterMs = Math.max(retryAfterMs, wait);
    }
    if (retryAfterMs > 0) return { ok: false, refusal: { budgetId: budget.id, demand: { requests: demand.requests, tokens: demand.tokens, audioSeconds: demand.audioSeconds }, retryAfterMs, exhausted } };
    return { ok: true, reservation: this.book(budget, demand, now) };
  }

  private book(budget: BudgetSpec, demand: Demand, now: number): Reservation {
    for (const name of WINDOW_NAMES) {
      const amount = amountIn(demand, WINDOW_SPECS[name].unit);
      if (amount > 0) this.windows[name].add(now, amount);
    }
    // The booking time, not a bucket number: windows bucket differently, and each derives its own from it.
    return { budgetId: budget.id, demand: { requests: demand.requests, tokens: demand.tokens, audioSeconds: demand.audioSeconds }, at: now };
  }

  /** The demand with as many tokens as fit now, between its minimum and its maximum. */
  private fitted(budget: BudgetSpec, demand: Demand, now: number): Demand {
    const { minTokens } = demand;
    if (minTokens === undefined) return demand;
    let room = Number.POSITIVE_INFINITY;
    for (const name of WINDOWS_BY_UNIT.tokens) {
      const { limit } = budget.limits[name];
      const kept = name === 'tpm' ? (demand.spare ?? 0) : 0;
      if (limit !== null) room = Math.min(room, limit - this.windows[name].used(now) - kept);
    }
    return fitTokens(demand, room);
  }

  /**
   * Replaces the reserved amounts by the reported ones. Savings go back to the reservation's bucket, so the
   * headroom is free at once. Overruns are booked now rather than back-dated: the upstream may have counted
   * them as they were generated, and booking them later keeps them at least as long as it does. When the
   * upstream may have admitted the request so long after we booked it (`admittedMsAgo`) that the booking's
   * grace does not cover the difference, what stays booked is moved to the earliest bucket that does,
   * reported or not; within the grace nothing moves, so a `retry-after` given while it was in flight holds.
   */
  settle(reservation: Reservation, actual: Settlement, now: number): void {
    const admitted = actual.admittedMsAgo === undefined || !(actual.admittedMsAgo >= 0) ? reservation.at : Math.max(reservation.at, now - actual.admittedMsAgo);
    for (const unit of UNITS) {
      const reserved = amountIn(reservation.demand, unit);
      const spent = reportedIn(actual, unit) ?? (admitted > reservation.at ? reserved : undefined);
      if (spent === undefined) continue;
      // Tokens the upstream counts from the end of the answer are booked now, the rest where they were.
      const atEnd = unit === 'tokens' ? Math.min(spent, Math.max(0, actual.tokensAtEnd ?? 0)) : 0;
      const stays = spent - atEnd;
      for (const name of WINDOWS_BY_UNIT[unit]) {
        const window = this.windows[name];
        const booked = window.bucketOf(reservation.at);
        const admittedIn = window.coveringBucket(admitted);
        if (admittedIn > booked) {
          const kept = Math.min(stays, reserved);
          window.adjust(booked, -reserved, now);
          if (kept > 0) window.adjust(admittedIn, kept, now);
          if (stays > reserved) window.add(now, stays - reserved);
        } else if (stays < reserved) window.adjust(booked, stays - reserved, now);
        else if (stays > reserved) window.add(now, stays - reserved);
        if (atEnd > 0) window.add(now, atEnd);
      }
    }
  }

  release(reservation: Reservation, now: number): void {
    for (const unit of UNITS) {
      const amount = amountIn(reservation.demand, unit);
      if (amount === 0) continue;
      for (const name of WINDOWS_BY_UNIT[unit]) {
        const window = this.windows[name];
        window.adjust(window.bucketOf(reservation.at), -amount, now);
      }
    }
  }

  /**
   * Reconciles our count with the upstream's. In each window it reports (Groq: tokens per minute,
   * requests per day), whatever it counted beyond our bookings (another consumer of the key, a completion
   * cap it keeps for the window, a prompt it counts larger) is booked now as outside spending, which
   * slides out of the window like our own. A smaller upstream count books nothing: the difference is our
   * own requests in flight, which settle by themselves. A 429's retry-after closes the budget until then.
   */
  observe(budget: BudgetSpec, view: UpstreamView, now: number): UpstreamGap {
    const gap: { -readonly [K in keyof UpstreamGap]: number } = {};
    for (const { window, limit: limitField, remaining: remainingField } of REPORTED_WINDOWS) {
      const counted = upstreamCount(view[limitField] ?? budget.limits[window].limit ?? undefined, view[remainingField]);
      if (counted === undefined) continue;
      const ours = this.windows[window].used(now);
      gap[window as 'tpm' | 'rpd'] = counted - ours;
      if (counted > ours) this.windows[window].add(now, counted - ours);
    }
    const { retryAfterMs } = view;
    if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0) {
      this.blockedUntil = Math.max(this.blockedUntil, now + retryAfterMs);
    }
    // Field by field rather than a spread and one more key, which costs V8 a shape lookup per answer.
    this.upstream = {
      limitRequests: view.limitRequests,
      remainingRequests: view.remainingRequests,
      resetRequestsMs: view.resetRequestsMs,
      limitTokens: view.limitTokens,
      remainingTokens: view.remainingTokens,
      resetTokensMs: view.resetTokensMs,
      retryAfterMs: view.retryAfterMs,
      observedAt: now,
    };
    return gap;
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
    return { limit, source, used, remaining: limit === null ? null : Math.max(0, limit - used), resetMs: window.resetMs(now) };
  }
}

/** What the upstream counts as used in a window: its limit less what it says remains. */
export function upstreamCount(limit: number | undefined, remaining: number | undefined): number | undefined {
  if (limit === undefined || remaining === undefined || !Number.isFinite(limit) || !Number.isFinite(remaining) || remaining < 0) return undefined;
  return Math.max(0, limit - remaining);
}

/** `demand` booked with as many tokens as `room` holds, never more than asked nor fewer than its minimum. */
function fitTokens(demand: Demand, room: number): Demand {
  const { minTokens } = demand;
  if (minTokens === undefined) return demand;
  const tokens = Math.max(minTokens, Math.min(demand.tokens, Math.floor(room)));
  return { requests: demand.requests, tokens, audioSeconds: demand.audioSeconds, ...(demand.spare === undefined ? {} : { spare: demand.spare }) };
}
