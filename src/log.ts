import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

/**
 * Logging. Callers pass only non-secret values: deployment ids and labels, request ids, key aliases
 * and previews, never keys or request bodies.
 *
 * Two formats, chosen by `LOG_FORMAT`:
 * - `json`: pino's own records, one JSON object per line, for log shippers;
 * - anything else: one readable line per record, `<time> <LEVEL> <message> key=value …`, written
 *   directly from the fields (no JSON written and parsed again per line: the request log writes a line
 *   for every request, so its cost is per request).
 * Lines go to stderr through one buffer, written at most `FLUSH_MS` after the first of them (at once
 * past 64 KB, and at exit), so the gateway pays one write for many lines rather than one each: a
 * write to a pipe costs about as much as the rest of a request's logging.
 * Neither pino-pretty (a large dev tool) nor a transport (a worker thread that loses the last lines on
 * a crash) is used.
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
  /** Whether lines at `level` are written at all, so callers can skip building them. */
  enabled?(level: LogLevel): boolean;
  /**
   * The same logger with every finished line passed through `redact`: one scan of the line as written.
   * Absent on loggers that cannot; `redactingLogger` then cleans each message and its fields.
   */
  redacting?(redact: (text: string) => string): Logger;
}

const RANKS: Readonly<Record<LogLevel, number>> = { debug: 20, info: 30, warn: 40, error: 50 };
const LEVELS: ReadonlySet<string> = new Set(Object.keys(RANKS));

export function createLogger(
  level: LogLevel = levelFrom(process.env.LOG_LEVEL),
  write: (line: string) => void = stderrLine,
  format: LogFormat = process.env.LOG_FORMAT === 'json' ? 'json' : 'text',
): Logger {
  const min = RANKS[LEVELS.has(level) ? level : 'info'];
  if (format === 'text') return new TextLogger(write, min, [], identity, new IsoClock());
  return jsonLogger(write, min, identity);
}

function levelFrom(value: string | undefined): LogLevel {
  const lower = value?.toLowerCase();
  return lower !== undefined && LEVELS.has(lower) ? (lower as LogLevel) : 'info';
}

const identity = (text: string): string => text;

let pending = '';
let flushScheduled = false;
/** How long a line may wait in the buffer for others to share its write. */
const FLUSH_MS = 20;

/** Appends a line to stderr's buffer; written within `FLUSH_MS`, when the buffer is full, or at exit. */
function stderrLine(line: string): void {
  pending += line + '\n';
  if (pending.length >= 1 << 16) flushStderr();
  else if (!flushScheduled) {
    flushScheduled = true;
    if (pending.length === line.length + 1) process.once('exit', flushStderr);
    // Unref'd: a gateway with nothing else to do exits, and writes what is left in its exit handler.
    setTimeout(flushStderr, FLUSH_MS).unref();
  }
}

/** Stderr is synchronous for files, pipes and terminals on POSIX, so this also works in an `exit` handler. */
function flushStderr(): void {
  flushScheduled = false;
  if (pending === '') return;
  const out = pending;
  pending = '';
  process.removeListener('exit', flushStderr);
  process.stderr.write(out);
}

/**
 * JSON text with the secrets taken out of its strings only, the same text when it holds none: a secret
 * that is a number (a numeric password) must not turn `"prompt_tokens":1234567` into invalid JSON.
 */
function redactedJson(text: string, redact: (text: string) => string): string {
  if (redact(text) === text) return text;
  return JSON.stringify(JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' ? redact(value) : value)));
}

/** pino's JSON records: pino serialises each record once; the finished line is redacted if asked. */
function jsonLogger(write: (line: string) => void, min: number, redact: (text: string) => string): Logger {
  const root = pino(
    {
      level: (Object.keys(RANKS) as LogLevel[]).find((name) => RANKS[name] === min) ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (record: string) => write(redactedJson(record.trimEnd(), redact)) } satisfies DestinationStream,
  );
  return { ...wrapPino(root, min, redact), redacting: (again) => jsonLogger(write, min, redact === identity ? again : (text) => again(redact(text))) };
}

function wrapPino(logger: PinoLogger, min: number, redact: (text: string) => string): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (RANKS[level] < min) return;
      // Also before pino escapes it: a secret JSON would escape (a quote, a backslash) is still found.
      const clean = redact === identity ? message : redact(message);
      if (fields === undefined) logger[level](clean);
      else logger[level](fields, clean);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => wrapPino(logger.child(bindings), min, redact),
    enabled: (level) => RANKS[level] >= min,
  };
}

/** Keys every line has, shown in its head rather than as `key=value`. */
const isHeadKey = (key: string): boolean => key === 'time' || key === 'level' || key === 'msg';
const LABELS: Readonly<Record<LogLevel, string>> = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR' };

/**
 * The time as `Date.prototype.toISOString` writes it, with everything up to the second built once a
 * second: the request log writes a line per request, and `toISOString` costs about eight times as much
 * as `Date.now()` and the milliseconds added to a kept prefix (README, "Issue 20, tenth round").
 */
export class IsoClock {
  private secondStart = Number.NaN;
  /** `YYYY-MM-DDTHH:MM:SS.` of the second that starts at `secondStart`. */
  private prefix = '';

