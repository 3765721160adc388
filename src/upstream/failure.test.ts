import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'groq-sdk';
import { describe, expect, it } from 'vitest';
import { classifyStatus, classifyUpstreamError, failure, MAX_FAILURE_MESSAGE_CHARS, shownFailure } from './failure.js';

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

describe('shownFailure', () => {
  const redact = (text: string) => text.replaceAll('gsk_echoed', '[redacted]');

  it('cleans the upstream’s message, code and type of secrets, and keeps the rest', () => {
    const failed = failure('auth', 'Invalid API Key: gsk_echoed', { status: 401, code: 'gsk_echoed', type: 'invalid_request_error' });
    expect(shownFailure(failed, redact)).toEqual({ ...failed, message: 'Invalid API Key: [redacted]', code: '[redacted]' });
  });

  it('takes a secret out before it cuts, so no piece of one survives the cut', () => {
    const key = `gsk_echoed${'K'.repeat(40)}`;
    const message = `${'x'.repeat(MAX_FAILURE_MESSAGE_CHARS - 20)} ${key}`;
    const shown = shownFailure(failure('auth', message), (text) => text.replaceAll(key, '[redacted]'));
    expect(shown.message).not.toContain('gsk_echoed');
  });

  it('cuts a message of any length to a bounded one', () => {
    const shown = shownFailure(failure('server_error', 'x'.repeat(300_000)), redact);
    expect(shown.message.length).toBeLessThan(MAX_FAILURE_MESSAGE_CHARS + 20);
    expect(shown.message.endsWith('… (cut)')).toBe(true);
    expect(shownFailure(failure('server_error', 'x', { code: 'c'.repeat(100_000) }), redact).code).toHaveLength(200);
  });

  it('hands back the same failure when there is nothing to change', () => {
    const failed = failure('server_error', 'overloaded', { code: 'overloaded' });
    expect(shownFailure(failed, redact)).toBe(failed);
  });
});
