import { BudgetLedger } from './budget-ledger.js';
import { normaliseDemand } from './demand.js';
import type { BudgetSnapshot, BudgetSpec, Demand, QuotaStore, Reservation, ReserveResult, Settlement, UpstreamGap, UpstreamView } from './types.js';
import { FinishedReservations } from './finished-reservations.js';
import { entryOf } from '../map-entry.js';

export interface MemoryQuotaStoreOptions {
  /** The one clock behind every decision (ms); injectable so tests can move time by hand. */
  readonly now?: () => number;
}

/**
 * Budgets for a single gateway process. Each call does all its work synchronously before its promise
 * settles, so concurrent requests cannot interleave between a check and its booking.
 */
export class MemoryQuotaStore implements QuotaStore {
  readonly kind = 'memory';
  readonly degraded = false;
  private readonly clock: () => number;
  private latest = Number.NEGATIVE_INFINITY;
  private readonly ledgers = new Map<string, BudgetLedger>();
  /**
   * Reservations already settled or released: a second settle, or a release in a `finally` after a settle,
   * would otherwise return headroom that other requests are using.
   */
  private readonly finished = new FinishedReservations();

  constructor(options: MemoryQuotaStoreOptions = {}) {
    this.clock = options.now ?? Date.now;
  }

  async reserve(budget: BudgetSpec, demand: Demand): Promise<ReserveResult> {
    return this.ledger(budget).reserve(budget, normaliseDemand(demand), this.now());
  }

  async settle(budget: BudgetSpec, reservation: Reservation, actual: Settlement): Promise<void> {
    if (!this.finished.finish(budget, reservation)) return;
    this.ledger(budget).settle(reservation, actual, this.now());
  }

  async release(budget: BudgetSpec, reservation: Reservation): Promise<void> {
    if (!this.finished.finish(budget, reservation)) return;
    this.ledger(budget).release(reservation, this.now());
  }

  async observe(budget: BudgetSpec, view: UpstreamView): Promise<UpstreamGap> {
    return this.ledger(budget).observe(budget, view, this.now());
  }

  async snapshot(budget: BudgetSpec): Promise<BudgetSnapshot> {
    return this.ledger(budget).snapshot(budget, this.now());
  }

  async close(): Promise<void> {}

  private ledger(budget: BudgetSpec): BudgetLedger {
    return entryOf(this.ledgers, budget.id, () => new BudgetLedger());
  }


  /** Never earlier than a time already used: a clock stepping back must not reorder bookings. */
  private now(): number {
    const t = this.clock();
    if (t > this.latest) this.latest = t;
    return this.latest;
  }
}
