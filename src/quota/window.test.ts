import { describe, expect, it } from 'vitest';
import { WINDOW_NAMES, WINDOW_SPECS, bookingExpiresAt } from './types.js';
import { BucketedWindow } from './window.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Mechanics are pinned to one-second buckets here so the numbers read easily, whatever WINDOW_SPECS holds. */
const SECONDS = { windowMs: MINUTE, bucketMs: 1_000 } as const;

describe('BucketedWindow buckets and expiry', () => {
  it('puts 59.999 s and 60 s in different buckets that expire one bucket apart', () => {
    const w = new BucketedWindow(SECONDS);
    expect(w.add(59_999, 5)).toBe(59);
    expect(w.add(60_000, 7)).toBe(60);
    // Bucket 59 starts at 59 s: it counts until 59 s + 1 s + 60 s.
    expect(w.used(119_999)).toBe(12);
    expect(w.used(120_000)).toBe(7);
    expect(w.used(120_999)).toBe(7);
    expect(w.used(121_000)).toBe(0);
  });

  it('never under-counts an exact sliding window: usage lasts windowMs after the event, and at most one bucket more', () => {
    const w = new BucketedWindow(SECONDS);
    w.add(10_400, 1);
    expect(w.used(10_400 + MINUTE - 1)).toBe(1);
    expect(w.used(10_400 + MINUTE + 599)).toBe(1);
    expect(w.used(11_000 + MINUTE)).toBe(0);
  });

  it.each(WINDOW_NAMES)('%s: usage counts until exactly bucket start + bucket + grace + window', (name) => {
    const { bucketMs: b } = WINDOW_SPECS[name];
    const W = WINDOW_SPECS[name].windowMs + graceOf(WINDOW_SPECS[name]);
    const w = new BucketedWindow(WINDOW_SPECS[name]);
    const start = 1_000 * b;
    expect(w.add(start + b - 1, 1)).toBe(1_000);
    expect(w.add(start + b, 2)).toBe(1_001);
    expect(w.used(start + b + W - 1)).toBe(3);
    expect(w.resetMs(start + b + W - 1)).toBe(1);
    expect(w.used(start + b + W)).toBe(2);
    expect(w.used(start + 2 * b + W - 1)).toBe(2);
    expect(w.used(start + 2 * b + W)).toBe(0);
  });

  it('reports when the oldest usage expires', () => {
    const w = new BucketedWindow(SECONDS);
    expect(w.resetMs(0)).toBe(0);
    w.add(2_500, 1);
    w.add(4_000, 1);
    expect(w.resetMs(10_000)).toBe(63_000 - 10_000);
    expect(w.resetMs(63_000)).toBe(65_000 - 63_000);
    expect(w.resetMs(65_000)).toBe(0);
  });

  it('rejects specs that do not split into whole buckets, and junk amounts or times', () => {
    expect(() => new BucketedWindow({ windowMs: 60_000, bucketMs: 7_000 })).toThrow(RangeError);
    expect(() => new BucketedWindow({ windowMs: 60_000, bucketMs: 0 })).toThrow(RangeError);
    const w = new BucketedWindow(SECONDS);
    expect(() => w.add(0, Number.NaN)).toThrow(RangeError);
    expect(() => w.add(0, -1)).toThrow(RangeError);
    expect(() => w.add(Number.NaN, 1)).toThrow(RangeError);
    expect(w.used(0)).toBe(0);
  });
});

