import { createServer, type AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedisClient, createSharedQuotaStore } from './redis-client.js';
import { testRedis, connectTestRedis, deleteKeysUnder, keysUnder, reservationOf, testBudget, testDemand, uniquePrefix } from '../../test/support/redis-testing.js';

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

  it('names the host, port and connection error when Redis is unreachable, at start and when a request degrades', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const log = { warn: vi.fn<(message: string) => void>(), info: vi.fn<(message: string) => void>() };
    const store = await createSharedQuotaStore({ host: '127.0.0.1', port }, { log, keyPrefix: uniquePrefix() });
    try {
      expect(log.warn).toHaveBeenCalledTimes(1);
      expect(log.warn.mock.calls[0]?.[0]).toContain(`Redis at 127.0.0.1:${port} is unreachable: connect ECONNREFUSED 127.0.0.1:${port}`);
      reservationOf(await store.reserve(testBudget({ rpm: 10 }), testDemand(1)));
      expect(store.degraded).toBe(true);
      expect(log.warn).toHaveBeenCalledTimes(2);
      expect(log.warn.mock.calls[1]?.[0]).toContain(`Redis at 127.0.0.1:${port} is unreachable: connect ECONNREFUSED`);
      expect(log.warn.mock.calls[1]?.[0]).not.toContain("Stream isn't writeable");
    } finally {
      await store.close();
    }
  });
});
