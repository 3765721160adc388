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
 *
 * In the first minute of looking, the window shows only part of a neighbour's minute when it started
 * spending recently (with the gateway, say): what the first look found covers an unknown span, but
 * what later looks add is its spending since that first look. So until a minute of looks has passed
 * the level is also projected from that rate over a whole minute, and a later look that shows no request
 * of theirs lowers it to the same spending over the longer span. A restarted gateway's own bookings
 * from before the restart show only in the first look (they do not grow), so they are not projected.
 */
const WINDOW_MS = 60_000;
/** How long the level last seen is kept whole. */
const HOLD_MS = 60_000;
/** Over how long after that it fades to nothing. */
const FADE_MS = 120_000;
/** Kept free beyond the level seen, as a share of it: a neighbour's spending per minute varies. */
const HEADROOM = 1.2;
/** A rate seen over less than this is one request's worth of noise, not a rate. */
const MIN_PROJECTION_SPAN_MS = 10_000;

class Neighbourhood {
  /** Outside spending the reconciliations booked into our window, within the last minute. */
  readonly booked: { at: number; tokens: number }[] = [];
  level = 0;
  levelAt = 0;
  /** What the level counted that the window could not hold (see `Neighbours.observe`'s `unbooked`). */
  hidden = 0;

  constructor(
    /** When this budget's outside spending was first looked at, and how much of it that look booked. */
    readonly firstLookAt: number,
    private readonly firstLookTokens: number,
  ) {}

  /** The minute level the spending seen since the first look points to, while that is less than a minute. */
  projected(now: number, inWindow: number): number {
    const span = now - this.firstLookAt;
    if (span < MIN_PROJECTION_SPAN_MS || span >= WINDOW_MS) return 0;
    return ((inWindow - this.firstLookTokens) * WINDOW_MS) / span;
  }

  inWindow(now: number): number {
    while (this.booked.length > 0 && (this.booked[0]?.at ?? now) <= now - WINDOW_MS) this.booked.shift();
    let tokens = 0;
    for (const entry of this.booked) tokens += entry.tokens;
    return tokens;
  }

  /** Keeps nothing, and its first look is no longer what a projection counts from: it may be forgotten. */
  idle(now: number, level = this.faded(now), booked = this.inWindow(now)): boolean {
    return level === 0 && booked === 0 && now - this.firstLookAt >= WINDOW_MS;
  }

  /** The level its spending seen within the minute points to, projected over the first minute of looks. */
  seenLevel(now: number): number {
    const inWindow = this.inWindow(now);
    return Math.max(inWindow, this.projected(now, inWindow)) + this.hidden;
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
   * window does not hold. `outsideRequests` is how many requests Groq counted beyond ours since the
   * last look, when it says (the requests-per-day header counts exactly): with none, the gap is our own
   * estimate's error or how Groq books our caps, not a neighbour, and the level stays as last seen.
   */
  observe(budgetId: string, gap: number | undefined, unbooked = 0, outsideRequests?: number): void {
    if (gap === undefined || !Number.isFinite(gap)) return;
    const quiet = outsideRequests !== undefined && outsideRequests <= 0;
    const booked = Math.max(0, gap);
    const now = this.now();
    let hood = this.budgets.get(budgetId);
    if (hood === undefined) {
      // Budgets of wildcard models may be looked at once and never planned again (where `spare` forgets
      // them): a new one sweeps out those that keep nothing, so they cannot pile up across reloads.
      this.forgetIdle(now);
      // Created at the first look even when it shows nothing: the projection counts from it.
      hood = new Neighbourhood(now, quiet ? 0 : booked);
      this.budgets.set(budgetId, hood);
    }
    if (quiet) {
      // While the level is a projection, a look with no request of theirs since says the rate it came
      // from did not go on: the same spending, over a longer span. It is only ever lowered here.
      if (now - hood.firstLookAt < WINDOW_MS && hood.level > 0) hood.level = Math.min(hood.level, hood.seenLevel(now));
      return;
    }
    hood.hidden = Math.max(0, gap + Math.max(0, unbooked)) - booked;
    if (booked > 0) hood.booked.push({ at: now, tokens: booked });
    hood.level = hood.seenLevel(now);
    hood.levelAt = now;
  }

  /** How many budgets it holds. */
  get size(): number {
    return this.budgets.size;
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
    if (hood.idle(now, level, booked)) {
      this.budgets.delete(budgetId);
      return 0;
    }
    return Math.max(0, Math.ceil(HEADROOM * level - booked));
  }

  private forgetIdle(now: number): void {
    for (const [budgetId, hood] of this.budgets) if (hood.idle(now)) this.budgets.delete(budgetId);
  }
}
