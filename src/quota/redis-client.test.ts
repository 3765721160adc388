import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedisClient, createSharedQuotaStore } from './redis-client.js';
import { testRedis, connectTestRedis, deleteKeysUnder, keysUnder, reservationOf, testBudget, testDemand, uniquePrefix } from './redis-testing.js';

let admin: Redis;
beforeAll(async () => {
  admin = await connectTestRedis();
});
afterAll(async () => {
  await admin?.quit();
});

describe('createRedisClient', () => {
  it('connects from host and port, or from a URL, with no offline queue', async () => {
    for (const settings of [{ host: testRedis().host, port: testRedis().port }, { url: `redis://${testRedis().host}:${testRedis().port}` }]) {
      const client = createRedisClient(settings);
      expect(client.options.enableOfflineQueue).toBe(false);
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      await client.quit();
    }
  });
});

describe('createSharedQuotaStore', () => {
  it('starts connected to Redis and books there', async () => {
    const prefix = uniquePrefix();
    const log = { warn: vi.fn<(message: string) => void>(), info: vi.fn<(message: string) => void>() };
    const store = await createSharedQuotaStore({ host: testRedis().host, port: testRedis().port }, { log, keyPrefix: prefix });
    try {
      reservationOf(await store.reserve(testBudget({ rpm: 10 }), testDemand(1)));
      expect(store.degraded).toBe(false);
      expect(log.warn).not.toHaveBeenCalled();
      expect((await keysUnder(admin, prefix)).length).toBeGreaterThan(0);
    } finally {
      await store.close();
      await deleteKeysUnder(admin, prefix);
    }
  });
});
