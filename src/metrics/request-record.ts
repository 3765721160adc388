import type { TokenUsage } from '../routing/attempt-deployment.js';
import type { AttemptRecord, AttemptTrail } from '../routing/attempt-trail.js';
import type { Deployment } from '../routing/deployment.js';

/**
 * Everything known about one answered request, given once at its end by the routed handler. The
 * metrics count it, the request log writes it, and anything else that reports requests (a status page)
 * reads the same object through `requestRecord`.
 */
export interface RequestOutcome {
  readonly alias: string;
  readonly route: string;
  readonly stream: boolean;
  /** HTTP status the caller got (499 when it went away first). */
  readonly status: number;
  /** A stream that started but was cut or ended by an upstream error frame after its first byte. */
  readonly brokenStream: boolean;
  readonly served: { readonly deployment: Deployment; readonly group: string } | undefined;
  readonly trail: AttemptTrail | undefined;
  readonly usage: TokenUsage | undefined;
  readonly totalSeconds: number;
  /** Gateway time until the answer started, excluding upstream waits. */
  readonly overheadSeconds: number | undefined;
  /** The serving call to its first byte (non-stream: its whole body). */
  readonly firstByteSeconds: number | undefined;
  /** The serving call to its last byte. */
  readonly upstreamSeconds: number | undefined;
  /** Time spent in the headroom queue waiting for a budget to free up; 0 when it did not wait. */
  readonly queueSeconds: number;
  /** `x-request-id` as answered. */
  readonly requestId: string;
  /** Who asked: a client key's alias, `master`, or `anonymous`; never a key. */
  readonly client: string;
  /** The error code the caller got (`rate_limit_exceeded`, …); undefined on success. */
  readonly errorCode: string | undefined;
}

/**
 * Why a request ended as it did, from the caller's side:
 * - `gateway_refused`: the gateway said no without an upstream failure on the last pass (budgets used
 *   up, every deployment ejected);
 * - `upstream_rate_limited`: Groq's own 429 on the last pass, relayed;
 * - `upstream_error`: the upstream failed (5xx, timeout, connection) and nothing else could serve;
 * - `stream_error`: a stream cut, or ended by an upstream error frame, after its first byte;
 * - `client_error`: the request itself was wrong (4xx from us or the upstream);
 * - `timeout`: the request's own deadline passed; `cancelled`: the caller left;
 * - `gateway_error`: a fault in the gateway (500).
 */
export type RequestCause =
  | 'success'
  | 'stream_error'
  | 'gateway_refused'
  | 'upstream_rate_limited'
  | 'upstream_error'
  | 'client_error'
  | 'timeout'
  | 'cancelled'
  | 'gateway_error';

export const REQUEST_CAUSES: readonly RequestCause[] = [
  'success',
  'stream_error',
  'gateway_refused',
  'upstream_rate_limited',
  'upstream_error',
  'client_error',
  'timeout',
  'cancelled',
  'gateway_error',
];

export function causeOf(outcome: Pick<RequestOutcome, 'status' | 'brokenStream' | 'trail' | 'errorCode'>): RequestCause {
  const { status } = outcome;
  if (status === 499) return 'cancelled';
  // Ours, whatever the upstreams did before it (a stream our relaying failed, say).
  if (outcome.errorCode === 'internal_error') return 'gateway_error';
  if (outcome.brokenStream) return 'stream_error';
  if (status < 400) return 'success';
  if (status === 408) return 'timeout';
  const trail = outcome.trail;
  if (trail === undefined) return status >= 500 ? 'gateway_error' : 'client_error';
  const failures = trail.records.flatMap((r) => (r.kind === 'failed' ? [r.failure] : []));
  if (failures.length === 0) return status === 429 || status === 503 ? 'gateway_refused' : status >= 500 ? 'gateway_error' : 'client_error';
  const allRateLimited = failures.every((f) => f.kind === 'rate_limit');
  if (status === 429) return allRateLimited ? 'upstream_rate_limited' : 'gateway_refused';
  // A 503 after nothing but upstream 429s: the chain is ejected (its breakers opened on those 429s).
  if (status === 503 && allRateLimited) return 'gateway_refused';
  return status >= 500 ? 'upstream_error' : 'client_error';
}

/** Which side a 429 came from: `upstream` when Groq's own 429 was relayed, else `gateway`. */
export type RateLimitSource = 'gateway' | 'upstream';

