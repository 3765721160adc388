import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { loadCatalog } from './catalog/load.js';
import { loadConfig } from './config/load.js';
import { Gateway } from './gateway.js';
import { createLogger, redactingLogger, type Logger } from './log.js';
import { ConfigReloader } from './reload/config-reloader.js';
import { SharedBreakers } from './breaker/shared-breakers.js';
import { createRedisClient, createSharedQuotaStore } from './quota/redis-client.js';
import type { QuotaStore } from './quota/types.js';
import type { GatewayConfig } from './config/types.js';

export interface StartOptions {
  readonly configFile: string;
  readonly port: number;
  readonly host: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: Logger;
  /** Where budgets live; in memory unless given (tests pass one with their own clock). */
  readonly quota?: QuotaStore;
  /** The clock of the budgets' windows (tests move it by hand with the quota store's). */
  readonly clock?: () => number;
  /** Reload when the config file changes (default true); SIGHUP and POST /config/reload work regardless. */
  readonly watchConfig?: boolean;
}

/** The listen address is taken by another process: the message says which, and how to pick another. */
export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    options?: ErrorOptions,
  ) {
    super(`port ${port} on ${host} is already in use; start on another with --port N or PORT=N`, options);
    this.name = 'PortInUseError';
  }
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly gateway: Gateway;
  readonly reloader: ConfigReloader;
  close(): Promise<void>;
}

/**
 * Budgets shared with other gateway instances through Redis when the config names one (LiteLLM's
 * `redis_host`/`redis_port`/`redis_password` or `redis_url`); otherwise the in-memory store. Changing the
 * Redis settings takes a restart: a reload keeps the store it has.
 */
async function sharedQuotaStore(config: GatewayConfig, log: Logger): Promise<QuotaStore | undefined> {
  const redis = config.router.redis;
  if (redis === undefined) return undefined;
  const instances = config.router.gatewayInstances;
  log.info(`budgets shared through Redis by ${instances} gateway instances (each keeps 1/${instances} of every budget while Redis is unreachable)`);
  return createSharedQuotaStore(redis, { log, instances });
}

/** Loads the config (throwing `ConfigError` when it is bad), builds the gateway and starts listening. */
export async function startGateway(options: StartOptions): Promise<RunningGateway> {
  let gateway: Gateway | undefined;
  // Every line passes the current config's redactor: upstream text may quote a configured secret.
  const log = redactingLogger(options.log ?? createLogger(), (line) => gateway?.current.redactor.redact(line) ?? line);
  const env = options.env ?? process.env;
  const config = loadConfig(options.configFile, env);
  for (const warning of config.warnings) {
    const at = warning.line !== undefined ? `:${warning.line}:${warning.column ?? 1}` : '';
    log.warn(`${config.file}${at}: ${warning.message}`);
  }
  const quota = options.quota ?? (await sharedQuotaStore(config, log));
  const sharedBreakers =
    config.router.redis === undefined ? undefined : new SharedBreakers(createRedisClient(config.router.redis), 'groq-router:', (opening) => gateway?.adoptOpening(opening));
  await sharedBreakers?.start();
  const sharedIds = config.router.redis === undefined ? undefined : createRedisClient(config.router.redis);
  await sharedIds?.connect().catch(() => undefined);
  gateway = new Gateway(config, loadCatalog(), { quota, sharedBreakers, sharedIds, clock: options.clock, onConfigFault: (message) => log.error(message) });
  const reloader = new ConfigReloader(gateway, config.file, env, log, (result) => {
    gateway.metrics.configReloaded(result.ok);
    gateway.activity.recordReload(result);
  });
  if (options.watchConfig ?? true) reloader.watch();
  const app = createApp(gateway, log, reloader);

  const server = await new Promise<Server>((resolve, reject) => {
    const listening = serve(
      {
        fetch: app.fetch,
        port: options.port,
        hostname: options.host,
        // Slow or stalled clients are cut off instead of holding sockets: headers within 10 s, the whole
        // request body within 5 minutes (a 100 MB audio or batch file takes 160 s at 5 Mbit/s). Answers
        // may stream longer.
        serverOptions: { headersTimeout: 10_000, requestTimeout: 300_000, keepAliveTimeout: 65_000 },
      },
      () => resolve(listening as Server),
    );
    listening.once('error', reject);
  }).catch(async (error: unknown) => {
    reloader.close();
    await gateway.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(options.host, options.port, { cause: error });
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  const usable = gateway.current.table.deployments.filter((d) => d.client !== undefined).length;
  log.info(`groq-router listening on ${url} with ${gateway.current.table.groups.size} model groups, ${usable} usable deployments`);

  return {
    url,
    port,
    gateway,
    reloader,
    close: async () => {
      reloader.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await gateway.close();
    },
  };
}
