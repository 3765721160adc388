import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'groq-sdk';
import { describe, expect, it } from 'vitest';
import { classifyStatus, classifyUpstreamError } from './failure.js';

const groqBody = (code: string, message = 'x') => ({ error: { message, type: 'invalid_request_error', code } });

describe('classifyStatus', () => {
  it.each([
    [429, 'rate_limit', true],
    [408, 'timeout', true],
    [401, 'auth', true],
    [403, 'auth', true],
    [404, 'not_found', true],
    [500, 'server_error', true],
    [502, 'server_error', true],
    [503, 'server_error', true],
    [400, 'bad_request', false],
    [413, 'bad_request', false],
    [422, 'bad_request', false],
  ])('%d is %s (move on: %s)', (status, kind, moveOn) => {
    const failed = classifyStatus(status, groqBody('c'), new Headers());
    expect(failed.kind).toBe(kind);
    expect(failed.moveOn).toBe(moveOn);
  });

  it('reads retry-after and the upstream message and code', () => {
    const failed = classifyStatus(429, groqBody('rate_limit_exceeded', 'slow down'), new Headers({ 'retry-after': '7' }));
    expect(failed).toMatchObject({ retryAfterSec: 7, message: 'slow down', code: 'rate_limit_exceeded', status: 429 });
  });

  it('moves a context-length 400 on to larger windows', () => {
    expect(classifyStatus(400, groqBody('context_length_exceeded'), undefined)).toMatchObject({ kind: 'context_window', moveOn: true });
  });
});

describe('classifyUpstreamError', () => {
  it('classifies SDK errors', () => {
    expect(classifyUpstreamError(new APIConnectionTimeoutError()).kind).toBe('timeout');
    expect(classifyUpstreamError(new APIConnectionError({ message: 'refused' })).kind).toBe('connection');
    expect(classifyUpstreamError(new APIUserAbortError()).kind).toBe('aborted');
    const apiError = APIError.generate(500, groqBody('internal'), undefined, new Headers());
    expect(classifyUpstreamError(apiError)).toMatchObject({ kind: 'server_error', status: 500 });
  });

  it('treats anything unknown as a connection failure, which moves on', () => {
    expect(classifyUpstreamError(new TypeError('socket hang up'))).toMatchObject({ kind: 'connection', moveOn: true });
  });
});
