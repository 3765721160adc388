#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError } from './config/load.js';
import { createLogger } from './log.js';
import { startGateway } from './server.js';

const USAGE = `Usage: groq-router [--config FILE] [--port N] [--host ADDR]

  --config  LiteLLM-format config file (default: litellm.config.yaml)
  --port    port to listen on (default: $PORT or 4000)
  --host    address to bind (default: $HOST or 127.0.0.1)
`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', default: 'litellm.config.yaml' },
      port: { type: 'string' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = Number(values.port ?? process.env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`groq-router: --port must be an integer from 0 to 65535, got ${values.port ?? process.env.PORT}\n`);
    return 2;
  }
  const log = createLogger();
  // The gateway must outlive any single bad request; a stray rejection is logged, not fatal.
  process.on('unhandledRejection', (reason) => log.error(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`));

  const running = await startGateway({
    configFile: values.config as string,
    port,
    host: values.host ?? process.env.HOST ?? '127.0.0.1',
    log,
  });
  const stop = (signal: string) => {
    log.info(`${signal}: shutting down`);
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`groq-router: invalid config\n${err.message}\n`);
    else process.stderr.write(`groq-router: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(1);
  },
);
