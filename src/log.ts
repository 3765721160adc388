import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

/**
 * Logging through pino. Callers pass only non-secret values: deployment ids and labels, request ids,
 * key aliases and previews, never keys or request bodies.
 *
 * Two formats, chosen by `LOG_FORMAT`:
 * - `json`: pino's own records, one JSON object per line, for log shippers;
 * - anything else: one readable line per record, `<time> <LEVEL> <message> key=value …`.
 * The readable form is a synchronous pino destination that reformats each record as it is written,
 * rather than pino-pretty (a large dev tool) or a transport (a worker thread that loses the last lines
 * on a crash and reorders them against stderr). Both formats come out of the same pino record.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';

/** Structured fields of one line; values are plain data (strings, numbers, booleans, arrays, objects). */
export type LogFields = object;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose every line also carries `bindings` (e.g. the request id). */
  child(bindings: LogFields): Logger;
}

const LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'warn', 'error']);

export function createLogger(
  level: LogLevel = levelFrom(process.env.LOG_LEVEL),
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  format: LogFormat = process.env.LOG_FORMAT === 'json' ? 'json' : 'text',
): Logger {
  const destination: DestinationStream = {
    write: format === 'json' ? (record: string) => write(record.trimEnd()) : (record: string) => write(textLine(record)),
  };
  const root = pino(
    {
      level: LEVELS.has(level) ? level : 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return wrap(root);
}

function levelFrom(value: string | undefined): LogLevel {
  const lower = value?.toLowerCase();
  return lower !== undefined && LEVELS.has(lower) ? (lower as LogLevel) : 'info';
}

function wrap(logger: PinoLogger): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (fields === undefined) logger[level](message);
      else logger[level](fields, message);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => wrap(logger.child(bindings)),
  };
}

/** Keys every record has, shown in the line's head rather than as `key=value`. */
const HEAD = new Set(['time', 'level', 'msg']);

/** One pino JSON record as `<time> <LEVEL> <message> key=value …` on a single line. */
export function textLine(record: string): string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(record) as Record<string, unknown>;
  } catch {
    return record.trimEnd();
  }
  const head = `${String(parsed.time)} ${String(parsed.level).toUpperCase().padEnd(5)} ${oneLine(String(parsed.msg ?? ''))}`;
  const tail: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (HEAD.has(key) || value === undefined || value === null) continue;
    tail.push(`${key}=${textValue(value)}`);
  }
  return tail.length === 0 ? head : `${head} ${tail.join(' ')}`;
}

function textValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Stacks and multi-line messages stay on their record's line. */
function oneLine(text: string): string {
  return text.includes('\n') ? text.replace(/\r?\n/g, ' | ') : text;
}

/**
 * A logger whose every message and field passes `redact` first (secrets out of upstream text, which
 * request records carry in their attempts' failures). Its children redact too.
 */
export function redactingLogger(inner: Logger, redact: (message: string) => string): Logger {
  const clean = (fields: LogFields | undefined): LogFields | undefined => {
    if (fields === undefined) return undefined;
    // Fields rarely hold a secret: rebuild them only when redaction changed something.
    const text = JSON.stringify(fields);
    const redacted = redact(text);
    return redacted === text ? fields : (JSON.parse(redacted) as LogFields);
  };
  return {
    debug: (message, fields) => inner.debug(redact(message), clean(fields)),
    info: (message, fields) => inner.info(redact(message), clean(fields)),
    warn: (message, fields) => inner.warn(redact(message), clean(fields)),
    error: (message, fields) => inner.error(redact(message), clean(fields)),
    child: (bindings) => redactingLogger(inner.child(clean(bindings) ?? {}), redact),
  };
}
