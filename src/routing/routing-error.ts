import { GatewayError, retryAfterHeaders, wholeSeconds, type GatewayStatus, type GatewayErrorOptions } from '../errors.js';
import type { PromisedRefusal } from '../quota/types.js';
import type { AttemptTrail } from './attempt-trail.js';

/** An answer the attempt loop ends with, carrying the attempts it made (metrics and the request log read them). */
export class RoutingError extends GatewayError {
  constructor(
    status: GatewayStatus,
    message: string,
    readonly trail: AttemptTrail,
    options: GatewayErrorOptions = {},
  ) {
    super(status, message, options);
    this.name = 'RoutingError';
  }

  /** `err` as the attempt loop's answer, with the attempts behind it (and another message, if given). */
  static from(err: GatewayError, trail: AttemptTrail, message = err.message): RoutingError {
    return new RoutingError(err.status, message, trail, { type: err.type, code: err.code, param: err.param, headers: { ...err.headers } });
  }
}

/**
 * A 429 the gateway makes itself: no deployment of the chain has room now. Carries the wait until this
 * request first fits, so a queue can hold it without reading its own headers back.
 */
export class RateLimitRefusal extends RoutingError {
  constructor(
    /** The message for a wait of so many whole seconds. */
    private readonly describe: (retryAfterS: number) => string,
    readonly retryAfterMs: number,
    private readonly baseHeaders: Record<string, string>,
    trail: AttemptTrail,
    /** The budget whose capacity the retry-after is for, when it is a budget's (not an ejected deployment's). */
    readonly promise?: PromisedRefusal,
  ) {
    super(429, describe(wholeSeconds(retryAfterMs)), trail, { code: 'rate_limit_exceeded', headers: { ...baseHeaders, ...retryAfterHeaders(retryAfterMs) } });
    this.name = 'RateLimitRefusal';
  }

  /** The same refusal with a later wait: the capacity promised to the caller comes free only then. */
  later(retryAfterMs: number): RateLimitRefusal {
    return new RateLimitRefusal(this.describe, retryAfterMs, this.baseHeaders, this.trail, this.promise);
  }
}
