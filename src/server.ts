import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { loadCatalog } from './catalog/load.js';
import { loadConfig } from './config/load.js';
import { Gateway } from './gateway.js';
import { createLogger, type Logger } from './log.js';
import type { QuotaStore } from './quota/types.js';

export interface StartOptions {
  readonly configFile: string;
  readonly port: number;
  readonly host: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: Logger;
  /** Where budgets live; in memory unless given (tests pass one with their own clock). */
  readonly quota?: QuotaStore;
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly gateway: Gateway;
  close(): Promise<void>;
}

/** Loads the config (throwing `ConfigError` when it is bad), builds the gateway and starts listening. */
export async function startGateway(options: StartOptions): Promise<RunningGateway> {
  const log = options.log ?? createLogger();
  const config = loadConfig(options.configFile, options.env ?? process.env);
  for (const warning of config.warnings) {
    const at = warning.line !== undefined ? `:${warning.line}:${warning.column ?? 1}` : '';
    log.warn(`${config.file}${at}: ${warning.path}: ${warning.message}`);
  }
  const gateway = new Gateway(config, loadCatalog(), { quota: options.quota, onConfigFault: (message) => log.error(message) });
  const app = createApp(gateway, log);

  const server = await new Promise<Server>((resolve, reject) => {
    const listening = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, () => resolve(listening as Server));
    listening.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  const usable = gateway.current.table.deployments.filter((d) => d.client !== undefined).length;
  log.info(`groq-router listening on ${url} with ${gateway.current.table.groups.size} model groups, ${usable} usable deployments`);

  return {
    url,
    port,
    gateway,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await gateway.close();
    },
  };
}
