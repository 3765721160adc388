import type { BudgetSpec, Demand, PromisedRefusal, QuotaStore, Reservation } from '../quota/types.js';

/** How long past its retry-after a promise waits for its caller before the capacity goes back. */
const GRACE_MS = 10_000;
/** A caller may come back this much before its retry-after (clocks, rounding) and still find its promise. */
const EARLY_MS = 1_000;
/**
 * Promises held per alias at most: enough for the agents one person runs side by side. Past it, callers
 * hear a plain estimate (still counting the promises held), so a flood of callers that never come back
 * cannot push every later caller's wait further and further out.
 */
const MAX_PER_ALIAS = 8;

interface Promise_ {
  readonly budget: BudgetSpec;
  hold: Reservation;
  readonly dueAt: number;
  readonly timer: NodeJS.Timeout;
}

/** A promise taken up by a request. */
export interface Redemption {
  /** The most tokens the request may book: what was promised, so it leaves later promises their room. */
  readonly tokens: number | undefined;
  /** Called when the request has booked (or failed): holds again what was set aside for it. */
  done(): Promise<void>;
}

const NOTHING: Redemption = { tokens: undefined, done: async () => {} };

/**
 * Makes a refusal's `retry-after` a promise. When every deployment of a chain is out of budget, the
 * caller is told when its request first fits; several callers refused together would all be told the
 * same moment, and all but one refused again when they come back. So the capacity is held for the
 * caller now (booked in its budget whatever the limits, so everyone refused after it hears a later
 * moment), and given back when a request for the same alias comes at its time, oldest promise first, or
 * when nobody has come for it a little after its time.
 *
 * Holds are booked when promised, not when due, so a later promise's hold also sits on capacity an
 * earlier one is due: a redeeming request therefore sets the later holds of its budget aside while it
 * books, and they are held again right after.
 */
export class RetryPromises {
  private readonly byAlias = new Map<string, Promise_[]>();

  constructor(
    private readonly quota: QuotaStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Holds the capacity a refused caller was told to come back for. */
  async promise(alias: string, promised: PromisedRefusal): Promise<void> {
    await this.lapse();
    const { budget, refusal } = promised;
    if (!Number.isFinite(refusal.retryAfterMs) || (this.byAlias.get(alias)?.length ?? 0) >= MAX_PER_ALIAS) return;
    // Tokens only: promises keep agents refused together apart on TPM, and a hold is no request.
    const hold = await this.hold(budget, { requests: 0, tokens: refusal.demand.tokens, audioSeconds: refusal.demand.audioSeconds });
    if (hold === undefined) return;
    const entry: Promise_ = {
      budget,
      hold,
      dueAt: this.now() + refusal.retryAfterMs,
      timer: setTimeout(() => void this.drop(alias, entry), refusal.retryAfterMs + GRACE_MS).unref(),
    };
    const promises = this.byAlias.get(alias) ?? [];
    promises.push(entry);
    this.byAlias.set(alias, promises);
  }

  /**
   * A request for `alias` arrived: the oldest promise that has come due is taken up by it, and the later
   * holds of that budget are set aside until the returned function is called.
   */
  async redeem(alias: string): Promise<Redemption> {
    await this.lapse();
    const oldest = this.byAlias.get(alias)?.[0];
    if (oldest === undefined || oldest.dueAt > this.now() + EARLY_MS) return NOTHING;
    await this.drop(alias, oldest);
    const later = [...this.byAlias.values()].flat().filter((entry) => entry.budget.id === oldest.budget.id);
    await Promise.all(later.map((entry) => this.quota.release(entry.budget, entry.hold).catch(() => undefined)));
    return {
      tokens: oldest.hold.demand.tokens,
      done: async () => {
        for (const entry of later) {
          const hold = await this.hold(entry.budget, entry.hold.demand);
          if (hold !== undefined) entry.hold = hold;
        }
      },
    };
  }

  /** Gives back the promises nobody came for (their timers do too; this keeps to the budgets' clock). */
  private async lapse(): Promise<void> {
    const now = this.now();
    for (const [alias, promises] of [...this.byAlias]) {
      for (const entry of promises.filter((p) => p.dueAt + GRACE_MS < now)) await this.drop(alias, entry);
    }
  }

  /** Books `demand` whatever the limits; a store that cannot leaves the retry-after a plain estimate. */
  private async hold(budget: BudgetSpec, demand: Demand): Promise<Reservation | undefined> {
    const held = await this.quota.reserve(budget, { ...demand, hold: true }).catch(() => undefined);
    return held?.ok === true ? held.reservation : undefined;
  }

  private async drop(alias: string, entry: Promise_): Promise<void> {
    clearTimeout(entry.timer);
    const promises = this.byAlias.get(alias);
    const at = promises?.indexOf(entry) ?? -1;
    if (promises === undefined || at === -1) return;
    promises.splice(at, 1);
    if (promises.length === 0) this.byAlias.delete(alias);
    await this.quota.release(entry.budget, entry.hold).catch(() => undefined);
  }
}
