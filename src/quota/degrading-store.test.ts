import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DegradingQuotaStore, shareOf, type DegradingQuotaStoreOptions } from './degrading-store.js';
import { MemoryQuotaStore } from './memory-store.js';
import { RedisQuotaStore } from './redis-store.js';
import {
  testClientOptions,
  testRedis,
  connectTestRedis,
  deleteKeysUnder,
  reservationOf,
  sleep,
  testBudget as budget,
  testDemand as demand,
  uniquePrefix,
} from '../../test/support/redis-testing.js';
import type { BudgetSnapshot, BudgetSpec, Demand, QuotaStore, Reservation, ReserveResult, Settlement, UpstreamGap, UpstreamView } from './types.js';

const TIMEOUT_MS = 50;

function logSpy() {
  return { warn: vi.fn<(message: string) => void>(), info: vi.fn<(message: string) => void>() };
}

/** Polls until `condition` holds, failing after `limitMs`: no wait in these tests is unbounded. */
async function waitFor(condition: () => boolean | Promise<boolean>, limitMs: number, what: string): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A shared store whose calls fail, hang, or answer late, as told. */
class ScriptedStore implements QuotaStore {
  readonly kind = 'redis';
  readonly degraded = false;
  mode: 'fail' | 'hang' | 'ok' = 'ok';
  delayMs = 0;
  readonly inner = new MemoryQuotaStore();
  readonly released: Reservation[] = [];
  readonly settled: Reservation[] = [];
  readonly settlements: Settlement[] = [];

  reserve(spec: BudgetSpec, wanted: Demand): Promise<ReserveResult> {
    return this.run(() => this.inner.reserve(spec, wanted));
  }
  settle(spec: BudgetSpec, reservation: Reservation, actual: Settlement): Promise<void> {
    return this.run(async () => {
      this.settled.push(reservation);
      this.settlements.push(actual);
      await this.inner.settle(spec, reservation, actual);
    });
  }
  release(spec: BudgetSpec, reservation: Reservation): Promise<void> {
    return this.run(async () => {
      this.released.push(reservation);
      await this.inner.release(spec, reservation);
    });
  }
  observe(spec: BudgetSpec, view: UpstreamView): Promise<UpstreamGap> {
    return this.run(() => this.inner.observe(spec, view));
  }
  snapshot(spec: BudgetSpec): Promise<BudgetSnapshot> {
    return this.run(() => this.inner.snapshot(spec));
  }
  async close(): Promise<void> {}

  private async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.mode === 'fail') throw new Error('connection refused');
    if (this.mode === 'hang') return new Promise<T>(() => {});
    if (this.delayMs > 0) await sleep(this.delayMs);
    return call();
  }
}

function degrading(shared: QuotaStore, options: Partial<DegradingQuotaStoreOptions> = {}) {
  const log = logSpy();
  const states: boolean[] = [];
  const store = new DegradingQuotaStore({ shared, log, timeoutMs: TIMEOUT_MS, retryIntervalMs: 100, onStateChange: (d) => states.push(d), ...options });
  return { store, log, states };
}

describe('local share of each limit', () => {
  it('is floor(limit x share), at least 1 where the limit admits anything; null and 0 stay', () => {
    expect(shareOf(30, 1 / 2)).toBe(15);
    expect(shareOf(30, 1 / 3)).toBe(10);
    expect(shareOf(7, 1 / 3)).toBe(2);
    expect(shareOf(1, 1 / 4)).toBe(1);
    expect(shareOf(0, 1 / 2)).toBe(0);
    expect(shareOf(null, 1 / 2)).toBeNull();
  });

  it('defaults to 1 / instances and keeps the budget id, so settlements find their budget', () => {
    const { store } = degrading(new ScriptedStore(), { instances: 3 });
    const spec = budget({ rpm: 30, tpm: 6_000, rpd: 0 });
    const local = store.localSpec(spec);
    expect(local.id).toBe(spec.id);
    expect(local.limits.rpm).toEqual({ limit: 10, source: 'config' });
    expect(local.limits.tpm.limit).toBe(2_000);
    expect(local.limits.rpd.limit).toBe(0);
    expect(local.limits.ash.limit).toBeNull();
    expect(() => new DegradingQuotaStore({ shared: new ScriptedStore(), log: logSpy(), localShare: 0 })).toThrow(RangeError);
  });
});