  constructor(private readonly epochMs: () => number = Date.now) {}

  now(): string {
    // Whole milliseconds, as a Date keeps them (it truncates toward zero).
    const now = Math.trunc(this.epochMs());
    let ms = now - this.secondStart;
    // NaN at first; out of range when the second has passed or the clock went back.
    if (!(ms >= 0 && ms < 1000)) {
      ms = ((now % 1000) + 1000) % 1000;
      this.secondStart = now - ms;
      this.prefix = new Date(this.secondStart).toISOString().slice(0, -4);
    }
    return `${this.prefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  }
}

/** `<time> <LEVEL> <message> key=value …` on a single line, built straight from the fields. */
class TextLogger implements Logger {
  constructor(
    private readonly write: (line: string) => void,
    private readonly min: number,
    /** Child bindings, outermost first; a field of the line with the same key takes the binding's place. */
    private readonly bindings: ReadonlyArray<readonly [string, unknown]>,
    private readonly redact: (text: string) => string,
    /** Shared by the root logger and its children. */
    private readonly clock: IsoClock,
  ) {}

  debug(message: string, fields?: LogFields): void {
    if (this.min <= 20) this.line('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    if (this.min <= 30) this.line('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    if (this.min <= 40) this.line('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.line('error', message, fields);
  }

  enabled(level: LogLevel): boolean {
    return RANKS[level] >= this.min;
  }

  child(bindings: LogFields): Logger {
    // The request id's child, once per request: nothing to merge.
    if (this.bindings.length === 0) return new TextLogger(this.write, this.min, Object.entries(bindings), this.redact, this.clock);
    const own = Object.entries(bindings).filter(([key]) => !this.bindings.some(([bound]) => bound === key));
    const merged = this.bindings.map(([key, value]): readonly [string, unknown] => (Object.hasOwn(bindings, key) ? [key, (bindings as Record<string, unknown>)[key]] : [key, value]));
    return new TextLogger(this.write, this.min, [...merged, ...own], this.redact, this.clock);
  }

  redacting(redact: (text: string) => string): Logger {
    const inner = this.redact;
    return new TextLogger(this.write, this.min, this.bindings, inner === identity ? redact : (text) => redact(inner(text)), this.clock);
  }

  private line(level: LogLevel, message: string, fields: LogFields | undefined): void {
    let line = `${this.clock.now()} ${LABELS[level]} ${oneLine(message)}`;
    const values = fields as Record<string, unknown> | undefined;
    for (const [key, bound] of this.bindings) line += pair(key, values !== undefined && Object.hasOwn(values, key) ? values[key] : bound);
    if (values !== undefined) {
      for (const key of Object.keys(values)) {
        if (isHeadKey(key) || (this.bindings.length > 0 && this.bindings.some(([bound]) => bound === key))) continue;
        line += pair(key, values[key]);
      }
    }
    this.write(this.redact(line));
  }
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A message as one line of plain text: line breaks become ` | `, and any other control character (a
 * bare CR that would start a forged line, a terminal escape in a request's path) is written as an escape.
 */
function oneLine(message: string): string {
  if (!CONTROL.test(message)) return message;
  return message.replace(/\r?\n/g, ' | ').replace(/[\u0000-\u001f\u007f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** ` key=value`, or nothing for a value JSON would leave out or write as null. */
function pair(key: string, raw: unknown): string {
  let value = raw;
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') value = (value as { toJSON(): unknown }).toJSON();
  switch (typeof value) {
    case 'string':
      return ` ${key}=${PLAIN.test(value) ? value : JSON.stringify(value)}`;
    case 'number':
      return Number.isFinite(value) ? ` ${key}=${value}` : '';
    case 'boolean':
      return ` ${key}=${value}`;
    case 'object':
      return value === null ? '' : ` ${key}=${JSON.stringify(value)}`;
    default:
      return '';
  }
}

/** A string shown without quotes: no whitespace, quote or `=` to confuse a reader or a parser. */
const PLAIN = /^[^\s"=]+$/;

/**
 * A logger whose every message and field passes `redact` first (secrets out of upstream text, which
 * reaches lines through failure messages). Its children redact too. Loggers made here redact each
 * finished line once; any other logger has its message and fields cleaned before they are handed on.
 */
export function redactingLogger(inner: Logger, redact: (message: string) => string): Logger {
  if (inner.redacting !== undefined) return inner.redacting(redact);
  const clean = (fields: LogFields | undefined): LogFields | undefined => {
    if (fields === undefined) return undefined;
    // Fields rarely hold a secret: rebuild them only when redaction changed something.
    const text = JSON.stringify(fields);
    const redacted = redactedJson(text, redact);
    return redacted === text ? fields : (JSON.parse(redacted) as LogFields);
  };
  return {
    debug: (message, fields) => inner.debug(redact(message), clean(fields)),
    info: (message, fields) => inner.info(redact(message), clean(fields)),
    warn: (message, fields) => inner.warn(redact(message), clean(fields)),
    error: (message, fields) => inner.error(redact(message), clean(fields)),
    child: (bindings) => redactingLogger(inner.child(clean(bindings) ?? {}), redact),
    enabled: inner.enabled === undefined ? undefined : (level) => inner.enabled?.(level) ?? true,
  };
}
