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

  recordChat(outcome: ChatOutcome): void {
    const { ours, litellm } = this;
    const served = outcome.served?.deployment;
    const servedIds = served === undefined ? undefined : labelsOf(served);
    const records = outcome.trail?.all ?? [];

    ours.requests.inc({
      requested_model: outcome.alias,
      model_group: outcome.served?.group ?? '',
      model_id: served?.id ?? '',
      outcome: outcomeOf(outcome),
      status_code: String(outcome.status),
    });
    const proxy = { ...ANONYMOUS, requested_model: outcome.alias, route: outcome.route, model_id: served?.id ?? '' };
    const { end_user, hashed_api_key, api_key_alias, team, team_alias, user, user_email, client_ip, user_agent } = proxy;
    litellm.proxyTotalRequests.inc({ end_user, hashed_api_key, api_key_alias, team, team_alias, user, user_email, client_ip, user_agent, requested_model: outcome.alias, route: outcome.route, model_id: proxy.model_id, status_code: String(outcome.status) });
    if (outcome.status >= 400 || outcome.brokenStream) {
      litellm.proxyFailedRequests.inc({
        end_user, hashed_api_key, api_key_alias, team, team_alias, user, user_email, client_ip, user_agent,
        requested_model: outcome.alias,
        route: outcome.route,
        model_id: proxy.model_id,
        exception_status: String(outcome.brokenStream ? 500 : outcome.status),
        exception_class: classOfStatus(outcome.brokenStream ? 500 : outcome.status),
      });
    }
    if (outcome.status === 429) ours.rateLimited.inc({ requested_model: outcome.alias, model_id: '', source: 'gateway' });

    for (const record of records) this.recordAttempt(outcome.alias, record);
    if (served !== undefined && servedIds !== undefined) {
      const deploymentRequest = { requested_model: outcome.alias, ...servedIds.litellm, hashed_api_key, api_key_alias, team, team_alias, client_ip, user_agent };
      ours.upstreamAttempts.inc({ ...servedIds.ours, result: outcome.brokenStream ? 'stream_error' : 'success' });
      litellm.totalRequests.inc(deploymentRequest);
      if (outcome.brokenStream) litellm.failureResponses.inc({ ...deploymentRequest, exception_status: '500', exception_class: 'InternalServerError' });
      else litellm.successResponses.inc(deploymentRequest);
    }

    this.recordFallback(outcome, records);
    if (outcome.trail !== undefined && outcome.trail.retries > 0) ours.retries.inc({ requested_model: outcome.alias }, outcome.trail.retries);
    if (served !== undefined && servedIds !== undefined) this.recordUsageAndTimes(outcome, served);
    ours.requestDuration.observe({ requested_model: outcome.alias, stream: String(outcome.stream) }, outcome.totalSeconds);
    if (outcome.overheadSeconds !== undefined) ours.overhead.observe({ requested_model: outcome.alias }, outcome.overheadSeconds);
  }

  private recordAttempt(alias: string, record: AttemptRecord): void {
    const ids = labelsOf(record.deployment);
    if (record.kind === 'refused') this.ours.passedOver.inc({ ...ids.ours, reason: 'quota' });
    if (record.kind === 'cooling') this.ours.passedOver.inc({ ...ids.ours, reason: 'breaker_open' });
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

  private recordUsageAndTimes(outcome: ChatOutcome, served: Deployment): void {
    const ids = labelsOf(served);
    const { end_user, hashed_api_key, api_key_alias, team, team_alias, user, user_email } = ANONYMOUS;
    const usageLabels = { end_user, hashed_api_key, api_key_alias, team, team_alias, user, user_email, model: ids.litellm.litellm_model_name, requested_model: outcome.alias, model_id: served.id };
    const input = outcome.usage?.prompt_tokens ?? 0;
    const output = outcome.usage?.completion_tokens ?? 0;
    if (input > 0) {
      this.ours.tokens.inc({ ...ids.ours, direction: 'input' }, input);
      this.litellm.inputTokens.inc(usageLabels, input);
    }
    if (output > 0) {
      this.ours.tokens.inc({ ...ids.ours, direction: 'output' }, output);
      this.litellm.outputTokens.inc(usageLabels, output);
    }
    if (input + output > 0) this.litellm.totalTokens.inc(usageLabels, input + output);

    const apiLabels = { model: ids.litellm.litellm_model_name, hashed_api_key, api_key_alias, team, team_alias, requested_model: outcome.alias, end_user, user, model_id: served.id };
    this.litellm.requestLatency.observe({ end_user, hashed_api_key, api_key_alias, requested_model: outcome.alias, team, team_alias, user, model: ids.litellm.litellm_model_name, model_id: served.id }, outcome.totalSeconds);
    if (outcome.upstreamSeconds !== undefined) {
      this.ours.upstreamDuration.observe(ids.ours, outcome.upstreamSeconds);
      this.litellm.apiLatency.observe(apiLabels, outcome.upstreamSeconds);
    }
    if (outcome.firstByteSeconds !== undefined) {
      this.ours.timeToFirstToken.observe({ ...ids.ours, stream: String(outcome.stream) }, outcome.firstByteSeconds);
      this.litellm.timeToFirstToken.observe(apiLabels, outcome.firstByteSeconds);
    }
    if (outcome.overheadSeconds !== undefined) {
      this.litellm.overhead.observe(
        { model_group: served.alias, api_provider: ids.litellm.api_provider, api_base: ids.litellm.api_base, litellm_model_name: ids.litellm.litellm_model_name, hashed_api_key, api_key_alias, model_id: served.id },
        outcome.overheadSeconds,
      );
    }
  }
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
