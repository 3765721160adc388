import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * Where a command writes. Commands take this instead of touching `process` so tests can call them
 * directly and read what they printed.
 */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Returned by a command that keeps running (the server): the process must not exit. */
export const STAY_RUNNING = 'stay-running';

export type CommandResult = number | typeof STAY_RUNNING;

/** Exit code for a command line that could not be understood (as opposed to a bad config, which is 1). */
export const USAGE_ERROR = 2;

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Every command takes -h/--help: print its usage, exit 0. */
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

type CommandValues<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; options: O & typeof HELP_OPTION; strict: true }>>['values'];

/**
 * A command's options, read strictly from its arguments, with -h/--help added. When the command line
 * already settles the outcome, the exit code instead: 0 after printing the usage for --help,
 * USAGE_ERROR after reporting a command line that fails to parse (with the usage). Anything else
 * propagates.
 */
export function parseCommandLine<const O extends OptionsConfig>(
  argv: readonly string[],
  options: O,
  command: string,
  usage: string,
  io: CommandIo,
): CommandValues<O> | number {
  const config: ParseArgsConfig = { args: [...argv], options: { ...options, ...HELP_OPTION }, strict: true };
  let values: ReturnType<typeof parseArgs<ParseArgsConfig>>['values'];
  try {
    values = parseArgs(config).values;
  } catch (err) {
    if (!isParseArgsError(err)) throw err;
    io.err(`${command}: ${err.message}\n\n${usage}`);
    return USAGE_ERROR;
  }
  if (values.help) {
    io.out(usage);
    return 0;
  }
  // What parseArgs returns for exactly these options, strict; TypeScript cannot follow it through the generic.
  return values as CommandValues<O>;
}

function isParseArgsError(err: unknown): err is Error {
  if (!(err instanceof Error) || !('code' in err)) return false;
  return typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS');
}