describe('DegradingQuotaStore with a scripted shared store', () => {
  it('serves from the shared store while it answers', async () => {
    const shared = new ScriptedStore();
    const { store, log } = degrading(shared);
    const spec = budget({ rpm: 10 });
    reservationOf(await store.reserve(spec, demand(1)));
    expect((await shared.inner.snapshot(spec)).windows.rpm.used).toBe(1);
    expect(store.degraded).toBe(false);
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('never holds a call longer than the timeout when the shared store hangs, and warns once', async () => {
    const shared = new ScriptedStore();
    shared.mode = 'hang';
    const { store, log, states } = degrading(shared);
    const spec = budget({ rpm: 10 });
    // The shared store never answers: every answer here came from the timeout, not from waiting on it.
    const results = await Promise.all(Array.from({ length: 8 }, () => store.reserve(spec, demand(1))));
    // The local store holds half of rpm 10.
    expect(results.filter((result) => result.ok)).toHaveLength(5);
    expect(store.degraded).toBe(true);
    expect(states).toEqual([true]);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(String(log.warn.mock.calls[0]?.[0])).toMatch(/50% of each limit/);
  });

  it('gives back a shared booking that arrives after the caller was served locally', async () => {
    const shared = new ScriptedStore();
    shared.delayMs = TIMEOUT_MS * 2;
    const { store } = degrading(shared);
    const spec = budget({ rpm: 10 });
    reservationOf(await store.reserve(spec, demand(1)));
    await waitFor(() => shared.released.length === 1, 2_000, 'the late booking to be released');
    expect((await shared.inner.snapshot(spec)).windows.rpm.used).toBe(0);
  });

  it('tries the shared store again once per retry interval, and rejoins when it answers', async () => {
    const shared = new ScriptedStore();
    shared.mode = 'fail';
    let now = 0;
    const { store, log, states } = degrading(shared, { retryIntervalMs: 1_000, now: () => now });
    const spec = budget({ rpm: 10 });
    await store.reserve(spec, demand(1));
    expect(store.degraded).toBe(true);
    shared.mode = 'ok';
    now = 999;
    await store.reserve(spec, demand(1));
    expect(store.degraded).toBe(true);
    expect((await shared.inner.snapshot(spec)).windows.rpm.used).toBe(0);
    now = 1_000;
    reservationOf(await store.reserve(spec, demand(1)));
    expect(store.degraded).toBe(false);
    expect((await shared.inner.snapshot(spec)).windows.rpm.used).toBe(1);
    expect(states).toEqual([true, false]);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.info).toHaveBeenCalledTimes(1);
  });

  it('settles each reservation in the store that booked it, replaying shared ones held during the outage', async () => {
    const shared = new ScriptedStore();
    let now = 0;
    const { store } = degrading(shared, { retryIntervalMs: 1_000, now: () => now });
    const spec = budget({ tpm: 1_000 });
    const sharedOne = reservationOf(await store.reserve(spec, demand(400)));
    shared.mode = 'fail';
    const localOne = reservationOf(await store.reserve(spec, demand(300)));
    expect(store.degraded).toBe(true);
    await store.settle(spec, sharedOne, { tokens: 100 });
    await store.release(spec, localOne);
    expect((await store.snapshot(spec)).windows.tpm).toMatchObject({ limit: 500, used: 0 });
    expect(shared.settled).toEqual([]);
    shared.mode = 'ok';
    now = 1_000;
    await store.snapshot(spec);
    await waitFor(() => shared.settled.length === 1, 2_000, 'the held settlement to be replayed');
    expect((await shared.inner.snapshot(spec)).windows.tpm.used).toBe(100);
    expect(shared.released).toEqual([]);
  });

  it('replays a held settlement with its answer begun as much longer ago as it was held', async () => {
    const shared = new ScriptedStore();
    let now = 0;
    const { store } = degrading(shared, { retryIntervalMs: 1_000, now: () => now });
    const spec = budget({ tpm: 1_000 });
    const held = reservationOf(await store.reserve(spec, demand(400)));
    const direct = reservationOf(await store.reserve(spec, demand(200)));
    await store.settle(spec, direct, { tokens: 50, admittedMsAgo: 300 });
    shared.mode = 'fail';
    await store.reserve(spec, demand(1));
    expect(store.degraded).toBe(true);
    await store.settle(spec, held, { tokens: 100, admittedMsAgo: 200 });
    shared.mode = 'ok';
    now = 1_500;
    await store.snapshot(spec);
    await waitFor(() => shared.settled.length === 2, 2_000, 'the held settlement to be replayed');
    // Settled at once, it goes as it came; held 1.5 s, its answer began 1.5 s longer before the replay.
    expect(shared.settlements).toEqual([
      { tokens: 50, admittedMsAgo: 300 },
      { tokens: 100, admittedMsAgo: 1_700 },
    ]);
  });

  it('copies upstream observations to the local store, so a 429 survives an outage', async () => {
    const shared = new ScriptedStore();
    const { store } = degrading(shared);
    const spec = budget({});
    await store.observe(spec, { retryAfterMs: 60_000 });
    shared.mode = 'fail';
    const result = await store.reserve(spec, demand(1));
    expect(result.ok).toBe(false);
    expect(store.degraded).toBe(true);
  });

  it('reports returning a reservation to another budget as a mistake, not an outage', async () => {
    const { store } = degrading(new ScriptedStore());
    const reservation = reservationOf(await store.reserve(budget({}), demand(1)));
    await expect(store.release(budget({}, 'other#000000000000'), reservation)).rejects.toThrow(/cannot be returned/);
    expect(store.degraded).toBe(false);
  });
});

/** A TCP proxy in front of the test Redis that can be cut and restored on the same port. */
class CuttableProxy {
  port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  async open(): Promise<void> {
    const server = createServer((inbound) => {
      const outbound = connect(testRedis().port, testRedis().host);
      for (const socket of [inbound, outbound]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server !== undefined) await new Promise((resolve) => server.close(resolve));
  }
}

describe('DegradingQuotaStore in front of a real Redis', () => {
  let admin: Redis;
  let prefix: string;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    admin = await connectTestRedis();
  });
  afterAll(async () => {
    await admin?.quit();
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
    if (prefix !== undefined) await deleteKeysUnder(admin, prefix);
  });

  /** A gateway whose Redis connection goes through `port`, reconnecting quickly as in production. */
  function gatewayThrough(port: number, options: Partial<DegradingQuotaStoreOptions> = {}) {
    const client = new Redis({ ...testClientOptions(), port, lazyConnect: false, retryStrategy: () => 50 });
    client.on('error', () => {});
    const shared = new RedisQuotaStore({ client, keyPrefix: prefix });
    const built = degrading(shared, options);
    closers.push(() => built.store.close());
    return { ...built, client };
  }

  /** Another gateway on a direct connection: what every other instance sees in Redis. */
  async function observer(): Promise<RedisQuotaStore> {
    const store = new RedisQuotaStore({ client: await connectTestRedis(), keyPrefix: prefix });
    closers.push(() => store.close());
    return store;
  }

  it('answers within the timeout from the local share when nothing listens at the Redis port', async () => {
    prefix = uniquePrefix();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { store, log, states } = gatewayThrough(port);
    const spec = budget({ rpm: 10 });
    // Nothing ever listens there: every answer came from the local share once the timeout passed.
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await store.reserve(spec, demand(1)));
    expect(results.map((result) => result.ok)).toEqual([true, true, true, true, true, false, false]);
    const refused = results[5];
    if (refused === undefined || refused.ok) throw new Error('expected a refusal');
    expect(refused.refusal.exhausted).toEqual([{ window: 'rpm', limit: 5, used: 5, requested: 1 }]);
    expect(store.degraded).toBe(true);
    expect(states).toEqual([true]);
    expect(log.warn).toHaveBeenCalledTimes(1);
  });

  it('degrades when Redis goes away, then rejoins and shares the budget again when it returns', async () => {
    prefix = uniquePrefix();
    const proxy = new CuttableProxy();
    await proxy.open();
    closers.push(() => proxy.cut());
    const { store, log, states, client } = gatewayThrough(proxy.port);
    await waitFor(() => client.status === 'ready', 2_000, 'the client to connect through the proxy');
    const other = await observer();
    const spec = budget({ tpm: 1_000 });

    const beforeOutage = reservationOf(await store.reserve(spec, demand(400)));
    expect((await other.snapshot(spec)).windows.tpm.used).toBe(400);

    await proxy.cut();
    // Redis is unreachable until the proxy opens again below: this answer did not wait for it.
    const local = reservationOf(await store.reserve(spec, demand(300)));
    expect(store.degraded).toBe(true);
    // Local share of tpm 1,000 is 500: 300 are booked locally, so 300 more do not fit.
    expect((await store.reserve(spec, demand(300))).ok).toBe(false);
    await store.settle(spec, beforeOutage, { tokens: 100 });
    expect((await other.snapshot(spec)).windows.tpm.used).toBe(400);

    await proxy.open();
    await waitFor(
      async () => {
        await store.snapshot(spec);
        return !store.degraded;
      },
      5_000,
      'the gateway to rejoin Redis',
    );
    expect(states).toEqual([true, false]);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.info).toHaveBeenCalledTimes(1);
    // The settlement held during the outage reaches Redis; the local booking stays local.
    await waitFor(async () => (await other.snapshot(spec)).windows.tpm.used === 100, 2_000, 'the held settlement to reach Redis');
    reservationOf(await store.reserve(spec, demand(800)));
    expect((await other.snapshot(spec)).windows.tpm.used).toBe(900);
    await store.release(spec, local);
    expect((await other.snapshot(spec)).windows.tpm.used).toBe(900);
  });
});
