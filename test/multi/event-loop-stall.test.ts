/**
 * A gateway's own busy event loop is not an outage of Redis. Found by shared-budget.test.ts: a freshly
 * started gateway under a burst of requests degraded on its first Redis call ("did not answer within
 * 50 ms") although Redis had answered in well under a millisecond; the reply sat unread while the
 * process was busy and the timer ran first. Degraded, it admitted its local share on top of what the
 * shared budget had already booked, and Groq answered 429.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DegradingQuotaStore } from '../../src/quota/degrading-store.js';
import { RedisQuotaStore } from '../../src/quota/redis-store.js';
import { connectTestRedis, deleteKeysUnder, testBudget, testDemand, uniquePrefix } from '../support/redis-testing.js';
import { StoreTimeoutError, withTimeout } from '../../src/quota/redis-timeout.js';

let admin: Redis;
const prefix = uniquePrefix();

beforeAll(async () => {
  admin = await connectTestRedis();
});
afterAll(async () => {
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

/** Keeps this process busy, as a burst of requests on cold code does, without yielding. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe('the 50 ms bound on Redis calls measures Redis, not our own event loop', () => {
  it('a reply that arrived while the process was busy counts as in time', async () => {
    const client = await connectTestRedis();
    const warnings: string[] = [];
    const store = new DegradingQuotaStore({ shared: new RedisQuotaStore({ client, keyPrefix: prefix }), log: { warn: (m) => warnings.push(m), info: () => {} } });
    try {
      const budget = testBudget({ rpm: 100 });
      await store.reserve(budget, testDemand(1)); // connection and script warm
      for (let i = 0; i < 5; i++) {
        const pending = store.reserve(budget, testDemand(1));
        busy(120); // Redis answers within a millisecond; the process reads it only after this
        const result = await pending;
        expect(result.ok).toBe(true);
      }
      expect(warnings).toEqual([]);
      expect(store.degraded).toBe(false);
      // All six were booked in Redis (none served locally).
      expect((await store.snapshot(budget)).windows.rpm.used).toBe(6);
    } finally {
      await store.close();
    }
  });

  it('a call that really does not answer still times out after about the bound', async () => {
    const started = performance.now();
    await expect(withTimeout(new Promise<never>(() => {}), 50, 'never')).rejects.toBeInstanceOf(StoreTimeoutError);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(49);
    expect(waited).toBeLessThan(500);
  });
});
