import { describe, expect, it } from 'vitest';
import { allowedFailsFor, countsAgainstDeployment, errorClassOf, retriesFor } from './error-class.js';

describe('error classes', () => {
  it.each([
    ['rate_limit', 'RateLimitError', true],
    ['server_error', 'InternalServerError', true],
    ['connection', 'InternalServerError', true],
    ['stream_error', 'InternalServerError', true],
    ['timeout', 'TimeoutError', true],
    ['auth', 'AuthenticationError', true],
    ['not_found', undefined, true],
    ['bad_request', 'BadRequestError', false],
    ['context_window', 'BadRequestError', false],
    ['aborted', undefined, false],
  ] as const)('%s is %s and counts against the deployment: %s', (kind, errorClass, counts) => {
    expect(errorClassOf(kind)).toBe(errorClass);
    expect(countsAgainstDeployment(kind)).toBe(counts);
  });

  it('retries num_retries times unless retry_policy says otherwise for the class', () => {
    expect(retriesFor('server_error', 2, {})).toBe(2);
    expect(retriesFor('timeout', 2, { TimeoutErrorRetries: 5 })).toBe(5);
    expect(retriesFor('connection', 2, { InternalServerErrorRetries: 0 })).toBe(0);
  });

  it('does not retry rate limits unless asked, nor the caller’s errors, nor an unknown model', () => {
    expect(retriesFor('rate_limit', 3, {})).toBe(0);
    expect(retriesFor('rate_limit', 3, { RateLimitErrorRetries: 1 })).toBe(1);
    expect(retriesFor('bad_request', 3, { BadRequestErrorRetries: 2 })).toBe(0);
    expect(retriesFor('not_found', 3, {})).toBe(0);
    expect(retriesFor('aborted', 3, {})).toBe(0);
  });

  it('reads allowed_fails_policy per class, else allowed_fails', () => {
    expect(allowedFailsFor('timeout', 3, { TimeoutErrorAllowedFails: 1 })).toBe(1);
    expect(allowedFailsFor('server_error', 3, { TimeoutErrorAllowedFails: 1 })).toBe(3);
  });
});
