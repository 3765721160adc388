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

/** A command line that fails to parse is reported with the command's usage; anything else propagates. */
export function parseOrReport<T>(parse: () => T, command: string, usage: string, io: CommandIo): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (!isParseArgsError(err)) throw err;
    io.err(`${command}: ${err.message}\n\n${usage}`);
    return undefined;
  }
}

function isParseArgsError(err: unknown): err is Error {
  if (!(err instanceof Error) || !('code' in err)) return false;
  return typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS');
}
