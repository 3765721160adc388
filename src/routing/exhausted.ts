import { failureError, retryAfterHeaders, wholeSeconds } from '../errors.js';
import type { PromisedRefusal, Refusal } from '../quota/types.js';
import type { UpstreamFailure } from '../upstream/failure.js';
import type { AttemptRecord, AttemptTrail } from './attempt-trail.js';
import { RateLimitRefusal, RoutingError } from './routing-error.js';

/**
 * The answer when no deployment of the chain could serve: what was tried and why, with the status that
 * tells the caller what to do.
 * - Every deployment is out of budget, rate-limited or ejected: 429 (all for rate limits) or 503 (some
 *   ejected after failures), with `retry-after` = the earliest moment any of them can take this request,
 *   and the upstream errors that ejected them.
 * - The request can never fit any deployment's limits: 413.
 * - Otherwise the last upstream failure decides.
 */
export function exhaustedError(alias: string, trail: AttemptTrail): RoutingError {
  const headers = {
    'x-litellm-attempted-fallbacks': String(trail.fallbacks),
    'x-litellm-attempted-retries': String(trail.retries),
    'x-groq-router-upstream-calls': String(trail.calls),
  };
  const tried = trail.records.map(describe).join('; ') || 'nothing (the alias has no deployments)';
  // A request refused as undersized was re-planned: what the re-plan found stands for it.
  const failures = trail.records.flatMap((r) => (r.kind === 'failed' && r.failure.refusedWithRoom !== true ? [r.failure] : []));
  const rateLimited = failures.filter((f) => f.kind === 'rate_limit');
  // A wait until other consumers' level has faded rests on their having stopped: Groq refuses the
  // request there while they go on. It is the answer only when no deployment frees for certain.
  const onlyIfTheyStop = trail.records.flatMap((r) => (r.kind === 'refused' && r.refusal.keptForOthers === true ? [r.refusal.retryAfterMs] : []));
  const waits = trail.records.flatMap((r) => {
    if (r.kind === 'refused') return r.refusal.keptForOthers === true ? [] : [r.refusal.retryAfterMs];
    if (r.kind === 'ejected') return [r.ejection.retryAfterMs];
    // A request in flight there ends within a request's time; check back soon.
    if (r.kind === 'busy') return [BUSY_RETRY_MS];
    if (r.kind === 'failed' && r.failure.kind === 'rate_limit' && r.failure.refusedWithRoom !== true) return [(r.failure.retryAfterSec ?? 1) * 1000];
    return [];
  });

  if (waits.length + onlyIfTheyStop.length > 0 && rateLimited.length === failures.length) {
    const certain = waits.filter(Number.isFinite);
    const finite = certain.length > 0 ? certain : onlyIfTheyStop.filter(Number.isFinite);
    if (finite.length === 0) {
      return new RoutingError(413, `This request is larger than the rate limits of every deployment of ${alias} allow. ${tried}`, trail, {
        code: 'request_too_large',
        headers,
      });
    }
    const retryAfterMs = Math.min(...finite);
    const retryAfter = wholeSeconds(retryAfterMs);
    const quotaOnly = trail.records.every((r) => r.kind !== 'ejected' || r.ejection.rateLimited);
    const retryHeaders = { ...headers, ...retryAfterHeaders(retryAfterMs) };
    if (quotaOnly) {
      const describe = (seconds: number): string => `Rate limit: no deployment of ${alias} can take this request now; retry in ${seconds} s. ${tried}`;
      return new RateLimitRefusal(describe, retryAfterMs, headers, trail, promisable(trail, retryAfterMs));
    }
    return new RoutingError(503, `Every deployment of ${alias} is ejected after upstream failures or out of quota; retry in ${retryAfter} s. ${tried}`, trail, {
      code: 'deployments_cooling_down',
      headers: retryHeaders,
    });
  }

  const overflow = contextOverflow(alias, trail, headers);
  if (overflow !== undefined) return overflow;

  const message = `No deployment of ${alias} could answer. Tried: ${tried}`;
  const last = failures.at(-1);
  if (last === undefined) return new RoutingError(503, message, trail, { code: 'no_deployment_available', headers });
  return RoutingError.from(failureError(last, 'chain_failed', message, headers), trail);
}

/** The budget refusal that sets the retry-after, when one does: its capacity can be promised to the caller. */
function promisable(trail: AttemptTrail, retryAfterMs: number): PromisedRefusal | undefined {
  for (const record of trail.records) {
    const budget = record.deployment.budget;
    if (record.kind === 'refused' && budget !== undefined && record.refusal.keptForOthers !== true && record.refusal.retryAfterMs === retryAfterMs) {
      return { budget, refusal: record.refusal };
    }
  }
  return undefined;
}

/**
 * The prompt is too long for the chain: the caller's error (400 `context_length_exceeded`, as OpenAI and
 * LiteLLM answer, which SDKs do not retry), not an outage. Either every deployment was skipped and
 * at least one because its window is too small (the message names the largest window of those), or the
 * last upstream said so itself and nothing larger was left to try.
 */
function contextOverflow(alias: string, trail: AttemptTrail, headers: Record<string, string>): RoutingError | undefined {
  const records: readonly AttemptRecord[] = trail.records;
  const last = records.filter((r) => r.kind !== 'skipped').at(-1);
  if (last?.kind === 'failed' && last.failure.kind === 'context_window') {
    return new RoutingError(400, last.failure.message, trail, { type: 'invalid_request_error', code: 'context_length_exceeded', headers });
  }
  if (last !== undefined) return undefined;
  const windows = records.flatMap((r) => (r.kind === 'skipped' && r.contextWindow !== undefined ? [r.contextWindow] : []));
  if (windows.length === 0) return undefined;
  const largest = Math.max(...windows);
  return new RoutingError(
    400,
    `This prompt does not fit any deployment of ${alias} or its fallbacks: the largest context window is ${largest} tokens. Shorten the messages.`,
    trail,
    { type: 'invalid_request_error', code: 'context_length_exceeded', headers },
  );
}

const BUSY_RETRY_MS = 1_000;

function describe(record: AttemptRecord): string {
  const name = record.deployment.label;
  switch (record.kind) {
    case 'skipped':
      return `${name}: skipped, ${record.reason}`;
    case 'refused':
      return `${name}: ${describeRefusal(record.deployment.config.model, record.refusal)}`;
    case 'busy':
      return `${name}: busy, ${record.limit} requests in flight (max_parallel_requests)`;
    case 'ejected':
      return `${name}: ejected for ${Math.ceil(record.ejection.retryAfterMs / 1000)} s after ${record.ejection.reason ?? 'failures'}`;
    case 'failed':
      return `${name}: ${describeFailure(record.failure)}`;
  }
}

function describeRefusal(model: string, refusal: Refusal): string {
  if (refusal.exhausted.length === 0) return `${model}: upstream asked to wait (429 retry-after)`;
  return refusal.exhausted
    .map((w) => `${model}: ${w.window.toUpperCase()} ${w.limit} used up (${Math.round(w.used)} spent, ${Math.round(w.requested)} needed)`)
    .join(', ');
}

function describeFailure(failed: UpstreamFailure): string {
  const status = failed.status !== undefined ? `${failed.status} ` : '';
  return `${status}${failed.kind.replace('_', ' ')}: ${failed.message}`;
}
