import { bookingExpiresAt, bookingLifetimeMs, type BudgetSpec, type Demand, type PromisedRefusal, type QuotaStore, type Reservation } from '../quota/types.js';

/** How long past its retry-after a promise waits for its caller before the capacity goes back. */
const GRACE_MS = 10_000;
/** A caller may come back this much before its retry-after (clocks, rounding) and still find its promise. */
const EARLY_MS = 1_000;
/**
 * A due promise whose caller has not come back this long after its time is taken by whichever request
 * of the alias comes next: its caller is late or gone, and the capacity would otherwise sit unused.
 */
const UNCLAIMED_AFTER_MS = 2_000;
/**
 * Promises held per alias at most: enough for the agents one person runs side by side. Past it, callers
 * hear a plain estimate (still counting the promises held), so a flood of callers that never come back
 * cannot push every later caller's wait further and further out.
 */
const MAX_PER_ALIAS = 8;
/** How long a hold (tokens only) counts in its budget's minute window. */
const HOLD_LIFETIME_MS = bookingLifetimeMs('tpm');

interface Promise_ {
  /** Whose it is: the refused request's `claim`, which its retry carries again. */
  readonly claim: string;
  readonly budget: BudgetSpec;
  /** Booked while the promise stands; `undefined` while a redemption has set it aside. */
  hold: Reservation | undefined;
  readonly demand: Demand;
  readonly dueAt: number;
  readonly timer: NodeJS.Timeout;
  /** Redemptions that have set its hold aside and not yet finished. */
  setAside: number;
  /** Taken up, lapsed or replaced: its hold is never booked again. */
  dropped: boolean;
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
 * moment), and given back when that caller comes back at its time, or when nobody has come for it a
 * little after its time. The caller is known by its request's `claim` (who sent it and how large its
 * prompt is): a coding agent sends the same request again after a 429, while the other agents beside it
 * send new ones, which must not take up what was promised to it.
 *
 * Holds are booked when promised, not when due, so a later promise's hold also sits on capacity an
 * earlier one is due: a redeeming request therefore sets the later holds of its budget aside while it
 * books, and they are held again right after. For the same reason a refusal's wait can count on an
 * earlier hold leaving the window a minute after it was promised, where the request it stands for stays
 * booked a minute after it is due: such a caller is told the later moment (`promise` resolves to it).
 */
export class RetryPromises {
  private readonly byAlias = new Map<string, Promise_[]>();

