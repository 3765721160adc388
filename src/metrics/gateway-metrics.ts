import type { Registry } from 'prom-client';
import type { QuotaStore } from '../quota/types.js';
import type { TokenUsage } from '../routing/attempt.js';
import type { AttemptRecord, AttemptTrail } from '../routing/attempts.js';
import type { Deployment } from '../routing/deployment.js';
import type { UpstreamFailure } from '../upstream/failure.js';
import { errorClassOf } from '../breaker/error-class.js';
import type { LITELLM, OURS } from './families.js';
import { ANONYMOUS, labelsOf } from './labels.js';
import { createRegistry, type Metrics } from './registry.js';
import { installStateCollectors } from './state-collector.js';

/** Everything the metrics need to know about one answered chat request, given once at its end. */
export interface ChatOutcome {
  readonly alias: string;
  readonly route: string;
  readonly stream: boolean;
  /** HTTP status the caller got (499 when it went away first). */
  readonly status: number;
  /** A stream that started but broke after its first byte. */
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
}

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

  constructor(deployments: () => readonly Deployment[], quota: QuotaStore) {
    const { registry, ours, litellm } = createRegistry();
    this.registry = registry;
    this.ours = ours;
    this.litellm = litellm;
    installStateCollectors(ours, litellm, deployments, quota);
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
    const { hashed_api_key, api_key_alias, team, team_alias, client_ip, user_agent } = ANONYMOUS;
    for (const deployment of deployments) {
      if (deployment.client === undefined) continue;
      const ids = labelsOf(deployment);
      for (const result of ['success', 'rate_limit', 'server_error']) this.ours.upstreamAttempts.inc({ ...ids.ours, result }, 0);
      for (const reason of ['rate_limit', 'server_error', 'timeout', 'connection']) this.ours.breakerOpens.inc({ ...ids.ours, reason }, 0);
      this.ours.rateLimited.inc({ requested_model: deployment.alias, model_id: deployment.id, source: 'upstream' }, 0);
      this.ours.completionsCut.inc({ requested_model: deployment.alias, model_id: deployment.id }, 0);
      this.ours.rateLimited.inc({ requested_model: deployment.alias, model_id: '', source: 'gateway' }, 0);
      this.litellm.cooledDown.inc({ ...ids.litellm, exception_status: '429' }, 0);
      const deploymentRequest = { requested_model: deployment.alias, ...ids.litellm, hashed_api_key, api_key_alias, team, team_alias, client_ip, user_agent };
      this.litellm.successResponses.inc(deploymentRequest, 0);
      this.litellm.totalRequests.inc(deploymentRequest, 0);
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

  recordChat(outcome: ChatOutcome): void {
    const { ours, litellm } = this;
    const served = outcome.served?.deployment;
    const records = outcome.trail?.all ?? [];
    const succeeded = served !== undefined && outcome.status === 200 && !outcome.brokenStream;
    const bound = served === undefined ? undefined : this.boundFor(outcome.alias, outcome.route, served);
    const { end_user, hashed_api_key, api_key_alias, team, team_alias, user, user_email, client_ip, user_agent } = ANONYMOUS;

    if (succeeded && bound !== undefined) {
      bound.requestsSucceeded.inc();
      bound.proxyRequestsSucceeded.inc();
    } else {
      ours.requests.inc({
        requested_model: outcome.alias,
        model_group: outcome.served?.group ?? '',
        model_id: served?.id ?? '',
        outcome: outcomeOf(outcome),
        status_code: String(outcome.status),
      });
      const proxy = { end_user, hashed_api_key, api_key_alias, team, team_alias, user, user_email, client_ip, user_agent, requested_model: outcome.alias, route: outcome.route, model_id: served?.id ?? '' };
      litellm.proxyTotalRequests.inc({ ...proxy, status_code: String(outcome.status) });
      const status = outcome.brokenStream ? 500 : outcome.status;
      if (status >= 400) litellm.proxyFailedRequests.inc({ ...proxy, exception_status: String(status), exception_class: classOfStatus(status) });
      if (outcome.status === 429) ours.rateLimited.inc({ requested_model: outcome.alias, model_id: '', source: 'gateway' });
    }

    for (const record of records) this.recordAttempt(outcome.alias, record);
    if (bound !== undefined && served !== undefined) {
      bound.upstreamTotal.inc();
      if (outcome.brokenStream) {
        ours.upstreamAttempts.inc({ ...labelsOf(served).ours, result: 'stream_error' });
        litellm.failureResponses.inc({ ...bound.deploymentRequest, exception_status: '500', exception_class: 'InternalServerError' });
      } else {
        bound.upstreamSucceeded.inc();
        bound.upstreamSucceededLiteLLM.inc();
      }
      this.recordUsageAndTimes(outcome, bound);
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
        durationJson: this.ours.requestDuration.labels({ requested_model: alias, stream: 'false' }),
        durationStream: this.ours.requestDuration.labels({ requested_model: alias, stream: 'true' }),
        overhead: this.ours.overhead.labels({ requested_model: alias }),
      };
      this.byAlias.set(alias, series);
    }
    return series;
  }

  private recordAttempt(alias: string, record: AttemptRecord): void {
    const ids = labelsOf(record.deployment);
    if (record.kind === 'refused') this.ours.passedOver.inc({ ...ids.ours, reason: 'quota' });
    if (record.kind === 'cooling') this.ours.passedOver.inc({ ...ids.ours, reason: 'breaker_open' });
    if (record.kind === 'busy') this.ours.passedOver.inc({ ...ids.ours, reason: 'max_parallel_requests' });
    if (record.kind !== 'failed') return;
    const failed = record.failure;
    this.ours.upstreamAttempts.inc({ ...ids.ours, result: failed.kind });
    if (failed.kind === 'rate_limit') this.ours.rateLimited.inc({ requested_model: alias, model_id: record.deployment.id, source: 'upstream' });
    const { hashed_api_key, api_key_alias, team, team_alias, client_ip, user_agent } = ANONYMOUS;
    const deploymentRequest = { requested_model: alias, ...ids.litellm, hashed_api_key, api_key_alias, team, team_alias, client_ip, user_agent };
    this.litellm.totalRequests.inc(deploymentRequest);
    this.litellm.failureResponses.inc({ ...deploymentRequest, exception_status: String(failed.status ?? ''), exception_class: errorClassOf(failed.kind) ?? failed.kind });
  }

  /** A request that left its alias's group: which group it went to and why the earlier ones could not serve. */
  private recordFallback(outcome: ChatOutcome, records: readonly AttemptRecord[]): void {
    if (outcome.trail === undefined || outcome.trail.fallbacks === 0) return;
    const first = records.find((r) => r.kind !== 'skipped');
    const reason = first === undefined ? 'unknown' : first.kind === 'failed' ? first.failure.kind : first.kind === 'refused' ? 'quota' : 'breaker_open';
    const lastTried = [...records].reverse().find((r) => r.kind !== 'skipped')?.deployment.alias ?? '';
    const to = outcome.served?.group ?? lastTried;
    this.ours.fallbacks.inc({ from: outcome.alias, to, reason });
    const status =
      first?.kind === 'failed'
        ? String(first.failure.status ?? '')
        : first?.kind === 'refused' || (first?.kind === 'cooling' && first.cooling.rateLimited)
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

  private recordUsageAndTimes(outcome: ChatOutcome, bound: BoundSeries): void {
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
    if (outcome.firstByteSeconds !== undefined) {
      (outcome.stream ? bound.ttftStream : bound.ttftJson).observe(outcome.firstByteSeconds);
      bound.litellmTtft.observe(outcome.firstByteSeconds);
    }
    if (outcome.overheadSeconds !== undefined) bound.litellmOverhead.observe(outcome.overheadSeconds);
  }
}

type CounterChild = ReturnType<Metrics<typeof OURS>['requests']['labels']>;
type HistogramChild = ReturnType<Metrics<typeof OURS>['requestDuration']['labels']>;

interface AliasSeries {
  readonly durationJson: HistogramChild;
  readonly durationStream: HistogramChild;
  readonly overhead: HistogramChild;
}

/** The series one served request touches, for one requested alias and the deployment that served. */
interface BoundSeries {
  readonly deploymentRequest: Record<string, string>;
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
  readonly ttftJson: HistogramChild;
  readonly ttftStream: HistogramChild;
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
  return {
    deploymentRequest,
    requestsSucceeded: ours.requests.labels({ requested_model: alias, model_group: served.alias, model_id: served.id, outcome: 'success', status_code: '200' }),
    proxyRequestsSucceeded: litellm.proxyTotalRequests.labels({
      end_user, hashed_api_key, api_key_alias, team, team_alias, user, user_email, client_ip, user_agent,
      requested_model: alias,
      route,
      model_id: served.id,
      status_code: '200',
    }),
    upstreamTotal: litellm.totalRequests.labels(deploymentRequest),
    upstreamSucceeded: ours.upstreamAttempts.labels({ ...ids.ours, result: 'success' }),
    upstreamSucceededLiteLLM: litellm.successResponses.labels(deploymentRequest),
    tokensIn: ours.tokens.labels({ ...ids.ours, direction: 'input' }),
    tokensOut: ours.tokens.labels({ ...ids.ours, direction: 'output' }),
    litellmTokensIn: litellm.inputTokens.labels(usage),
    litellmTokensOut: litellm.outputTokens.labels(usage),
    litellmTokens: litellm.totalTokens.labels(usage),
    litellmRequestLatency: litellm.requestLatency.labels({ end_user, hashed_api_key, api_key_alias, requested_model: alias, team, team_alias, user, model, model_id: served.id }),
    upstreamDuration: ours.upstreamDuration.labels(ids.ours),
    litellmApiLatency: litellm.apiLatency.labels(api),
    ttftJson: ours.timeToFirstToken.labels({ ...ids.ours, stream: 'false' }),
    ttftStream: ours.timeToFirstToken.labels({ ...ids.ours, stream: 'true' }),
    litellmTtft: litellm.timeToFirstToken.labels(api),
    litellmOverhead: litellm.overhead.labels({
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

function outcomeOf(outcome: ChatOutcome): string {
  if (outcome.status === 200) return outcome.brokenStream ? 'stream_error' : 'success';
  if (outcome.status === 429) return 'rate_limited';
  if (outcome.status === 499) return 'cancelled';
  if (outcome.status >= 500) return 'upstream_error';
  return 'client_error';
}

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
