import { Redis, type RedisOptions } from 'ioredis';
import type { RedisSettings } from '../config/types.js';
import { DegradingQuotaStore, type DegradingQuotaStoreOptions } from './degrading-store.js';
import { RedisQuotaStore } from './redis-store.js';

/**
 * Options for a quota connection: a budget check is on every request's path, so while Redis is away
 * commands fail at once (no offline queue, one retry) instead of waiting, and the caller degrades to
 * local budgets. ioredis keeps reconnecting in the background, so the caller can rejoin.
 */
export const QUOTA_CLIENT_DEFAULTS: Readonly<RedisOptions> = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  // Never replay a command after a reconnect: by then the caller has timed out and served the request
  // from its local share, so a replayed reserve would book it a second time in the shared budget, with
  // nobody left to release it (for a day in the day windows). One lost settle just expires with its window.
  autoResendUnfulfilledCommands: false,
  connectTimeout: 1_000,
  // Callers time-box far tighter; this only makes sure an abandoned command's promise always settles.
  commandTimeout: 2_000,
  // Reconnect quickly at first, then at most every 2 s: a returning Redis is rejoined within seconds.
  retryStrategy: (times) => Math.min(times * 100, 2_000),
  lazyConnect: true,
};

/**
 * A client for `router_settings.redis_*`. `redis_url` wins over host and port; `redis_password` applies
 * when the URL carries none. Lazy: call `connect()` (and tolerate its failure) before serving.
 */
export function createRedisClient(settings: RedisSettings, overrides: RedisOptions = {}): Redis {
  const options: RedisOptions = { ...QUOTA_CLIENT_DEFAULTS, ...overrides };
  if (settings.password !== undefined) options.password ??= settings.password;
  if (settings.username !== undefined) options.username ??= settings.username;
  const client =
    settings.url !== undefined
      ? new Redis(settings.url, options)
      : new Redis({ ...options, host: settings.host ?? options.host ?? '127.0.0.1', port: settings.port ?? options.port ?? 6379 });
  // Connection errors also surface on the calls that hit them, where the store degrades and logs once;
  // without a listener ioredis would print every reconnect failure.
  client.on('error', () => {});
  return client;
}

/** `host:port` of the configured Redis, without credentials, for messages. */
export function redisAddress(settings: RedisSettings): string {
  if (settings.url !== undefined) {
    try {
      const url = new URL(settings.url);
      return `${url.hostname}:${url.port === '' ? 6379 : url.port}`;
    } catch {
      return 'the configured redis_url';
    }
  }
  return `${settings.host ?? '127.0.0.1'}:${settings.port ?? 6379}`;
}

/**
 * Why a call to Redis failed, naming the server and the connection's own error: while disconnected,
 * ioredis fails commands with "Stream isn't writeable…", which says nothing about the cause.
 */
function connectionExplainer(client: Redis, address: string): (error: unknown) => string {
  let socketError: Error | undefined;
  client.on('error', (error: Error) => (socketError = error));
  client.on('ready', () => (socketError = undefined));
  return (error) => {
    const message = error instanceof Error ? error.message : String(error);
    return client.status === 'ready' || socketError === undefined
      ? `Redis at ${address}: ${message}`
      : `Redis at ${address} is unreachable: ${socketError.message}`;
  };
}

export interface SharedQuotaStoreOptions extends Omit<DegradingQuotaStoreOptions, 'shared'> {
  /** Key prefix in Redis; default `groq-router:`. */
  readonly keyPrefix?: string;
  /** ioredis options over QUOTA_CLIENT_DEFAULTS. */
  readonly client?: RedisOptions;
}

/**
 * The store for several gateway instances: budgets in Redis, served locally at this instance's share
 * while Redis is away. Waits for the first connection at most `connectTimeout` (1 s by default), so a
 * gateway starting next to its Redis does not begin degraded; if Redis is down it starts degraded and
 * rejoins when Redis answers.
 */
export async function createSharedQuotaStore(settings: RedisSettings, options: SharedQuotaStoreOptions): Promise<DegradingQuotaStore> {
  const { keyPrefix, client: clientOptions, ...degrading } = options;
  const client = createRedisClient(settings, clientOptions);
  const explain = connectionExplainer(client, redisAddress(settings));
  await client.connect().catch((error: unknown) => {
    degrading.log.warn(`quota: ${explain(error)}; budgets are served locally until it answers`);
  });
  return new DegradingQuotaStore({ explain, ...degrading, shared: new RedisQuotaStore({ client, keyPrefix }) });
}
