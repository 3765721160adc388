import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load.js';
import { createLogger } from '../log.js';
import { PortInUseError, startGateway } from '../server.js';
import { STAY_RUNNING, type CommandIo, type CommandResult } from './io.js';
import { GATEWAY_OPTIONS, listenAddress, portProblem } from './listen.js';

export const SERVE_USAGE = `Usage: groq-router [serve] [--config FILE] [--port N] [--host ADDR]
       groq-router check [--config FILE] [--json]
       groq-router keys new --alias NAME [--models ALIAS,ALIAS]
       groq-router status [--url URL] [--key KEY] [--watch] [--json]
       groq-router doctor [--config FILE]
       groq-router --version

  --config  LiteLLM-format config file (default: litellm.config.yaml)
  --port    port to listen on (default: $PORT or 4000)
  --host    address to bind (default: $HOST or 127.0.0.1)
  --version print the version and exit

Commands:
  serve     start the gateway (the default when no command is given)
  check     validate the config and print the resolved routing table
  keys new  make a client key and the config lines that admit it
  status    what a running gateway is doing: aliases, chains, budgets, ejected deployments
  doctor    check config, keys, base URLs, Redis, port and Node without spending tokens

Run \`groq-router <command> --help\` for a command's options.
`;

/**
 * Starts the gateway and leaves it running until SIGINT/SIGTERM (SIGHUP reloads the config). Failures are printed as they always
 * were (a bad config as its file:line:col list) and give exit code 1; a bad --port gives 2.
 */
export async function runServe(argv: readonly string[], io: CommandIo): Promise<CommandResult> {
  try {
    return await serve(argv, io);
  } catch (err) {
    if (err instanceof ConfigError) io.err(`groq-router: invalid config\n${err.message}\n`);
    else if (err instanceof PortInUseError) io.err(`groq-router: ${err.message}\n`);
    else io.err(`groq-router: ${err instanceof Error ? err.message : String(err)}\n${SERVE_USAGE}`);
    return 1;
  }
}

async function serve(argv: readonly string[], io: CommandIo): Promise<CommandResult> {
  const { values } = parseArgs({
    args: [...argv],
    options: { ...GATEWAY_OPTIONS, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    io.out(SERVE_USAGE);
    return 0;
  }
  const { port, host } = listenAddress(values, process.env);
  const badPort = portProblem(port, values, process.env);
  if (badPort !== undefined) {
    io.err(`groq-router: ${badPort}\n`);
    return 2;
  }
  const log = createLogger();
  // The gateway must outlive any single bad request; a stray rejection is logged, not fatal.
  process.on('unhandledRejection', (reason) => log.error(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`));

  const running = await startGateway({
    configFile: values.config,
    port,
    host,
    log,
  });
  let draining = false;
  const stop = (signal: string) => {
    if (draining) {
      // The operator means it: no more waiting.
      log.warn(`${signal} again: stopping at once`);
      process.exit(1);
    }
    draining = true;
    log.info(`${signal}: draining (a second signal stops at once)`);
    running.drain().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error(`drain failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // The conventional "re-read your config": same path as a file change or POST /config/reload.
  process.on('SIGHUP', () => running.reloader.reload('signal'));
  return STAY_RUNNING;
}
