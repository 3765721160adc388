import { describe, expect, it } from 'vitest';
import { parseGroqDuration, parseRetryAfter } from './rate-limit-headers.js';

describe('parseGroqDuration', () => {
  it.each([
    ['2m59.56s', 179_560],
    ['7.66s', 7_660],
    ['120ms', 120],
    ['1h2m3s', 3_723_000],
    ['1h', 3_600_000],
    ['2', 2_000],
    ['0.5', 500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGroqDuration(text)).toBeCloseTo(ms, 6);
  });

  it.each(['', 'soon', '5x', '1m-2s', 's'])('rejects %j', (text) => {
    expect(parseGroqDuration(text)).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it('reads delta seconds and HTTP dates', () => {
    expect(parseRetryAfter('7')).toBe(7);
    expect(parseRetryAfter('1.5')).toBe(1.5);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('later')).toBeUndefined();
  });
});