describe('BucketedWindow.msUntilFits', () => {
  it('is 0 when the demand fits, Infinity when it exceeds the limit itself', () => {
    const w = new BucketedWindow(SECONDS);
    w.add(0, 60);
    expect(w.msUntilFits(0, 40, 100)).toBe(0);
    expect(w.msUntilFits(0, 101, 100)).toBe(Number.POSITIVE_INFINITY);
    expect(w.msUntilFits(0, 1, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(w.msUntilFits(0, 100, 100)).toBe(61_000);
  });

  it('walks buckets oldest first until enough has expired', () => {
    const w = new BucketedWindow(SECONDS);
    w.add(0, 3);
    w.add(1_500, 2);
    w.add(2_500, 4);
    // 9 used of 10; 5 more needs 4 freed: bucket 0 frees 3, bucket 1 brings it to 5.
    expect(w.msUntilFits(3_000, 5, 10)).toBe(62_000 - 3_000);
    expect(w.msUntilFits(3_000, 10, 10)).toBe(63_000 - 3_000);
    expect(w.used(61_999) + 5).toBeGreaterThan(10);
    expect(w.used(62_000) + 5).toBeLessThanOrEqual(10);
  });
});

describe('BucketedWindow.adjust', () => {
  it('changes only live buckets and never below zero', () => {
    const w = new BucketedWindow(SECONDS);
    const bucket = w.add(1_000, 10);
    w.add(2_000, 5);
    expect(w.adjust(bucket, -4, 3_000)).toBe(-4);
    expect(w.used(3_000)).toBe(11);
    expect(w.adjust(bucket, -100, 3_000)).toBe(-6);
    expect(w.used(3_000)).toBe(5);
    expect(w.adjust(bucket, 2, 3_000)).toBe(2);
    expect(w.used(3_000)).toBe(7);
    // Expired: nothing left to correct, and the newer bucket is untouched.
    expect(w.adjust(bucket, -2, 62_000)).toBe(0);
    expect(w.used(62_000)).toBe(5);
    // Not yet opened, or not a bucket number: ignored rather than aliased onto a ring slot.
    expect(w.adjust(10_000, 3, 62_000)).toBe(0);
    expect(w.adjust(2.5, 3, 62_000)).toBe(0);
    expect(w.used(62_000)).toBe(5);
  });
});

describe('BucketedWindow grace', () => {
  it('keeps a booking whole grace buckets past the window, so a later arrival upstream expires first', () => {
    const w = new BucketedWindow({ windowMs: 60_000, bucketMs: 50, graceMs: 100 });
    w.add(1_049, 1);
    // Bucket [1000, 1050) ends at 1050; plus the window and two grace buckets.
    expect(w.expiryOf(w.bucketOf(1_049))).toBe(61_150);
    expect(w.msUntilFits(61_000, 1, 1)).toBe(150);
    expect(w.used(61_149)).toBe(1);
    expect(w.used(61_150)).toBe(0);
  });
});

describe('BucketedWindow time handling', () => {
  it('clears in one step when time jumps past the whole ring', () => {
    const w = new BucketedWindow(SECONDS);
    for (let t = 0; t < MINUTE; t += 500) w.add(t, 1);
    expect(w.used(MINUTE)).toBe(120);
    const later = 10 * DAY + 123;
    expect(w.used(later)).toBe(0);
    expect(w.resetMs(later)).toBe(0);
    w.add(later, 4);
    expect(w.used(later)).toBe(4);
    expect(w.msUntilFits(later, 1, 4)).toBe(w.expiryOf(w.bucketOf(later)) - later);
  });

  it('expires part of the ring when time jumps less than a window', () => {
    const w = new BucketedWindow(SECONDS);
    w.add(0, 1);
    w.add(30_000, 2);
    expect(w.used(70_000)).toBe(2);
  });

  it('treats a clock going backwards as the latest time seen', () => {
    const w = new BucketedWindow(SECONDS);
    expect(w.add(10_000, 1)).toBe(10);
    expect(w.add(5_000, 2)).toBe(10);
    expect(w.used(0)).toBe(3);
    expect(w.used(70_999)).toBe(3);
    expect(w.used(71_000)).toBe(0);
    // Back again after everything expired: nothing comes back.
    expect(w.used(20_000)).toBe(0);
  });

  it('keeps constant memory and exact counts under heavy traffic over a day', () => {
    for (const spec of [WINDOW_SPECS.rpm, WINDOW_SPECS.rpd, WINDOW_SPECS.ash]) {
      const w = new BucketedWindow(spec);
      const length = w.ringLength;
      expect(length).toBe((spec.windowMs + graceOf(spec)) / spec.bucketMs + 2);
      const events: number[] = [];
      let seed = 42;
      let t = 0;
      for (let i = 0; i < 100_000; i++) {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        t += seed % 1_728; // about a day in total
        w.add(t, 1);
        events.push(t);
      }
      expect(w.ringLength).toBe(length);
      for (const now of [t, t + spec.windowMs / 3, t + spec.windowMs, t + spec.windowMs + spec.bucketMs]) {
        const live = events.filter((e) => Math.floor(e / spec.bucketMs) * spec.bucketMs + spec.bucketMs + graceOf(spec) + spec.windowMs > now).length;
        expect(w.used(now)).toBe(live);
      }
    }
  });

  it('does not leave rounding dust from fractional amounts', () => {
    const w = new BucketedWindow(WINDOW_SPECS.ash);
    const buckets = [0.1, 0.2, 0.7, 1.3].map((seconds) => [w.add(0, seconds), seconds] as const);
    for (const [bucket, seconds] of buckets) w.adjust(bucket, -seconds, 0);
    expect(w.used(0)).toBe(0);
    expect(w.resetMs(0)).toBe(0);
  });
});

/** A spec's grace rounded up to whole buckets, as the window applies it. */
function graceOf(spec: { readonly bucketMs: number; readonly graceMs?: number }): number {
  return Math.ceil((spec.graceMs ?? 0) / spec.bucketMs) * spec.bucketMs;
}

describe('BucketedWindow clear', () => {
  it('forgets everything, and counts what is booked after', () => {
    const window = new BucketedWindow({ windowMs: 60_000, bucketMs: 1_000 });
    window.add(0, 500);
    window.add(30_000, 200);
    window.clear();
    expect(window.used(30_000)).toBe(0);
    window.add(31_000, 100);
    expect(window.used(31_000)).toBe(100);
    expect(window.used(92_000)).toBe(0);
  });
});

describe('bookingExpiresAt', () => {
  it.each(WINDOW_NAMES)('is when a %s booking stops counting, wherever in its bucket it was made', (name) => {
    const { bucketMs } = WINDOW_SPECS[name];
    for (const into of [0, 1, Math.floor(bucketMs / 2), bucketMs - 1]) {
      const at = 1_000 * DAY + into;
      const window = new BucketedWindow(WINDOW_SPECS[name]);
      window.add(at, 10);
      // The wait until a second booking of the whole limit fits: until the first has left.
      expect(at + window.msUntilFits(at, 10, 10), `${into} ms into its bucket`).toBe(bookingExpiresAt(name, at));
    }
  });
});
