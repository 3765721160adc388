import { describe, expect, it } from 'vitest';
import { relayableLimitValue, boundedRetryAfterSec, limitWindowMs, parseGroqDuration, parseRetryAfter, upstreamView } from './rate-limit-headers.js';

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

describe('bounded trust in the upstream', () => {
  it('reads the window of the limit a 429 names', () => {
    expect(limitWindowMs('... on tokens per minute (TPM): Limit 6000 ...')).toBe(60_000);
    expect(limitWindowMs('... on requests per day (RPD): Limit 14400 ...')).toBe(86_400_000);
    expect(limitWindowMs('... on seconds of audio per hour (ASH): ...')).toBe(3_600_000);
    expect(limitWindowMs('something else')).toBe(60_000);
    expect(limitWindowMs(undefined)).toBe(60_000);
  });

  it('caps retry-after and resets by their window', () => {
    expect(boundedRetryAfterSec('999999999', 'tokens per minute (TPM)')).toBe(60);
    expect(boundedRetryAfterSec('999999999', 'requests per day (RPD)')).toBe(86_400);
    expect(boundedRetryAfterSec('7', 'requests per day (RPD)')).toBe(7);
    const headers = new Headers({
      'retry-after': '999999999',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '99999h',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '99999m',
    });
    expect(upstreamView(headers, 429)).toEqual({ remainingRequests: 0, resetRequestsMs: 86_400_000, remainingTokens: 0, resetTokensMs: 60_000, retryAfterMs: 60_000 });
  });
});

describe('relayableLimitValue', () => {
  it('passes counts and durations in Groq’s form, and nothing else', () => {
    for (const value of ['14400', '6000', '2m59.56s', '7.66s', '120ms', '1h2m3s']) expect(relayableLimitValue(value)).toBe(true);
    for (const value of ['gsk_echoed_secret_value', '', '12 ', '1'.repeat(40), 'Bearer x']) expect(relayableLimitValue(value)).toBe(false);
  });
});
