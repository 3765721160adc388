import { Redis, type RedisOptions } from 'ioredis';
import type { RedisSettings } from '../config/types.js';

/**
 * Options for a quota connection: a budget check is on every request's path, so while Redis is away
 * commands fail at once (no offline queue, one retry) instead of waiting, and the caller degrades to
 * local budgets. ioredis keeps reconnecting in the background, so the caller can rejoin.
 */
export const QUOTA_CLIENT_DEFAULTS: Readonly<RedisOptions> = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 1_000,
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
  const client =
    settings.url !== undefined
      ? new Redis(settings.url, options)
      : new Redis({ ...options, host: settings.host ?? options.host ?? '127.0.0.1', port: settings.port ?? options.port ?? 6379 });
  // Connection errors also surface on the calls that hit them, where the store degrades and logs once;
  // without a listener ioredis would print every reconnect failure.
  client.on('error', () => {});
  return client;
}
