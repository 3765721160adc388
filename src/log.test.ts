import { describe, expect, it } from 'vitest';
import { createLogger, IsoClock, redactingLogger, type Logger } from './log.js';

function capture(level: 'debug' | 'info' | 'warn' | 'error', format: 'json' | 'text') {
  const lines: string[] = [];
  return { lines, log: createLogger(level, (line) => lines.push(line), format) };
}

describe('createLogger', () => {
  it('writes one JSON object per line with LOG_FORMAT=json, fields and child bindings included', () => {
    const { lines, log } = capture('info', 'json');
    log.child({ request_id: 'r-1' }).info('served', { status: 200, attempts: [{ deployment: 'a/1', outcome: 'served' }] });
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'info', msg: 'served', request_id: 'r-1', status: 200, attempts: [{ deployment: 'a/1', outcome: 'served' }] });
    expect(Number.isNaN(Date.parse(String(record.time)))).toBe(false);
  });

  it('writes a readable single line by default: time, level, message, then key=value', () => {
    const { lines, log } = capture('info', 'text');
    log.child({ request_id: 'r-2' }).warn('first line\nsecond line', { alias: 'groq/llama', note: 'two words', attempts: [{ outcome: 'refused' }] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z WARN  first line \| second line request_id=r-2 alias=groq\/llama note="two words" attempts=\[\{"outcome":"refused"\}\]$/);
  });

  it('writes a message’s control characters (a bare CR, a terminal escape) as escapes, never raw', () => {
    const { lines, log } = capture('info', 'text');
    log.info('GET /v1/x\rforged line \u001b[2J cleared\u0007');
    expect(lines[0]).toContain('GET /v1/x\\u000dforged line \\u001b[2J cleared\\u0007');
    expect(lines[0]).not.toMatch(/[\u0000-\u001f\u007f]/);
  });

  it('drops lines below the level', () => {
    const { lines, log } = capture('info', 'text');
    log.debug('hidden');
    log.info('shown');
    expect(lines).toHaveLength(1);
    const debug = capture('debug', 'json');
    debug.log.debug('shown too');
    expect(debug.lines).toHaveLength(1);
  });
});

describe('text lines', () => {
  it('writes a field that repeats a binding once, in the binding\'s place, and leaves out what JSON would', () => {
    const { lines, log } = capture('info', 'text');
    log.child({ request_id: 'r-3' }).info('served', { status: 200, request_id: 'r-3', gone: undefined, none: null, nan: Number.NaN, at: new Date(0), ok: true });
    expect(lines[0]).toMatch(/ INFO  served request_id=r-3 status=200 at=1970-01-01T00:00:00\.000Z ok=true$/);
  });

  it('leaves fields named like the head (time, level, msg) out of the key=value part', () => {
    const { lines, log } = capture('info', 'text');
    log.info('served', { time: 1, level: 'x', msg: 'y', status: 200 });
    expect(lines[0]).toMatch(/ INFO  served status=200$/);
  });
});

describe('redactingLogger', () => {
  const SECRET = 'gsk_secret_value_123';
  const redact = (text: string) => text.replaceAll(SECRET, '[redacted]');

  it.each(['text', 'json'] as const)('removes a secret from the message, the fields and child bindings of a %s line', (format) => {
    const { lines, log } = capture('info', format);
    const redacting = redactingLogger(log, redact);
    redacting.child({ note: `key ${SECRET}` }).warn(`upstream said ${SECRET}`, { message: `bad key ${SECRET}`, nested: [{ text: SECRET }] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]?.split('[redacted]')).toHaveLength(5);
  });

  it.each(['json', 'plain'] as const)('takes a secret that is a number out of the strings of a %s record only, and keeps it valid', (kind) => {
    const numeric = (text: string) => text.replaceAll('123456', '[redacted]');
    const seen: unknown[] = [];
    const plain: Logger = { debug: () => undefined, info: (_m, fields) => seen.push(fields), warn: () => undefined, error: () => undefined, child: () => plain };
    const { lines, log } = capture('info', 'json');
    redactingLogger(kind === 'json' ? log : plain, numeric).info('served', { prompt_tokens: 1234567, note: 'password 123456' });
    const record = (kind === 'json' ? JSON.parse(lines[0] ?? '') : seen[0]) as Record<string, unknown>;
    expect(record).toMatchObject({ prompt_tokens: 1234567, note: 'password [redacted]' });
  });

  it('cleans the message and fields of a logger that cannot redact its own lines', () => {
    const seen: unknown[] = [];
    const plain: Logger = {
      debug: () => undefined,
      info: (message, fields) => seen.push(message, fields),
      warn: () => undefined,
      error: () => undefined,
      child: () => plain,
    };
    redactingLogger(plain, redact).info(`a ${SECRET}`, { text: SECRET, count: 1 });
    expect(seen).toEqual(['a [redacted]', { text: '[redacted]', count: 1 }]);
  });
});

describe('IsoClock', () => {
  it('writes what toISOString writes, across seconds, days, jumps and a clock set back', () => {
    let now = 0;
    const clock = new IsoClock(() => now);
    const times = [
      Date.UTC(2026, 11, 2, 14, 5, 59, 998), Date.UTC(2026, 11, 2, 14, 5, 59, 999), Date.UTC(2026, 11, 2, 14, 6, 0, 0),
      Date.UTC(2026, 11, 2, 14, 6, 0, 7), Date.UTC(2026, 11, 2, 14, 6, 0, 42), Date.UTC(2026, 11, 2, 14, 6, 0, 420),
      Date.UTC(2026, 11, 2, 23, 59, 59, 999), Date.UTC(2026, 11, 3, 0, 0, 0, 1), Date.UTC(2026, 11, 3, 0, 0, 0, 1),
      // Set back by less than a second, then by more, then forward by hours.
      Date.UTC(2026, 11, 2, 23, 59, 59, 500), Date.UTC(2026, 11, 2, 14, 6, 0, 0), Date.UTC(2026, 11, 2, 20, 0, 0, 999), 0, 999, 1_000,
      // A clock with fractions (performance.timeOrigin + performance.now(), say), and before 1970.
      1.5, -0.5, Date.UTC(2026, 11, 2, 14, 6, 0, 999) + 0.75, -1_000, -1_001,
    ];
    for (const time of times) {
      now = time;
      expect(clock.now()).toBe(new Date(time).toISOString());
    }
  });

  it("stamps the text logger's lines", () => {
    const { lines, log } = capture('info', 'text');
    const before = Date.now();
    log.info('served');
    const stamped = Date.parse((lines[0] ?? '').split(' ')[0] ?? '');
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(Date.now());
  });
});
