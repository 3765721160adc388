import type { Registry } from 'prom-client';
import type { QuotaStore } from '../quota/types.js';
import type { TokenUsage } from '../routing/attempt-deployment.js';
import type { AttemptRecord, AttemptTrail } from '../routing/attempt-trail.js';
import type { Deployment } from '../routing/deployment.js';
import type { FailureKind, UpstreamFailure } from '../upstream/failure.js';
import { countsAgainstDeployment, errorClassOf } from '../breaker/error-class.js';
import type { LITELLM, OURS } from './families.js';
import { ANONYMOUS, labelsOf } from './labels.js';
import { createRegistry, type Metrics } from './registry.js';
import { REQUEST_CAUSES, causeOf, costOf, type RequestOutcome } from './request-record.js';
import { installStateCollectors } from './state-collector.js';
import { boundCounter, boundHistogram, type BoundCounter, type BoundHistogram } from './bound-series.js';

export type { RequestOutcome } from './request-record.js';

/**
 * The gateway's Prometheus registry and the one place requests are counted: the chat route reports
 * each answered request once, in O(chain length); state gauges are filled at scrape time.
 */
export class GatewayMetrics {
  readonly registry: Registry;
  private readonly ours: Metrics<typeof OURS>;
  private readonly litellm: Metrics<typeof LITELLM>;
  private readonly bound = new WeakMap<Deployment, Map<string, BoundSeries>>();
  private readonly byAlias = new Map<string, AliasSeries>();
  /** Deployments whose last upstream call failed: LiteLLM's "partial outage" until one succeeds. */
  private readonly failing = new WeakSet<Deployment>();

  constructor(deployments: () => readonly Deployment[], quota: QuotaStore) {
    const { registry, ours, litellm } = createRegistry();
    this.registry = registry;
    this.ours = ours;
    this.litellm = litellm;
    installStateCollectors(ours, litellm, deployments, quota, (deployment) => this.failing.has(deployment));
  }

  /** An HTTP request arrived (`litellm_in_flight_requests`). */
  requestStarted(): void {
    this.litellm.inFlight.inc();
  }

