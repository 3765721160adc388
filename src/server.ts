import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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
import { SHUTTING_DOWN } from './routing/timed-signal.js';

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
  /** Tests shorten the client deadlines to see them enforced. */
  readonly clientTimeouts?: Partial<ClientTimeouts>;
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
  /** Stops at once: connections are cut. */
  close(): Promise<void>;
  /**
   * Graceful drain (SIGTERM/SIGINT): readiness goes 503, no new connections are taken and idle ones are
   * closed; requests in flight have `graceMs` (default `general_settings.graceful_shutdown_seconds`) to
   * finish. Then streams still running end with an error frame and `[DONE]` and other requests with a
   * 503; every reservation is given back (to Redis too) before the stores close.
   */
  drain(graceMs?: number): Promise<void>;
}

/**
 * The client-side deadlines: request headers within 10 s; the whole request (its body included) within
 * 5 minutes (a 100 MB audio or batch file takes 160 s at 5 Mbit/s). Node checks them only every
 * `connectionsCheckingInterval` (30 s by default, which let slow headers live 26-30 s), so it checks
 * every second. Answers may stream longer.
 */
export const CLIENT_TIMEOUTS: ClientTimeouts = { headersMs: 10_000, requestMs: 300_000, checkEveryMs: 1_000, keepAliveMs: 65_000 };

export interface ClientTimeouts {
  readonly headersMs: number;
  readonly requestMs: number;
  readonly checkEveryMs: number;
  readonly keepAliveMs: number;
}

/** After the grace period: how long ended requests get to write their last bytes before sockets are cut. */
const DRAIN_FINAL_MS = 2_000;

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
  for (const warning of gateway.current.table.chainWarnings) log.warn(`${config.file}: ${warning}`);
  const reloader = new ConfigReloader(gateway, config.file, env, log, (result) => {
    gateway.metrics.configReloaded(result.ok);
    gateway.activity.recordReload(result);
  });
  if (options.watchConfig ?? true) reloader.watch();
  const app = createApp(gateway, log, reloader);

  const timeouts = { ...CLIENT_TIMEOUTS, ...options.clientTimeouts };
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = serve(
      {
        fetch: app.fetch,
        port: options.port,
        hostname: options.host,
        // Slow or stalled clients are cut off instead of holding sockets (see CLIENT_TIMEOUTS).
        serverOptions: {
          headersTimeout: timeouts.headersMs,
          requestTimeout: timeouts.requestMs,
          keepAliveTimeout: timeouts.keepAliveMs,
          connectionsCheckingInterval: timeouts.checkEveryMs,
        },
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
  const inFlight = new InFlight(gateway.metrics);
  // Before the app's own listener, so a request is counted before any of its handling (a `/metrics`
  // scrape counts itself).
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    inFlight.add(res);
    // While draining, a kept-alive connection closes after the answer it is giving.
    if (gateway.draining) res.shouldKeepAlive = false;
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
    drain: async (graceMs = gateway.current.config.general.gracefulShutdownMs) => {
      gateway.draining = true;
      reloader.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Kept-alive connections go idle as their answers finish; close each as it does.
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      try {
        log.info(`draining: ${inFlight.size} requests in flight, up to ${graceMs / 1000} s to finish`);
        if (!(await inFlight.settled(graceMs))) {
          log.warn(`grace period over: ending ${inFlight.size} requests still in flight`);
          gateway.stopping.stop(SHUTTING_DOWN);
          await inFlight.settled(DRAIN_FINAL_MS);
        }
      } finally {
        clearInterval(sweep);
      }
      server.closeAllConnections();
      await closed;
      // Every request has ended, so every reservation is settled or released; the stores flush on close.
      await gateway.close();
    },
  };
}

/**
 * The answers being written, so a drain knows when the last one is done; they are also the
 * `litellm_in_flight_requests` gauge (one `close` listener per answer for both).
 */
class InFlight {
  private readonly open = new Set<ServerResponse>();
  private waiters: Array<() => void> = [];

  constructor(private readonly counter: { requestStarted(): void; requestEnded(): void }) {}

  get size(): number {
    return this.open.size;
  }

  add(res: ServerResponse): void {
    this.open.add(res);
    this.counter.requestStarted();
    res.once('close', () => {
      this.open.delete(res);
      this.counter.requestEnded();
      if (this.open.size > 0) return;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Resolves `true` once nothing is in flight, or `false` after `ms`. */
  settled(ms: number): Promise<boolean> {
    if (this.open.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
