import { describe, expect, it } from 'vitest';
import { Neighbours } from './neighbours.js';

describe('Neighbours', () => {
  it('keeps a quarter of what other consumers spent in the last minute free, and nothing without them', () => {
    let now = 0;
    const neighbours = new Neighbours(() => now);
    expect(neighbours.spare('b')).toBe(0);
    neighbours.observe('b', 800);
    neighbours.observe('b', -300);
    now = 30_000;
    neighbours.observe('b', 400);
    expect(neighbours.spare('b')).toBe(300);
    now = 61_000;
    expect(neighbours.spare('b')).toBe(100);
    now = 91_000;
    expect(neighbours.spare('b')).toBe(0);
  });
});
