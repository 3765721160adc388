/**
 * RedisQuotaStore must decide exactly as MemoryQuotaStore does. Here both run side by side on one fake
 * clock (the Redis scripts take it through the test-only clock hook instead of TIME), every call goes to
 * both, and every answer must be identical: the MemoryQuotaStore cases ported, then random sequences.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryQuotaStore } from './memory-store.js';
import { RedisQuotaStore } from './redis-store.js';
import {
  connectTestRedis,
  deleteKeysUnder,
  keysUnder,
  reservationOf,
  retryAfterOf,
  testBudget as budget,
  testDemand as demand,
  uniquePrefix,
} from '../../test/support/redis-testing.js';
import { WINDOW_NAMES, WINDOW_SPECS } from './types.js';
import type { BudgetSnapshot, BudgetSpec, Demand, QuotaStore, Reservation, ReserveResult, UpstreamGap, UpstreamView, WindowName } from './types.js';

const MINUTE = WINDOW_SPECS.tpm.windowMs;
const TPM_BUCKET = WINDOW_SPECS.tpm.bucketMs;
const RPD_BUCKET = WINDOW_SPECS.rpd.bucketMs;
const TPM_HOLD = TPM_BUCKET + (WINDOW_SPECS.tpm.graceMs ?? 0) + MINUTE;
const START = 1_000 * RPD_BUCKET;

class FakeClock {
  constructor(public t = START) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

type Outcome<T> = { readonly value: T } | { readonly error: string };

async function outcome<T>(run: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { value: await run() };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** Both stores behind one QuotaStore: answers (and errors) must match; the memory store's is returned. */
class TwinStore implements QuotaStore {
  private readonly twins = new WeakMap<Reservation, Reservation>();
  constructor(
    readonly memory: MemoryQuotaStore,
    readonly redis: RedisQuotaStore,
  ) {}

  reserve(spec: BudgetSpec, wanted: Demand): Promise<ReserveResult> {
    return this.both(
      () => this.memory.reserve(spec, wanted),
      () => this.redis.reserve(spec, wanted),
      (m, r) => {
        if (m.ok && r.ok) this.twins.set(m.reservation, r.reservation);
      },
    );
  }
  settle(spec: BudgetSpec, reservation: Reservation, actual: Partial<Demand>): Promise<void> {
    return this.both(() => this.memory.settle(spec, reservation, actual), () => this.redis.settle(spec, this.twin(reservation), actual));
  }
  release(spec: BudgetSpec, reservation: Reservation): Promise<void> {
    return this.both(() => this.memory.release(spec, reservation), () => this.redis.release(spec, this.twin(reservation)));
  }
  observe(spec: BudgetSpec, view: UpstreamView): Promise<UpstreamGap> {
    return this.both(() => this.memory.observe(spec, view), () => this.redis.observe(spec, view));
  }
  snapshot(spec: BudgetSpec): Promise<BudgetSnapshot> {
    return this.both(() => this.memory.snapshot(spec), () => this.redis.snapshot(spec));
  }
  async close(): Promise<void> {
    await Promise.all([this.memory.close(), this.redis.close()]);
  }

  private twin(reservation: Reservation): Reservation {
    return this.twins.get(reservation) ?? reservation;
  }

  private async both<T>(memory: () => Promise<T>, redis: () => Promise<T>, pair?: (m: T, r: T) => void): Promise<T> {
    const m = await outcome(memory);
    const r = await outcome(redis);
    expect(r).toEqual(m);
    if ('error' in m) throw new Error(m.error);
    if ('value' in r) pair?.(m.value, r.value);
    return m.value;
  }
}

let admin: Redis;
const prefixes: string[] = [];
const opened: QuotaStore[] = [];

beforeAll(async () => {
  admin = await connectTestRedis();
});
afterAll(async () => {
  await admin?.quit();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await Promise.all(prefixes.splice(0).map((prefix) => deleteKeysUnder(admin, prefix)));
});

async function setup(): Promise<{ clock: FakeClock; store: TwinStore; prefix: string }> {
  const clock = new FakeClock();
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  const store = new TwinStore(
    new MemoryQuotaStore({ now: clock.now }),
    new RedisQuotaStore({ client: await connectTestRedis(), keyPrefix: prefix, testClock: clock.now }),
  );
  opened.push(store);
  return { clock, store, prefix };
}

async function used(store: QuotaStore, spec: BudgetSpec): Promise<Record<WindowName, number>> {
  const { windows } = await store.snapshot(spec);
  return Object.fromEntries(WINDOW_NAMES.map((name) => [name, windows[name].used])) as Record<WindowName, number>;
}

