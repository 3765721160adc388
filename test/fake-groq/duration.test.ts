import { describe, expect, it } from 'vitest';
import { formatGroqDuration, parseGroqDuration } from './duration.js';

describe('formatGroqDuration', () => {
  it.each([
    [179_560, '2m59.56s'],
    [7_660, '7.66s'],
    [120, '120ms'],
    [1_200, '1.2s'],
    [60_000, '1m0s'],
    [86_400_000, '24h0m0s'],
    [3_605_000, '1h0m5s'],
    [0, '0s'],
    [-5, '0s'],
    [0.4, '1ms'],
    [999.7, '1s'],
    [59_999, '1m0s'],
  ])('%d ms -> %s', (ms, text) => {
    expect(formatGroqDuration(ms)).toBe(text);
  });
});

describe('parseGroqDuration', () => {
  it.each([
    ['2m59.56s', 179_560],
    ['7.66s', 7_660],
    ['120ms', 120],
    ['1h0m5s', 3_605_000],
    ['0s', 0],
  ])('%s -> %d ms', (text, ms) => {
    expect(parseGroqDuration(text)).toBeCloseTo(ms, 6);
  });

  it('rejects junk', () => {
    for (const junk of ['', 'abc', '5', '5x', 's', '1m 2s']) expect(parseGroqDuration(junk)).toBeUndefined();
  });

  it('round-trips', () => {
    for (const ms of [5, 1_000, 12_340, 61_000, 3_600_000, 90_061_230]) {
      expect(parseGroqDuration(formatGroqDuration(ms))).toBe(ms);
    }
  });
});
