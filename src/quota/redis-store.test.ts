import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { quotaStoreContract } from '../../test/support/quota-store-contract.js';
import { RedisQuotaStore } from './redis-store.js';
import { StoreTimeoutError } from './redis-timeout.js';
import {
  connectTestRedis,
  deleteKeysUnder,
  keysUnder,
  redisTime,
  reservationOf,
  retryAfterOf,
  sleep,
  testClientOptions,
  testBudget as budget,
  testDemand as demand,
  uniquePrefix,
} from '../../test/support/redis-testing.js';
import { WINDOW_NAMES, WINDOW_SPECS, type BudgetSpec, type WindowName } from './types.js';

const MINUTE = WINDOW_SPECS.tpm.windowMs;
const DAY = WINDOW_SPECS.rpd.windowMs;
const TPM_BUCKET = WINDOW_SPECS.tpm.bucketMs;
const TPM_GRACE = Math.ceil((WINDOW_SPECS.tpm.graceMs ?? 0) / TPM_BUCKET) * TPM_BUCKET;

/** When usage booked at `at` stops counting in a minute window: its bucket's end, the grace, the window. */
function minuteExpiry(at: number): number {
  return Math.floor(at / TPM_BUCKET) * TPM_BUCKET + TPM_BUCKET + TPM_GRACE + MINUTE;
}

let admin: Redis;
let prefix: string;
const opened: RedisQuotaStore[] = [];

beforeAll(async () => {
  admin = await connectTestRedis();
});
afterAll(async () => {
  await admin?.quit();
});
beforeEach(() => {
  prefix = uniquePrefix();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await deleteKeysUnder(admin, prefix);
});

/** A store with its own connection: each one stands for a gateway instance. */
async function gateway(options: { commandTimeoutMs?: number } = {}): Promise<RedisQuotaStore> {
  const store = new RedisQuotaStore({ client: await connectTestRedis(), keyPrefix: prefix, ...options });
  opened.push(store);
  return store;
}

quotaStoreContract('RedisQuotaStore', async (now) => {
  const store = new RedisQuotaStore({ client: await connectTestRedis(), keyPrefix: prefix, testClock: now });
  opened.push(store);
  return store;
});

async function used(store: RedisQuotaStore, spec: BudgetSpec): Promise<Record<WindowName, number>> {
  const { windows } = await store.snapshot(spec);
  return Object.fromEntries(WINDOW_NAMES.map((name) => [name, windows[name].used])) as Record<WindowName, number>;
}

describe('RedisQuotaStore on the Redis clock', () => {
  it('books requests, tokens and audio in all six windows at the Redis time', async () => {
    const store = await gateway();
    const spec = budget({ tpm: 1_000 });
    const before = await redisTime(admin);
    const reservation = reservationOf(await store.reserve(spec, demand(100, { audioSeconds: 12.5 })));
    const after = await redisTime(admin);
    expect(reservation).toEqual({ budgetId: spec.id, demand: { requests: 1, tokens: 100, audioSeconds: 12.5 }, at: expect.any(Number) });
    expect(reservation.at).toBeGreaterThanOrEqual(before);
    expect(reservation.at).toBeLessThanOrEqual(after);
    expect(await used(store, spec)).toEqual({ rpm: 1, rpd: 1, tpm: 100, tpd: 100, ash: 12.5, asd: 12.5 });
  });

  it('gives the retry-after at which the oldest booking expires, measured on the Redis clock', async () => {
    const store = await gateway();
    const spec = budget({ tpm: 100 });
    const first = reservationOf(await store.reserve(spec, demand(60)));
    reservationOf(await store.reserve(spec, demand(30)));
    const before = await redisTime(admin);
    const retryAfterMs = retryAfterOf(await store.reserve(spec, demand(50)));
    const after = await redisTime(admin);
    // The first 60 tokens must go; the refusal was decided at some Redis time between before and after.
    expect(retryAfterMs).toBeGreaterThanOrEqual(minuteExpiry(first.at) - after);
    expect(retryAfterMs).toBeLessThanOrEqual(minuteExpiry(first.at) - before);
  });
});

