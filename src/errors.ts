import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { PromisedRefusal } from './quota/types.js';

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

/**
 * An error we answer the caller with: status, OpenAI-shaped body and extra headers (e.g. `retry-after`).
 * Extends Hono's HTTPException so any handler can throw it and the app's error handler renders it.
 */
export class GatewayError extends HTTPException {
  readonly type: ErrorType;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: ContentfulStatusCode,
    message: string,
    options: { type?: ErrorType; code?: string | null; param?: string | null; headers?: Record<string, string> } = {},
  ) {
    super(status, { message });
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
 * A 429 the gateway makes itself: no deployment of the chain has room now. Carries the wait until this
 * request first fits, so a queue can hold it without reading its own headers back.
 */
export class RateLimitRefusal extends GatewayError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
    headers: Record<string, string>,
    /** The budget whose capacity the retry-after is for, when it is a budget's (not a resting breaker's). */
    readonly promise?: PromisedRefusal,
  ) {
    super(429, message, { code: 'rate_limit_exceeded', headers: { ...headers, ...retryAfterHeaders(retryAfterMs) } });
    this.name = 'RateLimitRefusal';
  }
}

/**
 * When to come back, in both forms clients read: `retry-after` in whole seconds (HTTP), rounded up, and
 * `retry-after-ms`, which the openai and groq-sdk clients prefer (see the Kilo Code client notes), so a
 * wait of 1.2 s is not stretched to 2.
 */
export function retryAfterHeaders(retryAfterMs: number): { 'retry-after': string; 'retry-after-ms': string } {
  return { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))), 'retry-after-ms': String(Math.max(1, Math.ceil(retryAfterMs))) };
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
