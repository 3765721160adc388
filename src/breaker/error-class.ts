import type { AllowedFailsPolicy, RetryPolicy } from '../config/types.js';
import type { FailureKind } from '../upstream/failure.js';

/** LiteLLM's error classes, by which `retry_policy` and `allowed_fails_policy` are keyed. */
export type ErrorClass = 'RateLimitError' | 'InternalServerError' | 'TimeoutError' | 'BadRequestError' | 'AuthenticationError';

const CLASS_OF: Readonly<Record<FailureKind, ErrorClass | undefined>> = {
  rate_limit: 'RateLimitError',
  server_error: 'InternalServerError',
  connection: 'InternalServerError',
  stream_error: 'InternalServerError',
  not_found: undefined,
  timeout: 'TimeoutError',
  auth: 'AuthenticationError',
  bad_request: 'BadRequestError',
  context_window: 'BadRequestError',
  aborted: undefined,
};

export function errorClassOf(kind: FailureKind): ErrorClass | undefined {
  return CLASS_OF[kind];
}

/** Failures that say something about the deployment's health, and so count towards its breaker. */
export function countsAgainstDeployment(kind: FailureKind): boolean {
  return kind !== 'bad_request' && kind !== 'context_window' && kind !== 'aborted';
}

/** `allowed_fails_policy.<Class>AllowedFails`, else `allowed_fails`. */
export function allowedFailsFor(kind: FailureKind, allowedFails: number, policy: AllowedFailsPolicy): number {
  const errorClass = errorClassOf(kind);
  const specific = errorClass === undefined ? undefined : policy[`${errorClass}AllowedFails`];
  return specific ?? allowedFails;
}

/**
 * `retry_policy.<Class>Retries`, else `num_retries`. Rate limits default to no retry: the budget knows when
 * the deployment frees up and the caller is told at once (`retry-after`), rather than held while we sleep.
 * Requests the upstream called malformed, or that no deployment could fit, are never retried.
 */
export function retriesFor(kind: FailureKind, numRetries: number, policy: RetryPolicy): number {
  const errorClass = errorClassOf(kind);
  if (errorClass === undefined || errorClass === 'BadRequestError') return 0;
  const specific = policy[`${errorClass}Retries`];
  if (specific !== undefined) return specific;
  return errorClass === 'RateLimitError' ? 0 : numRetries;
}
