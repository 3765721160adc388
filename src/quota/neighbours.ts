/**
 * Other consumers of a budget's key, as Groq's headers reveal them. A reconciliation books whatever
 * Groq counted beyond our own bookings as outside spending, and that booking slides out of our window a
 * minute after it was seen. But a neighbour that spent in the last minute will most likely spend as much
 * in the next one, and until our next call to that model shows its new spending we cannot see it: a
 * gateway that filled the window as soon as the old spending slid out would leave it no room, and its
 * requests would be refused for a minute at a time.
 *
 * So the level a neighbour was last seen at (all its spending still in our window then) is kept free as
 * a whole, with a fifth more for its requests' sizes varying, for a minute after it was seen; over the
 * next two minutes it fades, so a neighbour that stopped gives its room back even if we do not call that
 * model again. What of it our window still books (spending seen within the minute) is not kept twice.
 *
 * In the first minute the gateway watches a budget, what a neighbour spent so far is only part of its
 * minute: the level is projected to a whole minute from the time watched (at least 20 s of it, at most
 * three times what was seen, and never past half the limit by projection alone: a neighbour seen
 * spending a lot at once is more likely steady than starting), or the gateway fills the window in its
 * first seconds and refuses the neighbour for the rest of the minute.
 */
const WINDOW_MS = 60_000;
/** How long the level last seen is kept whole. */
const HOLD_MS = 60_000;
/** Over how long after that it fades to nothing. */
const FADE_MS = 120_000;
/** Kept free beyond the level seen, as a share of it: a neighbour's spending per minute varies. */
const HEADROOM = 1.2;
/** The least watching time a first minute's level is projected from. */
const MIN_WATCH_MS = 20_000;

class Neighbourhood {
  /** Outside spending booked into our window by reconciliations, within the last minute. */
  readonly seen: { at: number; tokens: number }[] = [];
  level = 0;
  levelAt = 0;

  /** `firstLookAt`: when the gateway first saw this budget's count. */
  constructor(readonly firstLookAt: number) {}

  inWindow(now: number): number {
    while (this.seen.length > 0 && (this.seen[0]?.at ?? now) <= now - WINDOW_MS) this.seen.shift();
    let tokens = 0;
    for (const entry of this.seen) tokens += entry.tokens;
    return tokens;
  }

  faded(now: number): number {
    const age = now - this.levelAt;
    if (age <= HOLD_MS) return this.level;
    return Math.max(0, this.level * (1 - (age - HOLD_MS) / FADE_MS));
  }
}

export class Neighbours {
  private readonly budgets = new Map<string, Neighbourhood>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * A reconciliation found Groq counting `gap` tokens beyond ours (in a window of `limit` tokens). A
   * positive gap was booked as outside spending; either way, what outside spending our window now holds
   * is the neighbours' level.
   */
  observe(budgetId: string, gap: number | undefined, limit: number | null = null): void {
    if (gap === undefined || !Number.isFinite(gap)) return;
    const now = this.now();
    let hood = this.budgets.get(budgetId);
    if (hood === undefined) {
      hood = new Neighbourhood(now);
      this.budgets.set(budgetId, hood);
    }
    if (gap > 0) hood.seen.push({ at: now, tokens: gap });
    const watched = now - hood.firstLookAt;
    const seen = hood.inWindow(now);
    const projected = seen * Math.min(3, WINDOW_MS / Math.max(MIN_WATCH_MS, watched));
    hood.level = watched >= WINDOW_MS ? seen : Math.max(seen, Math.min(projected, limit === null ? Number.POSITIVE_INFINITY : limit / 2));
    hood.levelAt = now;
  }

  /** Tokens to keep free in the budget's windows for its neighbours, beyond what the window already books for them. */
  spare(budgetId: string): number {
    const hood = this.budgets.get(budgetId);
    if (hood === undefined) return 0;
    const now = this.now();
    const level = hood.faded(now);
    const booked = hood.inWindow(now);
    return Math.max(0, Math.ceil(HEADROOM * level - booked));
  }
}
