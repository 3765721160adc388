import { APIConnectionError as GroqConnectionError, APIConnectionTimeoutError as GroqTimeoutError, APIError as GroqAPIError, APIUserAbortError as GroqAbortError } from 'groq-sdk';
import { APIConnectionError as OpenAIConnectionError, APIConnectionTimeoutError as OpenAITimeoutError, APIError as OpenAIAPIError, APIUserAbortError as OpenAIAbortError } from 'openai';
import { isRecord } from '../is-record.js';
import { boundedRetryAfterSec } from './rate-limit-headers.js';

/**
 * Why an upstream attempt failed, in the router's terms. `moveOn` says whether the next deployment should be
 * tried (the deployment is at fault) or the error belongs to the caller's request and goes straight back.
 */
export type FailureKind =
  | 'rate_limit'
  | 'server_error'
  | 'timeout'
  | 'connection'
  | 'auth'
  | 'not_found'
  | 'context_window'
  | 'bad_request'
  | 'stream_error'
  | 'aborted';

export interface UpstreamFailure {
  readonly kind: FailureKind;
  /** Upstream HTTP status, when there was a response. */
  readonly status: number | undefined;
  readonly message: string;
  /** Upstream `error.code`, when given. */
  readonly code: string | undefined;
  readonly type: string | undefined;
  /** Seconds, from `retry-after`, when given. */
  readonly retryAfterSec: number | undefined;
  readonly headers: Headers | undefined;
  readonly moveOn: boolean;
  /**
   * A 429 for a request the upstream's own headers said there was room for: it counts the request
   * larger than the gateway booked it. Not the deployment's fault; the request is re-planned once.
   */
  readonly refusedWithRoom?: boolean;
}

const MOVE_ON: Readonly<Record<FailureKind, boolean>> = {
  rate_limit: true,
  server_error: true,
  timeout: true,
  connection: true,
  // A bad key breaks that deployment, not the caller's request.
  auth: true,
  not_found: true,
  context_window: true,
  bad_request: false,
  stream_error: true,
  aborted: false,
};

export function failure(
  kind: FailureKind,
  message: string,
  extra: Partial<Omit<UpstreamFailure, 'kind' | 'message' | 'moveOn'>> = {},
): UpstreamFailure {
  return {
    kind,
    message,
    status: extra.status,
    code: extra.code,
    type: extra.type,
    retryAfterSec: extra.retryAfterSec,
    headers: extra.headers,
    moveOn: MOVE_ON[kind],
  };
}

/** The most of an upstream's message a failure keeps: enough to read, bounded whatever the upstream sends. */
export const MAX_FAILURE_MESSAGE_CHARS = 2_000;
const MAX_FAILURE_WORD_CHARS = 200;

/**
 * `failed` as the gateway may show it anywhere (the caller's error, the breaker's reason on `/health`
 * and `/status`, the log): the upstream's words (message, code, type) cleaned of configured secrets,
 * which an upstream may echo, and the message cut to a bounded length. The same object when nothing changes.
 */
export function shownFailure(failed: UpstreamFailure, redact: (text: string) => string): UpstreamFailure {
  // Cleaned before it is cut: a secret the cut split would no longer be recognised.
  const clean = redact(failed.message);
  const message = clean.length > MAX_FAILURE_MESSAGE_CHARS ? `${clean.slice(0, MAX_FAILURE_MESSAGE_CHARS)}… (cut)` : clean;
  // A code or a type is a word or two: one longer than a message's head is not one.
  const code = failed.code === undefined ? undefined : redact(failed.code).slice(0, MAX_FAILURE_WORD_CHARS);
  const type = failed.type === undefined ? undefined : redact(failed.type).slice(0, MAX_FAILURE_WORD_CHARS);
  if (message === failed.message && code === failed.code && type === failed.type) return failed;
  return { ...failed, message, code, type };
}

