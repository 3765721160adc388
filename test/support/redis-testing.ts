/**
 * Support for the Redis quota tests (no test framework imported, so building it is harmless). The tests
 * run against a real Redis, the one the suite's global setup (test/support/global-setup.ts) starts on
 * an ephemeral port and names in GROQ_ROUTER_TEST_REDIS; they never skip.
 */
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { WINDOW_NAMES, type BudgetSpec, type Demand, type Reservation, type ReserveResult, type WindowLimit, type WindowName } from '../../src/quota/types.js';

/** The variable the global setup sets to the `host:port` of the Redis it started. */
export const TEST_REDIS_VARIABLE = 'GROQ_ROUTER_TEST_REDIS';

/** The test run's own Redis; read when called, since the bench sets the variable after importing this. */
export function testRedis(): { readonly host: string; readonly port: number } {
  const value = process.env[TEST_REDIS_VARIABLE];
  const match = value === undefined ? null : /^(.+):(\d+)$/.exec(value);
  if (match === null) {
    throw new Error(
      `${TEST_REDIS_VARIABLE} is ${value === undefined ? 'not set' : `"${value}", not host:port`}: run the tests with \`npm test\` / \`npx vitest\`, whose global setup starts a redis-server of its own`,
    );
  }
  return { host: match[1] as string, port: Number(match[2]) };
}

/** `redis://host:port/db` of the test run's Redis. */
export function testRedisUrl(db = 0): string {
  const { host, port } = testRedis();
  return `redis://${host}:${port}/${db}`;
}

/** Fail-fast options: no queue, no reconnect loop unless a test asks for one. */
export function testClientOptions(): RedisOptions {
  return {
    ...testRedis(),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    retryStrategy: () => null,
  };
}

/** A connected client, or an error saying plainly that the tests need a running Redis. */
export async function connectTestRedis(overrides: RedisOptions = {}): Promise<Redis> {
  const options = { ...testClientOptions(), ...overrides };
  const client = new Redis(options);
  // The socket error (ECONNREFUSED...) says more than the "Connection is closed" that connect() rejects with.
  let socketError: unknown;
  client.on('error', (error) => {
    socketError = error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    const cause = socketError ?? error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(
      `Redis is not reachable at ${options.host}:${options.port} (${reason}). The Redis quota tests need the redis-server ` +
        'that the suite\'s global setup starts (test/support/global-setup.ts); did it exit? These tests never skip.',
    );
  }
  return client;
}

/** A key prefix no other test or process uses, so runs never see each other's budgets. */
export function uniquePrefix(): string {
  return `groq-router-test:${randomUUID()}:`;
}

export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

export async function deleteKeysUnder(client: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(client, prefix);
  if (keys.length > 0) await client.del(...keys);
}

/** Redis's clock in ms, as the scripts read it. */
export async function redisTime(client: Redis): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
}

export function testBudget(limits: Partial<Record<WindowName, number | null>>, id = 'llama-3.1-8b-instant#0123456789ab'): BudgetSpec {
  const all = Object.fromEntries(
    WINDOW_NAMES.map((name): [WindowName, WindowLimit] => {
      const limit = limits[name] ?? null;
      return [name, { limit, source: limit === null ? 'none' : 'config' }];
    }),
  ) as Record<WindowName, WindowLimit>;
  return { id, model: 'llama-3.1-8b-instant', keyPreview: 'gsk_...9f3a', limits: all };
}

export function testDemand(tokens: number, extra: Partial<Demand> = {}): Demand {
  return { requests: 1, tokens, audioSeconds: 0, ...extra };
}

export function reservationOf(result: ReserveResult): Reservation {
  if (!result.ok) throw new Error(`expected a reservation, got a refusal: ${JSON.stringify(result.refusal)}`);
  return result.reservation;
}

export function retryAfterOf(result: ReserveResult): number {
  if (result.ok) throw new Error('expected a refusal');
  return result.refusal.retryAfterMs;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
