import { describe, expect, it } from 'vitest';
import { OutsideRequests } from './outside-requests.js';

describe('OutsideRequests', () => {
  it('reads a gap of zero or more as it is: our count was raised to Groq’s at the last look', () => {
    const outside = new OutsideRequests();
    expect(outside.since('b', 0)).toBe(0);
    expect(outside.since('b', 3)).toBe(3);
    expect(outside.since('b', 0)).toBe(0);
    expect(outside.since('b', undefined)).toBeUndefined();
  });

  it('counts only the rise since the last look while our count stays above Groq’s', () => {
    const outside = new OutsideRequests();
    // Groq refilled five of its day's requests that our window still counts.
    expect(outside.since('b', -5)).toBe(-5);
    // Another consumer made two requests: Groq's count is still below ours, but rose by two beside it.
    expect(outside.since('b', -3)).toBe(2);
    expect(outside.since('b', -3)).toBe(0);
    // Four more: Groq's count is now above ours by one, which the reconciliation books.
    expect(outside.since('b', 1)).toBe(4);
    expect(outside.since('b', 0)).toBe(0);
    // Each budget its own.
    expect(outside.since('c', -2)).toBe(-2);
    expect(outside.since('b', 2)).toBe(2);
  });
});
