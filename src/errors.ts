import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { UpstreamFailure } from './upstream/failure.js';
import { relayableLimitValue } from './upstream/rate-limit-headers.js';

/** The `type` field of an OpenAI-shaped error body. */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'timeout_error'
  | 'api_error'
  | 'service_unavailable_error';

export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string | null; param?: string | null };
}

/** What the gateway answers with: HTTP's statuses with a body, and 499 (nginx's "client closed request") for a caller that left. */
export type GatewayStatus = ContentfulStatusCode | 499;

export interface GatewayErrorOptions {
  readonly type?: ErrorType;
  readonly code?: string | null;
  readonly param?: string | null;
  readonly headers?: Record<string, string>;
}

/**
 * An error we answer the caller with: status, OpenAI-shaped body and extra headers (e.g. `retry-after`).
 * Extends Hono's HTTPException so any handler can throw it and the app's error handler renders it.
 */
export class GatewayError extends HTTPException {
  readonly type: ErrorType;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: GatewayStatus, message: string, options: GatewayErrorOptions = {}) {
    // Hono's status type has no 499; it passes it through as it is.
    super(status as ContentfulStatusCode, { message });
    this.name = 'GatewayError';
    this.type = options.type ?? typeForStatus(status);
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  toBody(): OpenAIErrorBody {
    const error: OpenAIErrorBody['error'] = { message: this.message, type: this.type, code: this.code };
    if (this.param !== null) error.param = this.param;
    return { error };
  }

  override getResponse(): Response {
    return jsonResponse(this.status, this.toBody(), this.headers);
  }
}

/**
 * When to come back, in both forms clients read: `retry-after` in whole seconds (HTTP), rounded up, and
 * `retry-after-ms`, which the openai and groq-sdk clients prefer (see the Kilo Code client notes), so a
 * wait of 1.2 s is not stretched to 2.
 */
export function retryAfterHeaders(retryAfterMs: number): { 'retry-after': string; 'retry-after-ms': string } {
  return { 'retry-after': String(wholeSeconds(retryAfterMs)), 'retry-after-ms': String(Math.max(1, Math.ceil(retryAfterMs))) };
}

/** A wait as `retry-after` gives it: whole seconds, rounded up, at least one. */
export function wholeSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

export function typeForStatus(status: number): ErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 408) return 'timeout_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 503) return 'service_unavailable_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export function jsonResponse(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

export const badRequest = (message: string, code: string | null = null, param: string | null = null): GatewayError =>
  new GatewayError(400, message, { code, param });

/**
 * How an upstream failure reaches the caller, the one place an `UpstreamFailure` becomes an answer:
 * - `caller_mistake`: the request's own fault, as the upstream put it: its status (400 without one),
 *   message and code, with its `x-ratelimit-*` headers;
 * - `pass_through`: a call made for the caller as it is (files, batches): the upstream's status, message,
 *   code and `retry-after`; else a timeout (504), the caller leaving (499) or no connection (502);
 * - `chain_failed`: the last failure of a chain that ran out, under `message`: a server error keeps its
 *   status, a timeout is 504, anything else 502.
 */
export function failureError(failed: UpstreamFailure, as: 'caller_mistake' | 'pass_through'): GatewayError;
export function failureError(failed: UpstreamFailure, as: 'chain_failed', message: string, headers: Record<string, string>): GatewayError;
export function failureError(failed: UpstreamFailure, as: 'caller_mistake' | 'pass_through' | 'chain_failed', message = failed.message, headers: Record<string, string> = {}): GatewayError {
  switch (as) {
    case 'caller_mistake': {
      const limits: Record<string, string> = {};
      failed.headers?.forEach((value, name) => {
        if (name.startsWith('x-ratelimit-') && relayableLimitValue(value)) limits[name] = value;
      });
      return new GatewayError(upstreamStatus(failed.status ?? 400), failed.message, { code: failed.code ?? null, headers: limits });
    }
    case 'pass_through': {
      if (failed.status !== undefined) {
        const retry: Record<string, string> = failed.retryAfterSec === undefined ? {} : { 'retry-after': String(Math.ceil(failed.retryAfterSec)) };
        return new GatewayError(upstreamStatus(failed.status), failed.message, { code: failed.code ?? null, headers: retry });
      }
      if (failed.kind === 'timeout') return new GatewayError(504, `Groq did not answer in time: ${failed.message}`, { code: 'upstream_timeout' });
      if (failed.kind === 'aborted') return new GatewayError(499, 'Request cancelled', { code: 'client_closed_request' });
      return new GatewayError(502, `Groq could not be reached: ${failed.message}`, { code: 'upstream_unreachable' });
    }
    case 'chain_failed': {
      if (failed.kind === 'timeout') return new GatewayError(504, message, { type: 'timeout_error', code: 'timeout', headers });
      const status = failed.kind === 'server_error' && failed.status !== undefined ? upstreamStatus(failed.status) : 502;
      return new GatewayError(status, message, { code: failed.code ?? 'upstream_error', headers });
    }
  }
}

/** An upstream's HTTP status, answered as it was. */
function upstreamStatus(status: number): GatewayStatus {
  return status as GatewayStatus;
}

/** A failed system call (the disk, a socket: `ENOSPC`, `EACCES`): the machine's fault, not the request's. */
export function isSystemError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && 'syscall' in err;
}
