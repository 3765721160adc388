import { describe, expect, it } from 'vitest';
import { WINDOW_NAMES, WINDOW_SPECS, bookingLifetimeMs, type BudgetSpec, type QuotaStore, type WindowName } from '../../src/quota/types.js';
import { reservationOf, retryAfterOf, testBudget as budget, testDemand as demand } from './redis-testing.js';

/**
 * What every QuotaStore must do, the same for each: one suite, run against the in-memory store
 * (src/quota/memory-store.test.ts) and the Redis store (src/quota/redis-store.test.ts), both on a clock
 * the test moves by hand.
 */

export const MINUTE = WINDOW_SPECS.tpm.windowMs;
const TPM_BUCKET = WINDOW_SPECS.tpm.bucketMs;
const RPD_BUCKET = WINDOW_SPECS.rpd.bucketMs;
/** How long a minute-window booking counts from its bucket's start: the bucket, its grace, the window. */
export const TPM_HOLD = bookingLifetimeMs('tpm');
/** A bucket boundary, so expiries below are exact multiples of the window. */
export const START = 1_000 * RPD_BUCKET;

/** A clock the test moves by hand, starting at a bucket boundary. */
export class FakeClock {
  constructor(public t = START) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

async function used(store: QuotaStore, spec: BudgetSpec): Promise<Record<WindowName, number>> {
  const { windows } = await store.snapshot(spec);
  return Object.fromEntries(WINDOW_NAMES.map((name) => [name, windows[name].used])) as Record<WindowName, number>;
}

/** Runs the contract against the stores `open` makes, each on the clock it is given. */
export function quotaStoreContract(name: string, open: (now: () => number) => Promise<QuotaStore>): void {
  async function setup(): Promise<{ clock: FakeClock; store: QuotaStore }> {
    const clock = new FakeClock();
    return { clock, store: await open(clock.now) };
  }

  describe(`${name}: the QuotaStore contract`, () => {
  describe('reserve', () => {
    it('books requests, tokens and audio in all six windows, limited or not', async () => {
      const { store } = await setup();
      const spec = budget({ tpm: 1_000 });
      const reservation = reservationOf(await store.reserve(spec, demand(100, { audioSeconds: 12.5 })));
      expect(reservation).toEqual({ budgetId: spec.id, demand: { requests: 1, tokens: 100, audioSeconds: 12.5 }, at: START });
      expect(await used(store, spec)).toEqual({ rpm: 1, rpd: 1, tpm: 100, tpd: 100, ash: 12.5, asd: 12.5 });
    });

    it('books nothing anywhere when one window refuses', async () => {
      const { store } = await setup();
      const spec = budget({ rpm: 10, tpm: 1_000, tpd: 100 });
      reservationOf(await store.reserve(spec, demand(80)));
      const result = await store.reserve(spec, demand(30));
      expect(result).toEqual({
        ok: false,
        refusal: { budgetId: spec.id, demand: demand(30), retryAfterMs: expect.any(Number), exhausted: [{ window: 'tpd', limit: 100, used: 80, requested: 30 }] },
      });
      expect(await used(store, spec)).toEqual({ rpm: 1, rpd: 1, tpm: 80, tpd: 80, ash: 0, asd: 0 });
    });

    it('refuses for good a demand larger than the limit, booking nothing', async () => {
      const { store } = await setup();
      const spec = budget({ tpm: 100 });
      expect(retryAfterOf(await store.reserve(spec, demand(101)))).toBe(Number.POSITIVE_INFINITY);
      expect((await used(store, spec)).rpm).toBe(0);
    });

    it('gives a retry-after at which the same demand is admitted, and not a millisecond sooner', async () => {
      const { clock, store } = await setup();
      const spec = budget({ tpm: 100 });
      reservationOf(await store.reserve(spec, demand(60)));
      clock.advance(10_000);
      reservationOf(await store.reserve(spec, demand(30)));
      const retryAfterMs = retryAfterOf(await store.reserve(spec, demand(50)));
      // The first 60 tokens must go: booked at START, they count until START + bucket + window.
      expect(retryAfterMs).toBe(START + TPM_HOLD - clock.t);
      clock.advance(retryAfterMs - 1);
      expect(retryAfterOf(await store.reserve(spec, demand(50)))).toBe(1);
      clock.advance(1);
      expect((await store.reserve(spec, demand(50))).ok).toBe(true);
    });

    it('waits for the slowest exhausted window', async () => {
      const { clock, store } = await setup();
      const spec = budget({ rpm: 2, tpm: 100 });
      reservationOf(await store.reserve(spec, demand(2)));
      clock.advance(20_000);
      reservationOf(await store.reserve(spec, demand(95)));
      clock.advance(10_000);
      const result = await store.reserve(spec, demand(10));
      if (result.ok) throw new Error('expected a refusal');
      expect(result.refusal.exhausted.map((e) => e.window)).toEqual(['rpm', 'tpm']);
      // rpm frees up when the first request expires, tpm only when the 95 tokens do.
      expect(result.refusal.retryAfterMs).toBe(START + 20_000 + TPM_HOLD - clock.t);
    });

    it('admits exactly the limit when reservations race', async () => {
      const { store } = await setup();
      const spec = budget({ rpm: 3 });
      const results = await Promise.all(Array.from({ length: 5 }, () => store.reserve(spec, demand(1))));
      expect(results.filter((r) => r.ok)).toHaveLength(3);
    });

    it('adds up reservations from deployments sharing a budget id, and keeps other ids apart', async () => {
      const { store } = await setup();
      const first = budget({ tpm: 100 });
      const second = budget({ tpm: 100 });
      const otherKey = budget({ tpm: 100 }, 'llama-3.1-8b-instant#ba9876543210');
      reservationOf(await store.reserve(first, demand(60)));
      reservationOf(await store.reserve(second, demand(40)));
      expect((await store.reserve(first, demand(1))).ok).toBe(false);
      expect((await used(store, second)).tpm).toBe(100);
      expect((await store.reserve(otherKey, demand(100))).ok).toBe(true);
    });

    it('books a shrinkable demand with as many tokens as fit, between its minimum and its maximum', async () => {
      const { store } = await setup();
      const spec = budget({ tpm: 1_000, tpd: 10_000 });
      expect(reservationOf(await store.reserve(spec, demand(800, { minTokens: 300 }))).demand.tokens).toBe(800);
      // 200 left: the minimum does not fit, and the wait is for the minimum.
      const refusal = await store.reserve(spec, demand(800, { minTokens: 300 }));
      if (refusal.ok) throw new Error('expected a refusal');
      expect(refusal.refusal.exhausted).toEqual([{ window: 'tpm', limit: 1_000, used: 800, requested: 300 }]);
      expect(reservationOf(await store.reserve(spec, demand(800, { minTokens: 150 }))).demand).toEqual({ requests: 1, tokens: 200, audioSeconds: 0 });
    });

    it('leaves a spare in the token windows free beyond the booking, and books only the demand', async () => {
      const { store } = await setup();
      const spec = budget({ tpm: 1_000 });
      reservationOf(await store.reserve(spec, demand(600)));
      expect((await store.reserve(spec, demand(300, { spare: 200 }))).ok).toBe(false);
      const fitted = reservationOf(await store.reserve(spec, demand(300, { spare: 200, minTokens: 100 })));
      expect(fitted.demand).toEqual({ requests: 1, tokens: 200, audioSeconds: 0 });
      expect((await used(store, spec)).tpm).toBe(800);
    });

    it('waits for an empty window, not forever, when a request fits the limit alone but not beside the spare', async () => {
      const { clock, store } = await setup();
      const spec = budget({ tpm: 1_000 });
      reservationOf(await store.reserve(spec, demand(200)));
      // 700 beside 500 kept for others is more than the limit: it waits for the window to empty, not forever,
      expect(retryAfterOf(await store.reserve(spec, demand(700, { spare: 500 })))).toBe(TPM_HOLD);
      clock.advance(TPM_HOLD);
      // and then goes in.
      reservationOf(await store.reserve(spec, demand(700, { spare: 500 })));
    });

    it('keeps the spare free in the minute window only', async () => {
      const { store } = await setup();
      const spec = budget({ tpm: 10_000, tpd: 1_000 });
      reservationOf(await store.reserve(spec, demand(800, { spare: 500 })));
      // Shrinkable: the day's room decides, with no spare taken from it.
      expect(reservationOf(await store.reserve(spec, demand(300, { spare: 500, minTokens: 100 }))).demand.tokens).toBe(200);
    });

    it('books a hold whatever the limits, and others are told to wait behind it', async () => {
      const { clock, store } = await setup();
      const spec = budget({ tpm: 1_000 });
      reservationOf(await store.reserve(spec, demand(900)));
      clock.advance(10_000);
      const hold = reservationOf(await store.reserve(spec, demand(500, { hold: true })));
      expect(hold.demand).toEqual({ requests: 1, tokens: 500, audioSeconds: 0 });
      expect((await used(store, spec)).tpm).toBe(1_400);
      // 600 more needs both the 900 and the hold gone: a window after the hold was booked.
      expect(retryAfterOf(await store.reserve(spec, demand(600)))).toBe(TPM_HOLD);
      await store.release(spec, hold);
      expect((await used(store, spec)).tpm).toBe(900);
    });

    it('counts every call as at least one request and junk amounts as nothing', async () => {
      const { store } = await setup();
      const spec = budget({});
      const reservation = reservationOf(await store.reserve(spec, { requests: 0, tokens: Number.NaN, audioSeconds: -3 }));
      expect(reservation.demand).toEqual({ requests: 1, tokens: 0, audioSeconds: 0 });
      expect(await used(store, spec)).toEqual({ rpm: 1, rpd: 1, tpm: 0, tpd: 0, ash: 0, asd: 0 });
    });
  });

  describe('limits of 0 and null', () => {
    it('0 admits nothing, forever', async () => {
      const { store } = await setup();
      const result = await store.reserve(budget({ rpd: 0 }), demand(1));
      expect(result).toEqual({
        ok: false,
        refusal: { budgetId: expect.any(String), demand: demand(1), retryAfterMs: Number.POSITIVE_INFINITY, exhausted: [{ window: 'rpd', limit: 0, used: 0, requested: 1 }] },
      });
    });

    it('0 does not refuse a demand that spends nothing in its unit', async () => {
      const { store } = await setup();
      const spec = budget({ ash: 0, asd: 0 });
      expect((await store.reserve(spec, demand(500))).ok).toBe(true);
      expect(retryAfterOf(await store.reserve(spec, demand(0, { audioSeconds: 1 })))).toBe(Number.POSITIVE_INFINITY);
    });

    it('null enforces nothing but still counts usage', async () => {
      const { store } = await setup();
      const spec = budget({});
      for (let i = 0; i < 1_000; i++) reservationOf(await store.reserve(spec, demand(1_000_000)));
      const { windows } = await store.snapshot(spec);
      expect(windows.tpm).toEqual({ limit: null, source: 'none', used: 1_000_000_000, remaining: null, resetMs: TPM_HOLD });
    });
  });

  describe('settle and release', () => {
    it('settling below the estimate frees the headroom at once', async () => {
      const { store } = await setup();
      const spec = budget({ tpm: 100 });
      const reservation = reservationOf(await store.reserve(spec, demand(100)));
      expect((await store.reserve(spec, demand(50))).ok).toBe(false);
      await store.settle(spec, reservation, { tokens: 40 });
      expect((await store.reserve(spec, demand(50))).ok).toBe(true);
      expect(await used(store, spec)).toEqual({ rpm: 2, rpd: 2, tpm: 90, tpd: 90, ash: 0, asd: 0 });
    });

    it('books an overrun when it is reported, so it lasts a full window from then', async () => {
      const { clock, store } = await setup();
      const spec = budget({ tpm: 1_000 });
      const reservation = reservationOf(await store.reserve(spec, demand(10)));
      clock.advance(30_000);
      await store.settle(spec, reservation, { tokens: 50 });
      expect((await used(store, spec)).tpm).toBe(50);
      clock.advance(START + TPM_HOLD - clock.t);
      expect((await used(store, spec)).tpm).toBe(40);
    });

    it('leaves usage booked after the reservation expired alone', async () => {
      const { clock, store } = await setup();
      const spec = budget({});
      const reservation = reservationOf(await store.reserve(spec, demand(50)));
      clock.advance(MINUTE + TPM_BUCKET);
      reservationOf(await store.reserve(spec, demand(30)));
      await store.settle(spec, reservation, { tokens: 0 });
      const after = await used(store, spec);
      // The minute window already dropped the 50; the day window still held them and gives them back.
      expect(after.tpm).toBe(30);
      expect(after.tpd).toBe(30);
    });

    it('books the tokens counted from the end of an answer at the settle, the rest back at the reservation', async () => {
      const { clock, store } = await setup();
      const spec = budget({ tpm: 1_000 });
      const reservation = reservationOf(await store.reserve(spec, demand(900)));
      clock.advance(5_000);
      await store.settle(spec, reservation, { tokens: 500, tokensAtEnd: 200 });
      expect((await used(store, spec)).tpm).toBe(500);
      // The prompt's 300 expire with the reservation; the completion's 200 count a window from the settle.
      clock.advance(TPM_HOLD - 5_000);
      expect((await used(store, spec)).tpm).toBe(200);
      clock.advance(5_000);
      expect((await used(store, spec)).tpm).toBe(0);
    });

    it('moves what stays booked to when the upstream admitted the request at the latest, so it counts as long as the upstream’s booking', async () => {
      const { clock, store } = await setup();
      const spec = budget({ tpm: 1_000, rpm: 10 });
      const reservation = reservationOf(await store.reserve(spec, demand(900)));
      // The request reached the upstream 1.5 s after we booked it (its headers came then); the answer ended 0.5 s later.
      clock.advance(2_000);
      await store.settle(spec, reservation, { tokens: 500, tokensAtEnd: 200, admittedMsAgo: 500 });
      expect(await used(store, spec)).toMatchObject({ rpm: 1, tpm: 500 });
      // Booked at START, it would be gone here; admitted at START + 1.5 s, half a second more than the
      // booking's grace covers, it moves that half second: the prompt's 300 and the request still count.
      clock.advance(START + TPM_HOLD - clock.t);
      expect(await used(store, spec)).toMatchObject({ rpm: 1, tpm: 500 });
      clock.advance(1_500);
      expect(await used(store, spec)).toMatchObject({ rpm: 0, tpm: 200 });
      clock.advance(500);
      expect((await used(store, spec)).tpm).toBe(0);
    });

    it('books nothing again for a request admitted so long ago that its minute is over', async () => {
      const { clock, store } = await setup();
      const spec = budget({ tpm: 1_000 });
      const reservation = reservationOf(await store.reserve(spec, demand(300)));
      clock.advance(TPM_HOLD + 10_000);
      // Admitted 5 s after the booking, 61 s ago and more: both buckets have left the minute.
      await store.settle(spec, reservation, { tokens: 300, admittedMsAgo: TPM_HOLD + 5_000 });
      expect(await used(store, spec)).toMatchObject({ rpm: 0, tpm: 0, tpd: 300 });
    });

    it('keeps a booking where it was when the upstream admitted it within the booking’s grace, so a retry-after given meanwhile holds', async () => {
      const { clock, store } = await setup();
      const spec = budget({ tpm: 1_000 });
      const first = reservationOf(await store.reserve(spec, demand(300)));
      const second = reservationOf(await store.reserve(spec, demand(300)));
      clock.advance(2_000);
      await store.settle(spec, first, { tokens: 300, admittedMsAgo: 1_200 });
      await store.settle(spec, second, { tokens: 300, admittedMsAgo: 2_000 });
      clock.advance(START + TPM_HOLD - clock.t);
      expect((await used(store, spec)).tpm).toBe(0);
    });

    it('settles only the units reported', async () => {
      const { store } = await setup();
      const spec = budget({});
      const reservation = reservationOf(await store.reserve(spec, demand(100, { audioSeconds: 30 })));
      await store.settle(spec, reservation, { tokens: 20, audioSeconds: Number.NaN });
      expect(await used(store, spec)).toEqual({ rpm: 1, rpd: 1, tpm: 20, tpd: 20, ash: 30, asd: 30 });
    });

    it('release returns the whole reservation in every window', async () => {
      const { clock, store } = await setup();
      const spec = budget({ rpm: 1, tpm: 100 });
      const reservation = reservationOf(await store.reserve(spec, demand(100, { audioSeconds: 3 })));
      clock.advance(5_000);
      await store.release(spec, reservation);
      expect(await used(store, spec)).toEqual({ rpm: 0, rpd: 0, tpm: 0, tpd: 0, ash: 0, asd: 0 });
      expect((await store.reserve(spec, demand(100))).ok).toBe(true);
    });

    it('finishes a reservation once: a second settle or release changes nothing', async () => {
      const { store } = await setup();
      const spec = budget({});
      const first = reservationOf(await store.reserve(spec, demand(30)));
      reservationOf(await store.reserve(spec, demand(40)));
      await store.settle(spec, first, { tokens: 10 });
      await store.release(spec, first);
      await store.settle(spec, first, { tokens: 0 });
      expect((await used(store, spec)).tpm).toBe(50);
    });

    it('refuses to return a reservation to another budget', async () => {
      const { store } = await setup();
      const reservation = reservationOf(await store.reserve(budget({}), demand(30)));
      await expect(store.release(budget({}, 'other#000000000000'), reservation)).rejects.toThrow(/other budget|cannot be returned/);
    });

    it('does not leave rounding dust from fractional amounts', async () => {
      const { store } = await setup();
      const spec = budget({});
      const reservations = [];
      for (const seconds of [0.1, 0.2, 0.7, 1.3]) reservations.push(reservationOf(await store.reserve(spec, demand(0, { audioSeconds: seconds }))));
      for (const reservation of reservations) await store.release(spec, reservation);
      expect((await store.snapshot(spec)).windows.ash).toMatchObject({ used: 0, resetMs: 0 });
    });
  });

  describe('observe', () => {
    it('books what the upstream counts beyond ours as outside spending, which slides out like a booking', async () => {
      const { clock, store } = await setup();
      const spec = budget({ tpm: 1_000 });
      expect(await store.observe(spec, { remainingTokens: 0, resetTokensMs: 7_660 })).toEqual({ tpm: 1_000 });
      const result = await store.reserve(spec, demand(10));
      if (result.ok) throw new Error('expected a refusal');
      expect(result.refusal.exhausted).toEqual([{ window: 'tpm', limit: 1_000, used: 1_000, requested: 10 }]);
      // Not the header's reset: the outside spending was seen now and counts for a window from now.
      expect(result.refusal.retryAfterMs).toBe(TPM_HOLD);
      clock.advance(result.refusal.retryAfterMs);
      expect((await store.reserve(spec, demand(10))).ok).toBe(true);
    });

    it('reads the upstream count against its own limit when the header gives one', async () => {
      const { store } = await setup();
      const spec = budget({ tpm: 1_000 });
      await store.observe(spec, { limitTokens: 6_000, remainingTokens: 5_500 });
      expect((await used(store, spec)).tpm).toBe(500);
    });

    it('reconciles rpd (requests are per day upstream) without touching rpm', async () => {
      const { store } = await setup();
      const spec = budget({ rpd: 14_400, rpm: 30 });
      expect(await store.observe(spec, { remainingRequests: 14_390 })).toEqual({ rpd: 10 });
      expect(await used(store, spec)).toMatchObject({ rpd: 10, rpm: 0 });
    });

    it('never loosens our own count: a smaller upstream count is our own requests in flight', async () => {
      const { store } = await setup();
      const spec = budget({ tpm: 1_000, rpd: 100 });
      reservationOf(await store.reserve(spec, demand(800)));
      const gap = await store.observe(spec, { remainingTokens: 900, remainingRequests: 100 });
      expect(gap).toEqual({ tpm: -700, rpd: -1 });
      expect(await used(store, spec)).toMatchObject({ tpm: 800, rpd: 1 });
      expect((await store.reserve(spec, demand(300))).ok).toBe(false);
    });

    it('converges: the same upstream count seen again books nothing more', async () => {
      const { store } = await setup();
      const spec = budget({ tpm: 1_000 });
      reservationOf(await store.reserve(spec, demand(100)));
      await store.observe(spec, { remainingTokens: 600 });
      expect(await store.observe(spec, { remainingTokens: 600 })).toEqual({ tpm: 0 });
      expect((await used(store, spec)).tpm).toBe(400);
    });

    it('lets outside spending expire with the window, not at the header reset', async () => {
      const { clock, store } = await setup();
      const spec = budget({ tpm: 1_000 });
      reservationOf(await store.reserve(spec, demand(300)));
      clock.advance(55_000);
      await store.observe(spec, { remainingTokens: 0, resetTokensMs: 30_000 });
      clock.advance(10_000); // our 300 have expired; the 700 seen from outside still count
      expect((await used(store, spec)).tpm).toBe(700);
      reservationOf(await store.reserve(spec, demand(300)));
      expect((await store.reserve(spec, demand(1))).ok).toBe(false);
    });

    it('ignores windows without any limit and unusable numbers', async () => {
      const { store } = await setup();
      const spec = budget({ rpd: 100 });
      await store.observe(spec, { remainingTokens: 0, resetTokensMs: 5_000, remainingRequests: Number.NaN, retryAfterMs: -5 });
      expect(await used(store, spec)).toEqual({ rpm: 0, rpd: 0, tpm: 0, tpd: 0, ash: 0, asd: 0 });
      expect((await store.snapshot(spec)).blockedUntil).toBe(0);
    });

    it('closes the budget for a 429 retry-after, keeping the latest end', async () => {
      const { clock, store } = await setup();
      const spec = budget({});
      await store.observe(spec, { retryAfterMs: 5_000 });
      expect(await store.reserve(spec, demand(1))).toEqual({ ok: false, refusal: { budgetId: spec.id, demand: demand(1), retryAfterMs: 5_000, exhausted: [] } });
      clock.advance(3_000);
      await store.observe(spec, { retryAfterMs: 1_000 });
      expect(retryAfterOf(await store.reserve(spec, demand(1)))).toBe(2_000);
      expect((await store.snapshot(spec)).blockedUntil).toBe(START + 5_000);
      clock.advance(2_000);
      expect((await store.reserve(spec, demand(1))).ok).toBe(true);
      expect((await store.snapshot(spec)).blockedUntil).toBe(0);
    });

    it('while closed, a window that needs longer sets the retry-after', async () => {
      const { store } = await setup();
      const spec = budget({ tpm: 100 });
      reservationOf(await store.reserve(spec, demand(100)));
      await store.observe(spec, { retryAfterMs: 5_000 });
      const result = await store.reserve(spec, demand(1));
      if (result.ok) throw new Error('expected a refusal');
      expect(result.refusal.retryAfterMs).toBe(TPM_HOLD);
      expect(result.refusal.exhausted.map((e) => e.window)).toEqual(['tpm']);
    });
  });

  describe('snapshot', () => {
    it('reports limits, usage, remaining headroom, resets and the last upstream view', async () => {
      const { clock, store } = await setup();
      const spec = budget({ rpm: 30, tpm: 1_000, rpd: 14_400 });
      const reservation = reservationOf(await store.reserve(spec, demand(400)));
      clock.advance(2_000);
      await store.settle(spec, reservation, { tokens: 1_200 });
      await store.observe(spec, { remainingRequests: 14_390, resetRequestsMs: 60_000 });
      const snapshot = await store.snapshot(spec);
      expect(snapshot).toMatchObject({
        id: spec.id,
        model: spec.model,
        keyPreview: 'gsk_...9f3a',
        at: START + 2_000,
        blockedUntil: 0,
        upstream: { remainingRequests: 14_390, resetRequestsMs: 60_000, observedAt: START + 2_000 },
      });
      expect(snapshot.windows.rpm).toEqual({ limit: 30, source: 'config', used: 1, remaining: 29, resetMs: TPM_HOLD - 2_000 });
      // The overrun leaves more used than allowed: nothing remains, never a negative amount.
      expect(snapshot.windows.tpm).toMatchObject({ limit: 1_000, used: 1_200, remaining: 0 });
      // The upstream counts nine requests we did not book: they are outside spending now.
      expect(snapshot.windows.rpd).toMatchObject({ limit: 14_400, used: 10, remaining: 14_390 });
      expect(snapshot.windows.ash).toEqual({ limit: null, source: 'none', used: 0, remaining: null, resetMs: 0 });
    });
  });

  describe('a clock going backwards', () => {
    it('is treated as the latest time seen, for bookings, retry-afters and snapshots', async () => {
      const { clock, store } = await setup();
      const spec = budget({ tpm: 100 });
      reservationOf(await store.reserve(spec, demand(60)));
      clock.advance(-30_000);
      const second = reservationOf(await store.reserve(spec, demand(40)));
      expect(second.at).toBe(START);
      expect(retryAfterOf(await store.reserve(spec, demand(1)))).toBe(TPM_HOLD);
      await store.release(spec, second);
      expect((await store.snapshot(spec)).windows.tpm).toMatchObject({ used: 60 });
      expect((await store.snapshot(spec)).at).toBe(START);
    });
  });
  });
}
