/**
 * Other consumers of a budget's key, as Groq's headers reveal them. A reconciliation books whatever
 * Groq counted beyond our own bookings as outside spending, and that booking slides out of our window a
 * minute after it was seen. But a neighbour that spent in the last minute will most likely spend as much
 * in the next one, and until our next call to that model shows its new spending we cannot see it: a
 * gateway that filled the window as soon as the old spending slid out would leave it no room, and its
 * requests would be refused for a minute at a time.
 *
 * So the level a neighbour was last seen at (all its spending then in our window, and what Groq counted
 * beyond our count that the reconciliation could not book) is kept free as a whole, with a fifth more
 * for its requests' sizes varying, for a minute after it was seen; over the next two minutes it fades,
 * so a neighbour that stopped gives its room back even if we do not call that model again. What of it
 * our window still books (spending seen within the minute) is not kept twice.
 */
const WINDOW_MS = 60_000;
/** How long the level last seen is kept whole. */
const HOLD_MS = 60_000;
/** Over how long after that it fades to nothing. */
const FADE_MS = 120_000;
/** Kept free beyond the level seen, as a share of it: a neighbour's spending per minute varies. */
const HEADROOM = 1.2;

class Neighbourhood {
  /** Outside spending the reconciliations booked into our window, within the last minute. */
  readonly booked: { at: number; tokens: number }[] = [];
  level = 0;
  levelAt = 0;

  inWindow(now: number): number {
    while (this.booked.length > 0 && (this.booked[0]?.at ?? now) <= now - WINDOW_MS) this.booked.shift();
    let tokens = 0;
    for (const entry of this.booked) tokens += entry.tokens;
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
   * A reconciliation found Groq counting `gap` tokens beyond ours; a positive gap it booked as outside
   * spending. `unbooked` is what of ours Groq had not counted yet (a cap it books only as usage, while
   * the answer streams): it hid that much more outside spending, which the level counts but the
   * window does not hold.
   */
  observe(budgetId: string, gap: number | undefined, unbooked = 0): void {
    if (gap === undefined || !Number.isFinite(gap)) return;
    const booked = Math.max(0, gap);
    const hidden = Math.max(0, gap + Math.max(0, unbooked)) - booked;
    let hood = this.budgets.get(budgetId);
    if (hood === undefined) {
      if (booked + hidden === 0) return;
      hood = new Neighbourhood();
      this.budgets.set(budgetId, hood);
    }
    const now = this.now();
    if (booked > 0) hood.booked.push({ at: now, tokens: booked });
    hood.level = hood.inWindow(now) + hidden;
    hood.levelAt = now;
  }

  /** What the budget's neighbours are taken to spend in a minute now: the level last seen, as it fades. */
  level(budgetId: string): number {
    return this.budgets.get(budgetId)?.faded(this.now()) ?? 0;
  }

  /** Milliseconds until the level has faded to `tokens` at most, unless a later look shows it lower. */
  msUntilLevelAtMost(budgetId: string, tokens: number): number {
    const hood = this.budgets.get(budgetId);
    const now = this.now();
    if (hood === undefined || hood.faded(now) <= tokens) return 0;
    if (!(tokens > 0)) return Math.max(0, hood.levelAt + HOLD_MS + FADE_MS - now);
    const age = HOLD_MS + FADE_MS * (1 - tokens / hood.level);
    return Math.max(0, Math.ceil(hood.levelAt + age - now));
  }

  /** Tokens to keep free in the budget's minute window for its neighbours, beyond what it already books for them. */
  spare(budgetId: string): number {
    const hood = this.budgets.get(budgetId);
    if (hood === undefined) return 0;
    const now = this.now();
    const level = hood.faded(now);
    const booked = hood.inWindow(now);
    if (level === 0 && booked === 0) {
      this.budgets.delete(budgetId);
      return 0;
    }
    return Math.max(0, Math.ceil(HEADROOM * level - booked));
  }
}
