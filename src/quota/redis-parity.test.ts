/**
 * RedisQuotaStore must decide exactly as MemoryQuotaStore does. Here both run side by side on one fake
 * clock (the Redis scripts take it through the test-only clock hook instead of TIME), every call goes to
 * both, and every answer must be identical, over random sequences of calls. (The cases every store must
 * meet are the contract in test/support/quota-store-contract.ts, run against each store on its own.)
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
  testBudget as budget,
  testDemand as demand,
  uniquePrefix,
} from '../../test/support/redis-testing.js';
import { FakeClock, MINUTE, TPM_HOLD } from '../../test/support/quota-store-contract.js';
import { WINDOW_NAMES, WINDOW_SPECS } from './types.js';
import type { BudgetSnapshot, BudgetSpec, Demand, QuotaStore, Reservation, ReserveResult, Settlement, UpstreamGap, UpstreamView, WindowName } from './types.js';


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
  readonly kind = 'redis';
  readonly degraded = false;
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
  settle(spec: BudgetSpec, reservation: Reservation, actual: Settlement): Promise<void> {
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

describe('parity: memory', () => {
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
        else {
          // Some answered later than they were booked (`admittedMsAgo`), one of them reporting nothing.
          const settlements: Settlement[] = [{ tokens: 0 }, { tokens: 5 }, { tokens: 700 }, { tokens: 60, tokensAtEnd: 40 }, { tokens: 5, tokensAtEnd: 9 }, { audioSeconds: 0.25 }, { requests: 0, tokens: 20 }, {}];
          settlements.push({ tokens: 60, tokensAtEnd: 40, admittedMsAgo: 700 }, { tokens: 900, admittedMsAgo: 80 }, { admittedMsAgo: 3_000 });
          await store.settle(spec, reservation, pick(settlements));
        }
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
