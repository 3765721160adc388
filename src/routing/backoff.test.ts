import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff.js';

describe('backoffMs', () => {
  it('doubles from 0.5 s up to 8 s, jittered down by at most half', () => {
    expect(backoffMs(0, () => 0)).toBe(250);
    expect(backoffMs(0, () => 0.999_999)).toBeCloseTo(500, 0);
    expect(backoffMs(1, () => 0.5)).toBe(750);
    expect(backoffMs(3, () => 0)).toBe(2_000);
    expect(backoffMs(10, () => 0.999_999)).toBeCloseTo(8_000, 0);
    expect(backoffMs(50, () => 0)).toBe(4_000);
  });
});
