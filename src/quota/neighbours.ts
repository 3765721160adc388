/**
 * Other consumers of a budget's key, as Groq's headers reveal them: the tokens its count held beyond
 * ours, summed over the last minute. A gateway that packs every window full leaves such a neighbour no
 * room for its next request; keeping a share of what it spends free keeps it served.
 */
const WINDOW_MS = 60_000;
/** Of what a neighbour spent in the last minute, the share kept free for it. */
const SPARE_SHARE = 0.25;

export class Neighbours {
  private readonly seen = new Map<string, { at: number; tokens: number }[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A reconciliation found Groq counting `gap` tokens beyond ours (only positive gaps are spending). */
  observe(budgetId: string, gap: number | undefined): void {
    if (gap === undefined || !(gap > 0)) return;
    const entries = this.seen.get(budgetId) ?? [];
    entries.push({ at: this.now(), tokens: gap });
    this.seen.set(budgetId, entries);
  }

  /** Tokens to keep free in the budget's windows for its neighbours. */
  spare(budgetId: string): number {
    const entries = this.seen.get(budgetId);
    if (entries === undefined) return 0;
    const since = this.now() - WINDOW_MS;
    while (entries.length > 0 && (entries[0]?.at ?? 0) <= since) entries.shift();
    if (entries.length === 0) {
      this.seen.delete(budgetId);
      return 0;
    }
    return Math.ceil(SPARE_SHARE * entries.reduce((sum, entry) => sum + entry.tokens, 0));
  }
}
