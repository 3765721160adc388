import { describe, expect, it } from 'vitest';
import { GENEROUS_LIMITS, resolveLimits } from './limits.js';
import { RateLimiter } from './rate-limiter.js';

function limiter(limits: Parameters<typeof resolveLimits>[0]) {
  let now = 1_000_000;
  const rl = new RateLimiter(() => now, () => resolveLimits(limits, GENEROUS_LIMITS));
  return { rl, advance: (ms: number) => (now += ms) };
}

describe('RateLimiter', () => {
  it('slides the minute window instead of resetting it on a boundary', () => {
    const { rl, advance } = limiter({ rpm: 2 });
    expect('ticket' in rl.admit('k', 'm', 0)).toBe(true);
    advance(30_000);
    expect('ticket' in rl.admit('k', 'm', 0)).toBe(true);
    const denied = rl.admit('k', 'm', 0);
    expect(denied).toMatchObject({ violation: { limit: 'RPM', max: 2, used: 2, requested: 1, waitMs: 30_000 } });
    advance(30_000); // the first request is exactly 60 s old now
    expect('ticket' in rl.admit('k', 'm', 0)).toBe(true);
    expect('violation' in rl.admit('k', 'm', 0)).toBe(true);
  });

  it('settles a reservation to real usage', () => {
    const { rl } = limiter({ tpm: 1_000 });
    const admission = rl.admit('k', 'm', 900);
    if (!('ticket' in admission)) throw new Error('expected admission');
    expect(rl.headers('k', 'm')['x-ratelimit-remaining-tokens']).toBe('100');
    admission.ticket.settle(50);
    expect(rl.headers('k', 'm')['x-ratelimit-remaining-tokens']).toBe('950');
    expect(rl.snapshot('k', 'm')).toMatchObject({ tokensLastMinute: 50, tokensLastDay: 50, requestsLastMinute: 1, requestsLastDay: 1 });
  });

  it('settling after the minute window slid on only touches the day window', () => {
    const { rl, advance } = limiter({});
    const admission = rl.admit('k', 'm', 500);
    if (!('ticket' in admission)) throw new Error('expected admission');
    advance(61_000);
    admission.ticket.settle(20);
    expect(rl.snapshot('k', 'm')).toMatchObject({ tokensLastMinute: 0, tokensLastDay: 20 });
  });

  it('waits for enough tokens to leave, and reports the longest wait among broken limits', () => {
    const { rl, advance } = limiter({ tpm: 100, rpd: 3 });
    rl.consume('k', 'm', 1, 60);
    advance(10_000);
    rl.consume('k', 'm', 1, 30);
    advance(10_000);
    // TPM needs 60+30+40-100 = 30 tokens freed -> the first event, 40 s from now.
    expect(rl.admit('k', 'm', 40)).toMatchObject({ violation: { limit: 'TPM', used: 90, requested: 40, waitMs: 40_000 } });
    rl.consume('k', 'm', 1, 0);
    // Now RPD (3 of 3) is also broken and its wait (a day) is the honest answer.
    expect(rl.admit('k', 'm', 40)).toMatchObject({ violation: { limit: 'RPD', waitMs: 86_400_000 - 20_000 } });
  });

  it('slides audio seconds through an hour window (ASH) and a day window (ASD)', () => {
    const { rl, advance } = limiter({ ash: 30, asd: 50 });
    expect('ticket' in rl.admit('k', 'm', 0, 20)).toBe(true);
    advance(30 * 60_000);
    expect('ticket' in rl.admit('k', 'm', 0, 10)).toBe(true);
    // ASH needs 20 + 10 + 15 - 30 = 15 seconds freed -> the first event, 30 minutes from now.
    expect(rl.admit('k', 'm', 0, 15)).toMatchObject({ violation: { limit: 'ASH', used: 30, requested: 15, waitMs: 30 * 60_000 } });
    advance(30 * 60_000);
    expect(rl.snapshot('k', 'm')).toMatchObject({ audioSecondsLastHour: 10, audioSecondsLastDay: 30 });
    expect('ticket' in rl.admit('k', 'm', 0, 15)).toBe(true);
    expect(rl.admit('k', 'm', 0, 10)).toMatchObject({ violation: { limit: 'ASD', used: 45 } });
    expect(rl.admit('k', 'm', 0, 31)).toMatchObject({ violation: { limit: 'ASH', tooLarge: true } });
    // Requests without audio never trip the audio windows.
    expect('ticket' in rl.admit('k', 'm', 10, 0)).toBe(true);
  });

  it('flags a request that can never fit', () => {
    const { rl } = limiter({ tpm: 100 });
    expect(rl.admit('k', 'm', 101)).toMatchObject({ violation: { limit: 'TPM', tooLarge: true } });
  });

  it('keeps (key, model) pairs apart', () => {
    const { rl } = limiter({ rpm: 1 });
    rl.admit('a', 'm', 0);
    expect('ticket' in rl.admit('b', 'm', 0)).toBe(true);
    expect('ticket' in rl.admit('a', 'other', 0)).toBe(true);
    expect('violation' in rl.admit('a', 'm', 0)).toBe(true);
  });

  it('reports Groq headers: requests per day, tokens per minute', () => {
    const { rl, advance } = limiter({ rpd: 1_000, tpm: 6_000 });
    expect(rl.headers('k', 'm')).toEqual({
      'x-ratelimit-limit-requests': '1000',
      'x-ratelimit-remaining-requests': '1000',
      'x-ratelimit-reset-requests': '0s',
      'x-ratelimit-limit-tokens': '6000',
      'x-ratelimit-remaining-tokens': '6000',
      'x-ratelimit-reset-tokens': '0s',
    });
    rl.consume('k', 'm', 1, 10);
    advance(52_340);
    expect(rl.headers('k', 'm')).toMatchObject({
      'x-ratelimit-remaining-requests': '999',
      'x-ratelimit-reset-requests': '23h59m7.66s',
      'x-ratelimit-remaining-tokens': '5990',
      'x-ratelimit-reset-tokens': '7.66s',
    });
  });
});
