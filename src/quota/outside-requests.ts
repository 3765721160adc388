/**
 * How many requests Groq counted beyond ours since the last look at a budget, from the requests-per-day
 * gap (Groq's count less ours; the per-day header counts requests exactly). A reconciliation raises our
 * count to Groq's whenever Groq's is higher, so from a gap of zero or more the next gap is new requests of
 * others. Our count may also stay above Groq's: requests of ours it has not seen yet, or a day window it
 * refills differently from ours (its documentation gives only the header's reset time). Then the gap stays
 * below zero, and only how far it rose since the last look is new; read as it is, every look would seem
 * quiet however many requests another consumer made.
 */
export class OutsideRequests {
  /** The last gap below zero, per budget: how far our count is above Groq's since then. */
  private readonly above = new Map<string, number>();

  since(budgetId: string, rpdGap: number | undefined): number | undefined {
    if (rpdGap === undefined || !Number.isFinite(rpdGap)) return undefined;
    const before = this.above.get(budgetId) ?? 0;
    if (rpdGap < 0) this.above.set(budgetId, rpdGap);
    else this.above.delete(budgetId);
    return rpdGap - before;
  }
}