describe('RedisQuotaStore.observe on the Redis clock', () => {
  it('closes the budget for a 429 retry-after, keeping the latest end, and shows it in snapshots', async () => {
    const store = await gateway();
    const spec = budget({});
    const before = await redisTime(admin);
    await store.observe(spec, { retryAfterMs: 5_000 });
    const after = await redisTime(admin);
    await store.observe(spec, { retryAfterMs: 1_000 });
    const result = await store.reserve(spec, demand(1));
    expect(result).toEqual({ ok: false, refusal: { budgetId: spec.id, demand: demand(1), retryAfterMs: expect.any(Number), exhausted: [] } });
    const { blockedUntil } = await store.snapshot(spec);
    expect(blockedUntil).toBeGreaterThanOrEqual(before + 5_000);
    expect(blockedUntil).toBeLessThanOrEqual(after + 5_000);
  });

  it('a short retry-after admits again once it has passed', async () => {
    const store = await gateway();
    const spec = budget({});
    await store.observe(spec, { retryAfterMs: 150 });
    const retryAfterMs = retryAfterOf(await store.reserve(spec, demand(1)));
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(150);
    await sleep(retryAfterMs);
    expect((await store.reserve(spec, demand(1))).ok).toBe(true);
    expect((await store.snapshot(spec)).blockedUntil).toBe(0);
  });
});

describe('two gateway instances sharing one Redis', () => {
  it('admit exactly the limit between them when 200 reserves race', async () => {
    const [a, b] = [await gateway(), await gateway()];
    const spec = budget({ rpm: 50 });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).reserve(spec, demand(1))));
    expect(results.filter((r) => r.ok)).toHaveLength(50);
    for (const result of results) {
      if (!result.ok) expect(result.refusal.exhausted).toEqual([{ window: 'rpm', limit: 50, used: 50, requested: 1 }]);
    }
    for (const store of [a, b]) expect((await store.snapshot(spec)).windows.rpm).toMatchObject({ used: 50, remaining: 0 });
  });

  it('see each other’s tokens, settlements and upstream observations', async () => {
    const [a, b] = [await gateway(), await gateway()];
    const spec = budget({ tpm: 100 });
    const big = reservationOf(await a.reserve(spec, demand(60)));
    expect((await b.reserve(spec, demand(50))).ok).toBe(false);
    reservationOf(await b.reserve(spec, demand(40)));
    await a.settle(spec, big, { tokens: 10 });
    reservationOf(await b.reserve(spec, demand(50)));
    expect((await a.snapshot(spec)).windows.tpm).toMatchObject({ used: 100, remaining: 0 });
    await a.observe(spec, { retryAfterMs: 60_000 });
    expect((await b.snapshot(spec)).blockedUntil).toBeGreaterThan(0);
  });
});

describe('keys', () => {
  it('are named by budget id under the prefix, never by API key, and expire when idle', async () => {
    const store = await gateway();
    const spec = budget({ tpm: 1_000 });
    reservationOf(await store.reserve(spec, demand(100, { audioSeconds: 1 })));
    const keys = await keysUnder(admin, prefix);
    const base = `${prefix}quota:v1:{${spec.id}}`;
    expect(keys.sort()).toEqual([`${base}:meta`, ...WINDOW_NAMES.flatMap((name) => [`${base}:${name}:buckets`, `${base}:${name}:order`])].sort());
    for (const key of keys) {
      const ttl = await admin.pttl(key);
      const windowMs = WINDOW_NAMES.find((name) => key.includes(`:${name}:`));
      const longest = windowMs === undefined ? DAY : WINDOW_SPECS[windowMs].windowMs;
      expect(ttl).toBeGreaterThan(longest);
      expect(ttl).toBeLessThanOrEqual(longest + 2 * MINUTE);
    }
  });
});

describe('failures', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts connections and never answers: a Redis that hangs.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('rejects a call not answered within commandTimeoutMs, and close() still returns', async () => {
    const client = new Redis({ ...testClientOptions(), port: (silent.address() as AddressInfo).port, enableReadyCheck: false, enableOfflineQueue: true });
    client.on('error', () => {});
    const store = new RedisQuotaStore({ client, keyPrefix: prefix, commandTimeoutMs: 100 });
    const started = Date.now();
    await expect(store.reserve(budget({}), demand(1))).rejects.toBeInstanceOf(StoreTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_000);
    // The server never closes its side, so the connection cannot end cleanly: close() gives up in time.
    const closing = Date.now();
    await store.close();
    expect(Date.now() - closing).toBeLessThan(2_000);
  });

  it('close() quits the client it was given', async () => {
    const client = await connectTestRedis();
    const store = new RedisQuotaStore({ client, keyPrefix: prefix });
    await store.snapshot(budget({}));
    await store.close();
    expect(client.status).toBe('end');
    await store.close();
  });
});