  constructor(
    private readonly quota: QuotaStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Holds the capacity a refused caller was told to come back for. Resolves to the wait it is held for
   * (ms from now): later than the refusal's when the refusal counted on an earlier promise's hold leaving
   * the window, since the request that hold stands for stays booked a window from its due time instead.
   * `undefined` when nothing could be promised (the refusal's wait stands).
   */
  async promise(alias: string, claim: string, promised: PromisedRefusal): Promise<number | undefined> {
    await this.lapse();
    // A caller refused again (back too early, or its promise taken) holds one promise, the latest.
    const earlier = this.byAlias.get(alias)?.find((entry) => entry.claim === claim);
    if (earlier !== undefined) await this.drop(alias, earlier);
    const { budget, refusal } = promised;
    if (!Number.isFinite(refusal.retryAfterMs) || (this.byAlias.get(alias)?.length ?? 0) >= MAX_PER_ALIAS) return undefined;
    // Tokens only: promises keep agents refused together apart on TPM, and a hold is no request.
    const hold = await this.hold(budget, { requests: 0, tokens: refusal.demand.tokens, audioSeconds: refusal.demand.audioSeconds });
    if (hold === undefined) return undefined;
    const now = this.now();
    const dueAt = this.behindEarlierPromises(budget.id, now + refusal.retryAfterMs);
    const entry: Promise_ = {
      claim,
      budget,
      hold,
      demand: hold.demand,
      dueAt,
      timer: setTimeout(() => void this.drop(alias, entry), dueAt - now + GRACE_MS).unref(),
      setAside: 0,
      dropped: false,
    };
    const promises = this.byAlias.get(alias) ?? [];
    promises.push(entry);
    this.byAlias.set(alias, promises);
    return dueAt - now;
  }

  /**
   * When a request found to fit at `fitsAt` really fits: an earlier promise's hold that leaves the
   * window by then was counted as gone, but the request it stands for is booked at its due time and
   * stays a window from then.
   */
  private behindEarlierPromises(budgetId: string, fitsAt: number): number {
    let dueAt = fitsAt;
    for (const entry of this.onBudget(budgetId)) {
      const at = entry.hold?.at;
      // Where the hold's bucket expires, as the store's wait counted it: a hold booked mid-bucket leaves
      // up to a bucket before `at` + its lifetime, and a caller told of that moment was not kept behind it.
      if (at === undefined || bookingExpiresAt('tpm', at) > fitsAt) continue;
      dueAt = Math.max(dueAt, entry.dueAt + HOLD_LIFETIME_MS);
    }
    return dueAt;
  }

  /**
   * A request for `alias` arrived: its own promise, once due, is taken up by it; failing that, the
   * oldest promise whose caller is late. The later holds of that budget are set aside until the
   * returned function is called.
   */
  async redeem(alias: string, claim: string): Promise<Redemption> {
    // Every request comes through here: with nothing promised (the usual case) there is nothing to lapse.
    if (this.byAlias.size === 0) return NOTHING;
    await this.lapse();
    const promises = this.byAlias.get(alias);
    if (promises === undefined) return NOTHING;
    const now = this.now();
    const own = promises.find((entry) => entry.claim === claim);
    const taken = own ?? promises.find((entry) => entry.dueAt + UNCLAIMED_AFTER_MS <= now);
    if (taken === undefined || taken.dueAt > now + EARLY_MS) return NOTHING;
    await this.drop(alias, taken);
    const later = this.onBudget(taken.budget.id);
    await Promise.all(later.map((entry) => this.setAside(entry)));
    let finished = false;
    return {
      tokens: taken.demand.tokens,
      done: async () => {
        if (finished) return;
        finished = true;
        for (const entry of later) await this.holdAgain(entry);
      },
    };
  }

  /** The promises standing on a budget, whichever alias they were made for (aliases can share one). */
  private onBudget(budgetId: string): Promise_[] {
    return [...this.byAlias.values()].flat().filter((entry) => entry.budget.id === budgetId);
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

  /** A redemption books its own request where this hold sits: the hold goes until `holdAgain`. */
  private async setAside(entry: Promise_): Promise<void> {
    entry.setAside++;
    const { hold } = entry;
    entry.hold = undefined;
    if (hold !== undefined) await this.quota.release(entry.budget, hold).catch(() => undefined);
  }

  /** The last redemption that set the hold aside has booked: hold it again, unless the promise is gone. */
  private async holdAgain(entry: Promise_): Promise<void> {
    entry.setAside--;
    if (entry.dropped || entry.setAside > 0 || entry.hold !== undefined) return;
    const hold = await this.hold(entry.budget, entry.demand);
    // Dropped while the hold was being booked: give it straight back.
    if (hold !== undefined && entry.dropped) await this.quota.release(entry.budget, hold).catch(() => undefined);
    else entry.hold = hold;
  }

  private async drop(alias: string, entry: Promise_): Promise<void> {
    clearTimeout(entry.timer);
    const promises = this.byAlias.get(alias);
    const at = promises?.indexOf(entry) ?? -1;
    if (promises === undefined || at === -1) return;
    promises.splice(at, 1);
    if (promises.length === 0) this.byAlias.delete(alias);
    entry.dropped = true;
    const { hold } = entry;
    entry.hold = undefined;
    if (hold !== undefined) await this.quota.release(entry.budget, hold).catch(() => undefined);
  }
}