describe('parity: reserve', () => {
  it('gives a retry-after at which the same demand is admitted, and not a millisecond sooner', async () => {
    const { clock, store } = await setup();
    const spec = budget({ tpm: 100 });
    reservationOf(await store.reserve(spec, demand(60)));
    clock.advance(10_000);
    reservationOf(await store.reserve(spec, demand(30)));
    const retryAfterMs = retryAfterOf(await store.reserve(spec, demand(50)));
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

  it('null enforces nothing but still counts usage', async () => {
    const { store } = await setup();
    const spec = budget({});
    for (let i = 0; i < 200; i++) reservationOf(await store.reserve(spec, demand(1_000_000)));
    const { windows } = await store.snapshot(spec);
    expect(windows.tpm).toEqual({ limit: null, source: 'none', used: 200_000_000, remaining: null, resetMs: TPM_HOLD });
  });
});

describe('parity: settle and release', () => {
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
    expect(await used(store, spec)).toMatchObject({ tpm: 30, tpd: 30 });
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

  it('does not leave rounding dust from fractional amounts', async () => {
    const { store } = await setup();
    const spec = budget({});
    const reservations = [];
    for (const seconds of [0.1, 0.2, 0.7, 1.3]) reservations.push(reservationOf(await store.reserve(spec, demand(0, { audioSeconds: seconds }))));
    for (const reservation of reservations) await store.release(spec, reservation);
    expect((await store.snapshot(spec)).windows.ash).toMatchObject({ used: 0, resetMs: 0 });
  });
});

describe('parity: observe', () => {
  it('books what the upstream counts beyond ours, and the next reserve waits a window for it', async () => {
    const { clock, store } = await setup();
    const spec = budget({ tpm: 1_000 });
    await store.observe(spec, { remainingTokens: 0, resetTokensMs: 7_660 });
    const retryAfterMs = retryAfterOf(await store.reserve(spec, demand(10)));
    clock.advance(retryAfterMs - 1);
    expect((await store.reserve(spec, demand(10))).ok).toBe(false);
    clock.advance(1);
    expect((await store.reserve(spec, demand(10))).ok).toBe(true);
  });

  it('reads counts against the header limit, never loosens ours, and converges', async () => {
    const { clock, store } = await setup();
    const spec = budget({ tpm: 1_000, rpd: 100 });
    reservationOf(await store.reserve(spec, demand(300)));
    await store.observe(spec, { limitTokens: 6_000, remainingTokens: 5_500, remainingRequests: 90 });
    await store.observe(spec, { remainingTokens: 900, remainingRequests: 100 });
    clock.advance(55_000);
    await store.observe(spec, { remainingTokens: 0 });
    clock.advance(10_000);
    // The first 500 (ours and the outside 200) have expired; the 500 seen at 55 s still count.
    await store.snapshot(spec);
    reservationOf(await store.reserve(spec, demand(500)));
    expect((await store.reserve(spec, demand(1))).ok).toBe(false);
  });

  it('books a shrinkable demand with as many tokens as fit, or waits for its minimum', async () => {
    const { store } = await setup();
    const spec = budget({ tpm: 1_000, tpd: 1_500 });
    reservationOf(await store.reserve(spec, { requests: 1, tokens: 800, audioSeconds: 0, minTokens: 300 }));
    await store.reserve(spec, { requests: 1, tokens: 800, audioSeconds: 0, minTokens: 300 });
    reservationOf(await store.reserve(spec, { requests: 1, tokens: 800, audioSeconds: 0, minTokens: 150 }));
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
    expect(retryAfterOf(await store.reserve(spec, demand(1)))).toBe(TPM_HOLD);
  });
});

describe('parity: snapshot and clock', () => {
  it('reports limits, usage, remaining headroom, resets and the last upstream view', async () => {
    const { clock, store } = await setup();
    const spec = budget({ rpm: 30, tpm: 1_000, rpd: 14_400 });
    const reservation = reservationOf(await store.reserve(spec, demand(400)));
    clock.advance(2_000);
    await store.settle(spec, reservation, { tokens: 1_200 });
    await store.observe(spec, { remainingRequests: 14_390, resetRequestsMs: 60_000 });
    const snapshot = await store.snapshot(spec);
    expect(snapshot.windows.rpm).toEqual({ limit: 30, source: 'config', used: 1, remaining: 29, resetMs: TPM_HOLD - 2_000 });
  });

  it('treats a clock going backwards as the latest time seen', async () => {
    const { clock, store } = await setup();
    const spec = budget({ tpm: 100 });
    reservationOf(await store.reserve(spec, demand(60)));
    clock.advance(-30_000);
    const second = reservationOf(await store.reserve(spec, demand(40)));
    expect(second.at).toBe(START);
    expect(retryAfterOf(await store.reserve(spec, demand(1)))).toBe(TPM_HOLD);
    await store.release(spec, second);
    expect((await store.snapshot(spec)).at).toBe(START);
  });

  it('keeps constant memory: buckets expire as time passes, over days of traffic', async () => {
    const { clock, store, prefix } = await setup();
    const spec = budget({});
    for (let i = 0; i < 400; i++) {
      reservationOf(await store.reserve(spec, demand(7, { audioSeconds: 0.5 })));
      clock.advance(433_333); // 400 steps of about 7 minutes: two days
    }
    await store.snapshot(spec);
    for (const key of await keysUnder(admin, prefix)) {
      const name = WINDOW_NAMES.find((window) => key.includes(`:${window}:`));
      if (name === undefined) continue;
      const { windowMs, bucketMs } = WINDOW_SPECS[name];
      const size = key.endsWith(':order') ? await admin.zcard(key) : (await admin.hlen(key)) - 1;
      expect(size).toBeLessThanOrEqual(Math.ceil(windowMs / 433_333) + 1);
      expect(size).toBeLessThanOrEqual(windowMs / bucketMs + 3);
    }
  });
});

/** A small deterministic generator, so a failing sequence can be replayed from its seed. */
function generator(seed: number): <T>(choices: readonly T[]) => T {
  let state = seed;
  return <T>(choices: readonly T[]): T => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    if (choices.length === 0) throw new Error('empty choices');
    // Some choices are `undefined` on purpose (a header the upstream did not send).
    return choices[state % choices.length] as T;
  };
}

describe('parity: random sequences', () => {
  // Exact binary fractions for audio, so both stores' float sums are exact whatever order they add in.
  const limitSets: Partial<Record<WindowName, number | null>>[] = [
    { rpm: 5, tpm: 300, rpd: 40, tpd: 2_000, ash: 10, asd: 30 },
    { rpm: 3, tpm: 120, rpd: 0, ash: 2.5 },
    { tpm: 1_000, tpd: 1_500, asd: 0 },
  ];

  it.each(Array.from({ length: 16 }, (_, i) => i + 1))('seed %i: every answer matches MemoryQuotaStore', async (seed) => {
    const { clock, store } = await setup();
    const pick = generator(seed);
    const spec = budget(pick(limitSets));
    const open: Reservation[] = [];
    for (let step = 0; step < 400; step++) {
      const op = pick(['reserve', 'reserve', 'reserve', 'settle', 'settle', 'release', 'observe', 'observe', 'advance', 'advance', 'snapshot'] as const);
      if (op === 'reserve') {
        const result = await store.reserve(spec, {
          requests: pick([1, 1, 0, 2]),
          tokens: pick([0, 1, 10, 50, 100, 400, Number.NaN]),
          audioSeconds: pick([0, 0, 0.5, 2.25]),
          minTokens: pick([undefined, undefined, 5, 60]),
          hold: pick([undefined, undefined, undefined, undefined, true]),
          spare: pick([undefined, undefined, 20, 150]),
        });
        if (result.ok) open.push(result.reservation);
      } else if ((op === 'settle' || op === 'release') && open.length > 0) {
        // Mostly recent reservations, so settlements often land while an upstream cap observed after them holds.
        const reservation = pick([open.length - 1, open.length - 1, open.length - 2, 0].map((i) => open[Math.max(0, i)] as Reservation));
        if (op === 'release') await store.release(spec, reservation);
        else await store.settle(spec, reservation, pick([{ tokens: 0 }, { tokens: 5 }, { tokens: 700 }, { tokens: 60, tokensAtEnd: 40 }, { tokens: 5, tokensAtEnd: 9 }, { audioSeconds: 0.25 }, { requests: 0, tokens: 20 }, {}]));
      } else if (op === 'observe') {
        const view: { -readonly [K in keyof UpstreamView]: UpstreamView[K] } = {};
        const remainingTokens = pick([undefined, 0, 50, 200, 1_000, Number.NaN]);
        if (remainingTokens !== undefined) view.remainingTokens = remainingTokens;
        const limitTokens = pick([undefined, undefined, 300, 1_200]);
        if (limitTokens !== undefined) view.limitTokens = limitTokens;
        const resetTokensMs = pick([undefined, 0, 100, 5_000, 60_000]);
        if (resetTokensMs !== undefined) view.resetTokensMs = resetTokensMs;
        const remainingRequests = pick([undefined, undefined, 0, 3, 30]);
        if (remainingRequests !== undefined) view.remainingRequests = remainingRequests;
        const resetRequestsMs = pick([undefined, 60_000, 3_600_000]);
        if (resetRequestsMs !== undefined) view.resetRequestsMs = resetRequestsMs;
        const retryAfterMs = pick([undefined, undefined, undefined, 500, 3_000, -5]);
        if (retryAfterMs !== undefined) view.retryAfterMs = retryAfterMs;
        await store.observe(spec, view);
      } else if (op === 'advance') {
        clock.advance(pick([0, 0, 1, 49, 50, 150, 1_000, 10_000, 30_000, MINUTE, TPM_HOLD, 3_600_000, 86_400_000, -5_000]));
      } else {
        await store.snapshot(spec);
      }
    }
    await store.snapshot(spec);
  });
});