export function rateLimitSourceOf(cause: RequestCause): RateLimitSource | undefined {
  if (cause === 'gateway_refused') return 'gateway';
  if (cause === 'upstream_rate_limited') return 'upstream';
  return undefined;
}

/** What happened at one deployment, in a log line. */
export interface AttemptSummary {
  readonly deployment: string;
  /** `served`, `refused` (budget), `ejected` (breaker open), `skipped`, or the upstream failure kind. */
  readonly outcome: string;
  readonly status?: number;
}

/** One request as the request log writes it (and a status page lists it): plain, typed, no secrets. */
export interface RequestRecord {
  readonly request_id: string;
  readonly client: string;
  readonly route: string;
  readonly alias: string;
  readonly stream: boolean;
  readonly status: number;
  readonly outcome: RequestCause;
  /** Set when the caller got a 429 or a refusal: who refused. */
  readonly rate_limit_source: RateLimitSource | undefined;
  readonly error_code: string | undefined;
  /** The deployment that served (`group/model_id`), when one did. */
  readonly deployment: string | undefined;
  readonly attempts: readonly AttemptSummary[];
  readonly fallbacks: number;
  readonly retries: number;
  readonly upstream_calls: number;
  readonly tokens_in: number;
  readonly tokens_out: number;
  /** USD, from the catalogue's (or `model_info`'s) prices; 0 when unpriced or nothing was served. */
  readonly cost_usd: number;
  readonly duration_ms: number;
  /** Streams only: the serving call to its first byte. */
  readonly ttfb_ms: number | undefined;
  readonly queue_ms: number;
}

export function requestRecord(outcome: RequestOutcome): RequestRecord {
  const cause = causeOf(outcome);
  const served = outcome.served?.deployment;
  const trail = outcome.trail;
  const attempts: AttemptSummary[] = (trail?.all ?? []).map(summarise);
  if (served !== undefined) attempts.push({ deployment: nameOf(served), outcome: outcome.brokenStream ? 'stream_error' : 'served', status: 200 });
  const tokensIn = outcome.usage?.prompt_tokens ?? 0;
  const tokensOut = outcome.usage?.completion_tokens ?? 0;
  return {
    request_id: outcome.requestId,
    client: outcome.client,
    route: outcome.route,
    alias: outcome.alias,
    stream: outcome.stream,
    status: outcome.status,
    outcome: cause,
    rate_limit_source: rateLimitSourceOf(cause),
    error_code: outcome.errorCode,
    deployment: served === undefined ? undefined : nameOf(served),
    attempts,
    fallbacks: trail?.fallbacks ?? 0,
    retries: trail?.retries ?? 0,
    upstream_calls: trail?.calls ?? 0,
    tokens_in: tokensIn,
    tokens_out: tokensOut,
    cost_usd: served === undefined ? 0 : costOf(served, tokensIn, tokensOut),
    duration_ms: round(outcome.totalSeconds * 1000),
    ttfb_ms: outcome.stream && outcome.firstByteSeconds !== undefined ? round(outcome.firstByteSeconds * 1000) : undefined,
    queue_ms: round(outcome.queueSeconds * 1000),
  };
}

/** The request log line's message: the few fields a reader scans for, in order. */
export function requestLine(record: RequestRecord): string {
  const via = record.deployment === undefined ? '' : ` via ${record.deployment}`;
  const source = record.rate_limit_source === undefined ? '' : ` (${record.rate_limit_source})`;
  return `${record.route} ${record.alias || '-'} ${record.status} ${record.outcome}${source}${via} in ${record.duration_ms} ms`;
}

function summarise(record: AttemptRecord): AttemptSummary {
  const deployment = nameOf(record.deployment);
  switch (record.kind) {
    case 'skipped':
      return { deployment, outcome: 'skipped' };
    case 'refused':
      return { deployment, outcome: 'refused' };
    case 'ejected':
      return { deployment, outcome: 'ejected' };
    case 'busy':
      return { deployment, outcome: 'busy' };
    case 'failed':
      return record.failure.status === undefined
        ? { deployment, outcome: record.failure.kind }
        : { deployment, outcome: record.failure.kind, status: record.failure.status };
  }
}

function nameOf(deployment: Deployment): string {
  return `${deployment.alias}/${deployment.id}`;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export function costOf(deployment: Deployment, tokensIn: number, tokensOut: number): number {
  const { input, output } = deployment.prices;
  return tokensIn * input + tokensOut * output;
}
