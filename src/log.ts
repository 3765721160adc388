/**
 * Plain line logging to stderr. Callers pass only non-secret values: deployment ids and labels, never
 * keys or request bodies.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createLogger(
  level: LogLevel = (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info',
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Logger {
  const threshold = RANK[level] ?? RANK.info;
  const at = (lvl: LogLevel) => (message: string) => {
    if (RANK[lvl] >= threshold) write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${message}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger whose every message passes `redact` first (secrets out of upstream text). */
export function redactingLogger(inner: Logger, redact: (message: string) => string): Logger {
  return {
    debug: (message) => inner.debug(redact(message)),
    info: (message) => inner.info(redact(message)),
    warn: (message) => inner.warn(redact(message)),
    error: (message) => inner.error(redact(message)),
  };
}