  /** An HTTP request's answer is over, however it ended. */
  requestEnded(): void {
    this.litellm.inFlight.dec();
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Creates at zero the series of events operators watch for, for every deployment of a freshly loaded
   * table: a counter that first appears at 1 shows no increase to `rate()`, so the first 429 or breaker
   * opening would go unseen.
   */
  prepare(deployments: readonly Deployment[]): void {
    for (const result of ['success', 'failure']) this.ours.configReloads.inc({ result }, 0);
    this.litellm.inFlight.inc(0);
    const { hashed_api_key, api_key_alias, team, team_alias, client_ip, user_agent } = ANONYMOUS;
    const aliases = new Set<string>();
    for (const deployment of deployments) {
      if (deployment.client === undefined) continue;
      aliases.add(deployment.alias);
      const ids = labelsOf(deployment);
      for (const result of ['success', ...UPSTREAM_FAILURES]) this.ours.upstreamAttempts.inc({ ...ids.ours, result }, 0);
      for (const reason of BREAKER_REASONS) this.ours.breakerOpens.inc({ ...ids.ours, reason }, 0);
      for (const exception_status of COOLDOWN_STATUSES) this.litellm.cooledDown.inc({ ...ids.litellm, exception_status }, 0);
      this.ours.rateLimited.inc({ requested_model: deployment.alias, model_id: deployment.id, source: 'upstream' }, 0);
      this.ours.completionsCut.inc({ requested_model: deployment.alias, model_id: deployment.id }, 0);
      const deploymentRequest = { requested_model: deployment.alias, ...ids.litellm, hashed_api_key, api_key_alias, team, team_alias, client_ip, user_agent };
      this.litellm.successResponses.inc(deploymentRequest, 0);
      this.litellm.totalRequests.inc(deploymentRequest, 0);
    }
    for (const alias of aliases) {
      this.ours.rateLimited.inc({ requested_model: alias, model_id: '', source: 'gateway' }, 0);
      for (const outcome of REQUEST_CAUSES) this.ours.requests.inc({ requested_model: alias, model_group: '', model_id: '', outcome, status_code: '' }, 0);
    }
  }

  /** A config (the first or a reloaded one) is now serving. */
  configLoaded(at: Date): void {
    this.ours.configLoadedAt.set(at.getTime() / 1000);
  }

  configReloaded(ok: boolean): void {
    this.ours.configReloads.inc({ result: ok ? 'success' : 'failure' });
  }

  breakerOpened(deployment: Deployment, cause: UpstreamFailure): void {
    const ids = labelsOf(deployment);
    this.ours.breakerOpens.inc({ ...ids.ours, reason: cause.kind });
    this.litellm.cooledDown.inc({ ...ids.litellm, exception_status: String(cause.status ?? '') });
  }

  /** An answer ended at a completion cap the gateway had lowered below the client's own. */
  completionCut(alias: string, deploymentId: string): void {
    this.ours.completionsCut.inc({ requested_model: alias, model_id: deploymentId });
  }

  recordRequest(outcome: RequestOutcome): void {
    const { ours, litellm } = this;
    const served = outcome.served?.deployment;
    const records = outcome.trail?.all ?? [];
    const cause = causeOf(outcome);
    const succeeded = served !== undefined && cause === 'success';
    const bound = served === undefined ? undefined : this.boundFor(outcome.alias, outcome.route, served);
    const { end_user, hashed_api_key, api_key_alias, team, team_alias, user, user_email, client_ip, user_agent } = ANONYMOUS;
    const model = served === undefined ? outcome.alias : labelsOf(served).litellm.litellm_model_name;

    if (bound !== undefined) bound.litellmRequests.inc();
    else litellm.requests.inc({ end_user, hashed_api_key, api_key_alias, model, team, team_alias, user, user_email, client_ip, user_agent, model_id: '' });
    if (succeeded && bound !== undefined) {
      bound.requestsSucceeded.inc();
      bound.proxyRequestsSucceeded.inc();
    } else {
      // A stream cut after its first byte went out as a 200 but failed: it counts as a 500 everywhere.
      const status = outcome.brokenStream ? 500 : outcome.status;
      ours.requests.inc({
        requested_model: outcome.alias,
        model_group: outcome.served?.group ?? '',
        model_id: served?.id ?? '',
        outcome: cause,
        status_code: String(status),
      });
      const proxy = { end_user, hashed_api_key, api_key_alias, team, team_alias, user, user_email, client_ip, user_agent, requested_model: outcome.alias, route: outcome.route, model_id: served?.id ?? '' };
      litellm.proxyTotalRequests.inc({ ...proxy, status_code: String(status) });
      if (status >= 400) {
        litellm.proxyFailedRequests.inc({ ...proxy, exception_status: String(status), exception_class: classOfStatus(status) });
        // LiteLLM's count of failed LLM API calls: a fault of the gateway's own is not one.
        if (cause !== 'gateway_error') litellm.apiFailedRequests.inc({ end_user, hashed_api_key, api_key_alias, model, team, team_alias, user, model_id: served?.id ?? '' });
      }
      // Groq's own 429s are counted where they happened (recordAttempt), once each.
      if (cause === 'gateway_refused' && outcome.status === 429) ours.rateLimited.inc({ requested_model: outcome.alias, model_id: '', source: 'gateway' });
    }

    for (const record of records) this.recordAttempt(outcome.alias, record);
    if (bound !== undefined && served !== undefined) {
      bound.upstreamTotal.inc();
      if (outcome.brokenStream) {
        this.failing.add(served);
        ours.upstreamAttempts.inc({ ...labelsOf(served).ours, result: 'stream_error' });
        litellm.failureResponses.inc({ ...bound.deploymentRequest, exception_status: '500', exception_class: 'InternalServerError' });
      } else {
        this.failing.delete(served);
        bound.upstreamSucceeded.inc();
        bound.upstreamSucceededLiteLLM.inc();
      }
      this.recordUsageAndTimes(outcome, bound);
      const cost = costOf(served, outcome.usage?.prompt_tokens ?? 0, outcome.usage?.completion_tokens ?? 0);
      // The client key's alias is no secret, and spend per key is what the spend panels are for.
      const keyAlias = outcome.client === 'anonymous' ? '' : outcome.client;
      let spend = bound.spendByKeyAlias.get(keyAlias);
      if (spend === undefined) {
        spend = boundCounter(litellm.spend, { ...bound.client, api_key_alias: keyAlias });
        bound.spendByKeyAlias.set(keyAlias, spend);
      }
      spend.inc(cost);
    }

    this.recordFallback(outcome, records);
    if (outcome.trail !== undefined && outcome.trail.retries > 0) ours.retries.inc({ requested_model: outcome.alias }, outcome.trail.retries);
    const perAlias = this.aliasBound(outcome.alias);
    (outcome.stream ? perAlias.durationStream : perAlias.durationJson).observe(outcome.totalSeconds);
    if (outcome.overheadSeconds !== undefined) perAlias.overhead.observe(outcome.overheadSeconds);
  }

  /**
   * prom-client validates and hashes a label set on every call; the series a served request touches
   * are bound once per (route, alias, deployment) instead, so a request costs a few increments.
   */
  private boundFor(alias: string, route: string, deployment: Deployment): BoundSeries {
    let byAlias = this.bound.get(deployment);
    if (byAlias === undefined) {
      byAlias = new Map();
      this.bound.set(deployment, byAlias);
    }
    const key = `${route} ${alias}`;
    let series = byAlias.get(key);
    if (series === undefined) {
      series = bindSeries(this.ours, this.litellm, alias, route, deployment);
      byAlias.set(key, series);
    }
    return series;
  }

  private aliasBound(alias: string): AliasSeries {
    let series = this.byAlias.get(alias);
    if (series === undefined) {
      series = {
        durationJson: boundHistogram(this.ours.requestDuration, { requested_model: alias, stream: 'false' }),
        durationStream: boundHistogram(this.ours.requestDuration, { requested_model: alias, stream: 'true' }),
        overhead: boundHistogram(this.ours.overhead, { requested_model: alias }),
      };
      this.byAlias.set(alias, series);
    }
    return series;
  }

  private recordAttempt(alias: string, record: AttemptRecord): void {
    const ids = labelsOf(record.deployment);
    if (record.kind === 'refused') this.ours.skipped.inc({ ...ids.ours, reason: 'quota' });
    if (record.kind === 'ejected') this.ours.skipped.inc({ ...ids.ours, reason: 'breaker_open' });
    if (record.kind === 'busy') this.ours.skipped.inc({ ...ids.ours, reason: 'max_parallel_requests' });
    if (record.kind !== 'failed') return;
    const failed = record.failure;
    if (countsAgainstDeployment(failed.kind)) this.failing.add(record.deployment);
    this.ours.upstreamAttempts.inc({ ...ids.ours, result: failed.kind });
    if (failed.kind === 'rate_limit') this.ours.rateLimited.inc({ requested_model: alias, model_id: record.deployment.id, source: 'upstream' });
    const { hashed_api_key, api_key_alias, team, team_alias, client_ip, user_agent } = ANONYMOUS;
    const deploymentRequest = { requested_model: alias, ...ids.litellm, hashed_api_key, api_key_alias, team, team_alias, client_ip, user_agent };
    this.litellm.totalRequests.inc(deploymentRequest);
    this.litellm.failureResponses.inc({ ...deploymentRequest, exception_status: String(failed.status ?? ''), exception_class: errorClassOf(failed.kind) ?? failed.kind });
  }

  /** A request that left its alias's group: which group it went to and why the earlier ones could not serve. */
  private recordFallback(outcome: RequestOutcome, records: readonly AttemptRecord[]): void {
    if (outcome.trail === undefined || outcome.trail.fallbacks === 0) return;
    const first = records.find((r) => r.kind !== 'skipped');
    const reason = first === undefined ? 'unknown' : first.kind === 'failed' ? first.failure.kind : first.kind === 'refused' ? 'quota' : 'breaker_open';
    const lastTried = [...records].reverse().find((r) => r.kind !== 'skipped')?.deployment.alias ?? '';
    const to = outcome.served?.group ?? lastTried;
    this.ours.fallbacks.inc({ from: outcome.alias, to, reason });
    const status =
      first?.kind === 'failed'
        ? String(first.failure.status ?? '')
        : first?.kind === 'refused' || (first?.kind === 'ejected' && first.ejection.rateLimited)
          ? '429'
          : '503';
    const { hashed_api_key, api_key_alias, team, team_alias } = ANONYMOUS;
    const labels = {
      requested_model: outcome.alias,
      fallback_model: to,
      hashed_api_key, api_key_alias, team, team_alias,
      exception_status: status,
      exception_class: first?.kind === 'failed' ? (errorClassOf(first.failure.kind) ?? first.failure.kind) : classOfStatus(Number(status)),
      model_id: outcome.served?.deployment.id ?? '',
    };
    if (outcome.served !== undefined && !outcome.brokenStream) this.litellm.successfulFallbacks.inc(labels);
    else this.litellm.failedFallbacks.inc(labels);
  }

  private recordUsageAndTimes(outcome: RequestOutcome, bound: BoundSeries): void {
    const input = outcome.usage?.prompt_tokens ?? 0;
    const output = outcome.usage?.completion_tokens ?? 0;
    if (input > 0) {
      bound.tokensIn.inc(input);
      bound.litellmTokensIn.inc(input);
    }
    if (output > 0) {
      bound.tokensOut.inc(output);
      bound.litellmTokensOut.inc(output);
    }
    if (input + output > 0) bound.litellmTokens.inc(input + output);
    bound.litellmRequestLatency.observe(outcome.totalSeconds);
    if (outcome.upstreamSeconds !== undefined) {
      bound.upstreamDuration.observe(outcome.upstreamSeconds);
      bound.litellmApiLatency.observe(outcome.upstreamSeconds);
    }
    // Time to first token means something for streams only (LiteLLM records it for them alone).
    if (outcome.stream && outcome.firstByteSeconds !== undefined) {
      bound.ttft.observe(outcome.firstByteSeconds);
      bound.litellmTtft.observe(outcome.firstByteSeconds);
    }
    if (outcome.overheadSeconds !== undefined) bound.litellmOverhead.observe(outcome.overheadSeconds);
    bound.queueTime.observe(outcome.queueSeconds);
    if (output > 0 && !outcome.brokenStream && outcome.upstreamSeconds !== undefined) bound.latencyPerOutputToken.observe(outcome.upstreamSeconds / output);
  }
}

type CounterChild = BoundCounter;
type HistogramChild = BoundHistogram;

interface AliasSeries {
  readonly durationJson: HistogramChild;
  readonly durationStream: HistogramChild;
  readonly overhead: HistogramChild;
}

/** The series one served request touches, for one requested alias and the deployment that served. */
interface BoundSeries {
  readonly deploymentRequest: Record<string, string>;
  /** LiteLLM's client labels of a request this deployment served (`litellm_requests_metric`, spend). */
  readonly client: Record<string, string>;
  readonly litellmRequests: CounterChild;
  /** Spend, per client key alias ('' for none). */
  readonly spendByKeyAlias: Map<string, CounterChild>;
  readonly requestsSucceeded: CounterChild;
  readonly proxyRequestsSucceeded: CounterChild;
  readonly upstreamTotal: CounterChild;
  readonly upstreamSucceeded: CounterChild;
  readonly upstreamSucceededLiteLLM: CounterChild;
  readonly tokensIn: CounterChild;
  readonly tokensOut: CounterChild;
  readonly litellmTokensIn: CounterChild;
  readonly litellmTokensOut: CounterChild;
  readonly litellmTokens: CounterChild;
  readonly litellmRequestLatency: HistogramChild;
  readonly upstreamDuration: HistogramChild;
  readonly litellmApiLatency: HistogramChild;
  readonly ttft: HistogramChild;
  readonly queueTime: HistogramChild;
  readonly latencyPerOutputToken: HistogramChild;
  readonly litellmTtft: HistogramChild;
  readonly litellmOverhead: HistogramChild;
}

function bindSeries(ours: Metrics<typeof OURS>, litellm: Metrics<typeof LITELLM>, alias: string, route: string, served: Deployment): BoundSeries {
  const ids = labelsOf(served);
  const { end_user, hashed_api_key, api_key_alias, team, team_alias, user, user_email, client_ip, user_agent } = ANONYMOUS;
  const model = ids.litellm.litellm_model_name;
  const deploymentRequest = { requested_model: alias, ...ids.litellm, hashed_api_key, api_key_alias, team, team_alias, client_ip, user_agent };
  const usage = { end_user, hashed_api_key, api_key_alias, team, team_alias, user, user_email, model, requested_model: alias, model_id: served.id };
  const api = { model, hashed_api_key, api_key_alias, team, team_alias, requested_model: alias, end_user, user, model_id: served.id };
  const client = { end_user, hashed_api_key, api_key_alias, model, team, team_alias, user, user_email, client_ip, user_agent, model_id: served.id };
  return {
    deploymentRequest,
    client,
    litellmRequests: boundCounter(litellm.requests, client),
    spendByKeyAlias: new Map(),
    requestsSucceeded: boundCounter(ours.requests, { requested_model: alias, model_group: served.alias, model_id: served.id, outcome: 'success', status_code: '200' }),
    proxyRequestsSucceeded: boundCounter(litellm.proxyTotalRequests, {
      end_user, hashed_api_key, api_key_alias, team, team_alias, user, user_email, client_ip, user_agent,
      requested_model: alias,
      route,
      model_id: served.id,
      status_code: '200',
    }),
    upstreamTotal: boundCounter(litellm.totalRequests, deploymentRequest),
    upstreamSucceeded: boundCounter(ours.upstreamAttempts, { ...ids.ours, result: 'success' }),
    upstreamSucceededLiteLLM: boundCounter(litellm.successResponses, deploymentRequest),
    tokensIn: boundCounter(ours.tokens, { ...ids.ours, direction: 'input' }),
    tokensOut: boundCounter(ours.tokens, { ...ids.ours, direction: 'output' }),
    litellmTokensIn: boundCounter(litellm.inputTokens, usage),
    litellmTokensOut: boundCounter(litellm.outputTokens, usage),
    litellmTokens: boundCounter(litellm.totalTokens, usage),
    litellmRequestLatency: boundHistogram(litellm.requestLatency, { end_user, hashed_api_key, api_key_alias, requested_model: alias, team, team_alias, user, model, model_id: served.id }),
    upstreamDuration: boundHistogram(ours.upstreamDuration, ids.ours),
    litellmApiLatency: boundHistogram(litellm.apiLatency, api),
    ttft: boundHistogram(ours.timeToFirstToken, ids.ours),
    queueTime: boundHistogram(litellm.queueTime, { end_user, hashed_api_key, api_key_alias, requested_model: alias, team, team_alias, user, model, model_id: served.id }),
    latencyPerOutputToken: boundHistogram(litellm.latencyPerOutputToken, { ...ids.litellm, hashed_api_key, api_key_alias, team, team_alias }),
    litellmTtft: boundHistogram(litellm.timeToFirstToken, api),
    litellmOverhead: boundHistogram(litellm.overhead, {
      model_group: served.alias,
      api_provider: ids.litellm.api_provider,
      api_base: ids.litellm.api_base,
      litellm_model_name: model,
      hashed_api_key,
      api_key_alias,
      model_id: served.id,
    }),
  };
}

/** Failure kinds an upstream call can end in (`aborted`: the caller left, which says nothing of the deployment). */
const UPSTREAM_FAILURES: readonly FailureKind[] = ['rate_limit', 'server_error', 'timeout', 'connection', 'auth', 'not_found', 'context_window', 'bad_request', 'stream_error'];
/** Every kind that can open a breaker: its series exist from the start, so the first opening shows in increase(). */
const BREAKER_REASONS: readonly FailureKind[] = UPSTREAM_FAILURES.filter(countsAgainstDeployment);
/** Statuses a deployment can cool down on; '' for failures without a status (timeouts, connection errors, cut streams). */
const COOLDOWN_STATUSES = ['429', '401', '403', '404', '500', '502', '503', '504', ''];

/** LiteLLM's exception class names for a status. */
function classOfStatus(status: number): string {
  if (status === 400 || status === 413 || status === 422) return 'BadRequestError';
  if (status === 401 || status === 403) return 'AuthenticationError';
  if (status === 404) return 'NotFoundError';
  if (status === 408 || status === 504) return 'Timeout';
  if (status === 429) return 'RateLimitError';
  if (status === 503) return 'ServiceUnavailableError';
  return 'InternalServerError';
}
