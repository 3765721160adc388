import { runCheck } from './check.js';
import { USAGE_ERROR, type CommandIo, type CommandResult } from './io.js';
import { runDoctor } from './doctor.js';
import { runKeys } from './keys.js';
import { runStatus } from './status.js';
import { runServe, SERVE_USAGE } from './serve.js';
import { VERSION } from '../version.js';

type Command = (argv: readonly string[], io: CommandIo) => CommandResult | Promise<CommandResult>;

const COMMANDS: Readonly<Record<string, Command>> = {
  serve: runServe,
  check: (argv, io) => runCheck(argv, io),
  keys: (argv, io) => runKeys(argv, io),
  status: (argv, io) => runStatus(argv, io),
  doctor: (argv, io) => runDoctor(argv, io),
};

/**
 * `groq-router [command] [options]`. Without a command (the first argument is an option, or there is
 * none) it serves, exactly as before commands existed, so existing scripts and `npm start -- --port N`
 * keep working.
 */
export async function dispatch(argv: readonly string[], io: CommandIo): Promise<CommandResult> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v' || first === 'version') {
    io.out(`groq-router ${VERSION}\n`);
    return 0;
  }
  if (first === undefined || first.startsWith('-')) return runServe(argv, io);
  if (first === 'help') {
    io.out(SERVE_USAGE);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (command === undefined) {
    io.err(`groq-router: unknown command ${JSON.stringify(first)}\n\n${SERVE_USAGE}`);
    return USAGE_ERROR;
  }
  return command(rest, io);
}
