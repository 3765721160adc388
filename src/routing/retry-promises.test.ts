import { describe, expect, it } from 'vitest';
import { MemoryQuotaStore } from '../quota/memory-store.js';
import { WINDOW_NAMES, bookingLifetimeMs, type BudgetSpec, type Demand, type PromisedRefusal, type WindowLimit, type WindowName } from '../quota/types.js';
import { RetryPromises } from './retry-promises.js';

const TPM = 6_000;

function budget(): BudgetSpec {
  const limits = Object.fromEntries(
    WINDOW_NAMES.map((name): [WindowName, WindowLimit] => (name === 'tpm' ? [name, { limit: TPM, source: 'config' }] : [name, { limit: null, source: 'none' }])),
  ) as Record<WindowName, WindowLimit>;
  return { id: 'm#key', model: 'm', keyPreview: 'gsk_...abcd', limits };
}

const demand = (tokens: number): Demand => ({ requests: 1, tokens, audioSeconds: 0 });

function refused(spec: BudgetSpec, tokens: number, retryAfterMs: number): PromisedRefusal {
  return { budget: spec, refusal: { budgetId: spec.id, demand: demand(tokens), retryAfterMs, exhausted: [] } };
}

/** `offset`: how far into a bucket of the budgets' windows the clock starts (bookings then fall mid-bucket). */
function setup(offset = 0) {
  let now = 1_000_000 + offset;
  const store = new MemoryQuotaStore({ now: () => now });
  const promises = new RetryPromises(store, () => now);
  return { store, promises, spec: budget(), advance: (ms: number) => (now += ms) };
}

describe('RetryPromises', () => {
  it('holds the promised capacity against everyone else until its caller comes back', async () => {
    const { store, promises, spec, advance } = setup();
    await promises.promise('a', 'agent-1', refused(spec, 4_000, 5_000));
    // Another agent's new request finds the promised 4,000 booked.
    expect((await store.reserve(spec, demand(3_000))).ok).toBe(false);
    advance(5_000);
    // It comes back at the promised time, but it is not the caller the capacity was promised to.
    const stranger = await promises.redeem('a', 'agent-2');
    expect(stranger.tokens).toBeUndefined();
    expect((await store.reserve(spec, demand(3_000))).ok).toBe(false);
    // The refused caller's retry takes it up: the hold is given back for it to book, up to what was promised.
    const own = await promises.redeem('a', 'agent-1');
    expect(own.tokens).toBe(4_000);
    expect((await store.reserve(spec, demand(4_000))).ok).toBe(true);
    await own.done();
  });

  it('gives a promise whose caller is late to the next request, and lapses one nobody comes for', async () => {
    const { store, promises, spec, advance } = setup();
    await promises.promise('a', 'agent-1', refused(spec, 4_000, 5_000));
    advance(5_000 + 2_000);
    const stranger = await promises.redeem('a', 'agent-2');
    expect(stranger.tokens).toBe(4_000);
    await stranger.done();

    await promises.promise('a', 'agent-3', refused(spec, 4_000, 5_000));
    advance(5_000 + 10_001);
    await promises.redeem('a', 'nobody-with-a-promise');
    // Lapsed: the capacity is everyone's again.
    expect((await store.reserve(spec, demand(5_000))).ok).toBe(true);
  });

  it('keeps one promise per caller: refused again, it holds only the latest', async () => {
    const { store, promises, spec } = setup();
    await promises.promise('a', 'agent-1', refused(spec, 2_000, 5_000));
    await promises.promise('a', 'agent-1', refused(spec, 2_000, 8_000));
    expect((await store.reserve(spec, demand(4_000))).ok).toBe(true);
  });

  it('never books a hold again for a promise taken up while an earlier redemption had set it aside', async () => {
    const { store, promises, spec, advance } = setup();
    await promises.promise('a', 'agent-1', refused(spec, 1_000, 5_000));
    await promises.promise('a', 'agent-2', refused(spec, 1_000, 5_500));
    advance(5_000);
    const first = await promises.redeem('a', 'agent-1');
    // agent-2 comes back (early by less than a second) while agent-1's request is still going.
    const second = await promises.redeem('a', 'agent-2');
    expect(second.tokens).toBe(1_000);
    await second.done();
    await first.done();
    // Neither request booked anything here: no hold may be left behind.
    expect((await store.snapshot(spec)).windows.tpm.used).toBe(0);
  });

  it('holds a later promise again only once when two redemptions overlap', async () => {
    const { store, promises, spec, advance } = setup();
    await promises.promise('a', 'agent-1', refused(spec, 1_000, 1_000));
    await promises.promise('a', 'agent-2', refused(spec, 1_000, 1_000));
    await promises.promise('a', 'agent-3', refused(spec, 1_000, 30_000));
    advance(1_000);
    const one = await promises.redeem('a', 'agent-1');
    const two = await promises.redeem('a', 'agent-2');
    await one.done();
    await two.done();
    await one.done();
    // Only agent-3's hold stands.
    expect((await store.snapshot(spec)).windows.tpm.used).toBe(1_000);
  });

  // 37: the holds fall mid-bucket, where they leave the window before their booking time + a minute.
  it.each([0, 37])('tells a caller behind earlier promises the moment their requests leave the window, not their holds (clock %s ms into a bucket)', async (offset) => {
    const { store, promises, spec, advance } = setup(offset);
    const minute = bookingLifetimeMs('tpm');
    /** A caller of 2,700 tokens (two fit the 6,000) refused now: the wait it is promised. */
    const refusedNow = async (claim: string): Promise<number | undefined> => {
      const result = await store.reserve(spec, demand(2_700));
      if (result.ok) throw new Error('expected a refusal');
      return promises.promise('a', claim, { budget: spec, refusal: result.refusal });
    };
    await store.reserve(spec, demand(2_700));
    advance(5_000);
    await store.reserve(spec, demand(2_700));
    advance(5_000);
    // Third and fourth: each fits when one of the first two leaves (with its bucket, begun `offset` earlier).
    expect(await refusedNow('third')).toBe(minute - 10_000 - offset);
    advance(5_000);
    expect(await refusedNow('fourth')).toBe(minute - 10_000 - offset);
    advance(5_000);
    // Fifth: the store sees the third's hold leave a minute after it was promised, but the third's
    // request, booked when it comes back, stays a minute from then.
    const third = minute - 10_000 - offset + 10_000;
    expect(await refusedNow('fifth')).toBe(third + minute - 20_000);
  });
});