/**
 * Whether an exception from an SDK call was raised before any byte went upstream: building or
 * serialising the request (a `JSON.stringify` that overflows, a bad parameter the SDK refuses). The SDKs
 * wrap everything the network does (connection, timeout, abort, an HTTP status) in their `APIError`
 * family; anything else came from our side of the wire and says nothing about the deployment.
 */
export function thrownBeforeSending(err: unknown): boolean {
  if (err instanceof GroqAPIError || err instanceof OpenAIAPIError) return false;
  return !(err instanceof Error && err.name === 'AbortError');
}

/**
 * An exception raised while preparing or serialising a request, before anything was sent: the
 * gateway's own error, never the deployment's. `byInput` says the caller's request caused it (a shape
 * too large or deep to serialise), else it is a fault of the gateway.
 */
export class NotSentError extends Error {
  readonly byInput: boolean;
  constructor(readonly original: unknown) {
    super(original instanceof Error ? original.message : String(original));
    this.name = 'NotSentError';
    // Stack overflows and oversized strings come from the request's shape, not from a bug of ours.
    this.byInput = original instanceof RangeError;
  }
}

/** Maps anything an SDK call can throw to an `UpstreamFailure`. */
export function classifyUpstreamError(err: unknown): UpstreamFailure {
  if (err instanceof GroqAbortError || err instanceof OpenAIAbortError) return failure('aborted', 'request aborted');
  if (err instanceof GroqTimeoutError || err instanceof OpenAITimeoutError) {
    return failure('timeout', 'upstream did not answer in time');
  }
  if (err instanceof GroqConnectionError || err instanceof OpenAIConnectionError) {
    return failure('connection', `connection failed: ${causeMessage(err)}`);
  }
  if ((err instanceof GroqAPIError || err instanceof OpenAIAPIError) && typeof err.status === 'number') {
    return classifyStatus(err.status, err.error, asHeaders(err.headers));
  }
  if (err instanceof Error && err.name === 'AbortError') return failure('aborted', 'request aborted');
  return failure('connection', err instanceof Error ? err.message : String(err));
}

/** Classifies an upstream HTTP error response from its status, parsed body and headers. */
export function classifyStatus(status: number, body: unknown, headers: Headers | undefined): UpstreamFailure {
  const detail = errorDetail(body);
  const extra = {
    status,
    code: detail.code,
    type: detail.type,
    headers,
    // Trusted only as far as the window the limit concerns: a minute's limit never ejects a deployment for a day.
    retryAfterSec: headers ? boundedRetryAfterSec(headers.get('retry-after'), detail.message) : undefined,
  };
  const message = detail.message ?? `HTTP ${status}`;
  if (status === 429) return failure('rate_limit', message, extra);
  if (status === 408) return failure('timeout', message, extra);
  if (status === 401 || status === 403) return failure('auth', message, extra);
  if (status === 404) return failure('not_found', message, extra);
  if (status >= 500) return failure('server_error', message, extra);
  if (detail.code === 'context_length_exceeded') return failure('context_window', message, extra);
  return failure('bad_request', message, extra);
}

function errorDetail(body: unknown): { message?: string; code?: string; type?: string } {
  const inner = isRecord(body) && isRecord(body.error) ? body.error : body;
  if (!isRecord(inner)) return {};
  return {
    message: typeof inner.message === 'string' ? inner.message : undefined,
    code: typeof inner.code === 'string' ? inner.code : undefined,
    type: typeof inner.type === 'string' ? inner.type : undefined,
  };
}

/** The SDKs hand back the transport's Headers class (undici's), which is not the global one. */
function asHeaders(value: unknown): Headers | undefined {
  return typeof value === 'object' && value !== null && typeof (value as Headers).get === 'function' ? (value as Headers) : undefined;
}

function causeMessage(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code ?? (cause.cause as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? `${code} ${cause.message}` : cause.message;
  }
  return err.message;
}
