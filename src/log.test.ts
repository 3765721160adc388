import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

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
