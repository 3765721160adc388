import { REPORTED_WINDOWS, type BudgetSnapshot, type QuotaStore, type WindowName } from '../quota/types.js';
import type { Deployment } from '../routing/deployment.js';
import type { LITELLM, OURS } from './families.js';
import { ANONYMOUS, labelsOf } from './labels.js';
import type { Metrics } from './registry.js';

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

interface StateSnapshot {
  readonly deployments: ReadonlyArray<{ readonly deployment: Deployment; readonly budget: BudgetSnapshot | undefined }>;
}

/**
 * Sets the gauges that mirror state (quota headroom, limits, breaker states) at scrape time, from one
 * snapshot per scrape shared by every gauge: prom-client collects gauges concurrently, and they must
 * agree with each other. Nothing runs between scrapes.
 */
export function installStateCollectors(
  ours: Metrics<typeof OURS>,
  litellm: Metrics<typeof LITELLM>,
  deployments: () => readonly Deployment[],
  quota: QuotaStore,
  /** Whether a deployment's last upstream call failed (LiteLLM's partial outage). */
  lastCallFailed: (deployment: Deployment) => boolean,
): void {
  const snapshot = perScrape(() => take(deployments(), quota));
  const gaugeSet = (gauges: ReadonlyArray<{ reset(): void }>, fill: (state: StateSnapshot) => void) => {
    // Every gauge of the set waits for the same fill, so none is read before it is refreshed.
    const refresh = perScrape(async () => {
      const state = await snapshot();
      for (const gauge of gauges) gauge.reset();
      fill(state);
    });
    for (const gauge of gauges) setCollect(gauge, refresh);
  };
  gaugeSet([ours.quotaLimit, ours.quotaRemaining, ours.quotaHeadroom, ours.quotaReset], (state) => fillQuota(ours, state));
  gaugeSet([ours.breakerState, ours.breakerTrial], (state) => fillBreakers(ours, state));
  setCollect(ours.quotaStoreDegraded, async () => {
    ours.quotaStoreDegraded.set(quota.degraded ? 1 : 0);
  });
  gaugeSet(
    [
      litellm.remainingRequests,
      litellm.remainingTokens,
      litellm.remainingRequestsLegacy,
      litellm.remainingTokensLegacy,
      litellm.deploymentState,
      litellm.rpmLimit,
      litellm.tpmLimit,
    ],
    (state) => fillLiteLLM(litellm, state, lastCallFailed),
  );
}

/**
 * Runs `work` once for all callers that ask while it is under way: prom-client collects every gauge of
 * a scrape concurrently, and those calls arrive in the same tick.
 */
function perScrape<T>(work: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= work().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}

async function take(deployments: readonly Deployment[], quota: QuotaStore): Promise<StateSnapshot> {
  const seen = new Map<string, Promise<BudgetSnapshot>>();
  const entries = deployments.map(async (deployment) => {
    const budget = deployment.budget;
    if (budget === undefined) return { deployment, budget: undefined };
    // Deployments sharing a budget share one snapshot.
    let pendingSnapshot = seen.get(budget.id);
    if (pendingSnapshot === undefined) {
      pendingSnapshot = quota.snapshot(budget);
      seen.set(budget.id, pendingSnapshot);
    }
    return { deployment, budget: await pendingSnapshot };
  });
  return { deployments: await Promise.all(entries) };
}

function fillQuota(ours: Metrics<typeof OURS>, state: StateSnapshot): void {
  for (const { deployment, budget } of state.deployments) {
    if (budget === undefined) continue;
    const base = labelsOf(deployment).ours;
    for (const [name, window] of Object.entries(budget.windows) as Array<[WindowName, BudgetSnapshot['windows'][WindowName]]>) {
      const labels = { ...base, window: name };
      ours.quotaReset.set({ ...labels, view: 'local' }, window.resetMs / 1000);
      if (window.limit !== null) {
        ours.quotaLimit.set(labels, window.limit);
        ours.quotaRemaining.set({ ...labels, view: 'local' }, Math.max(0, window.limit - window.used));
      }
      if (window.limit !== null && window.limit > 0 && window.remaining !== null) ours.quotaHeadroom.set(labels, window.remaining / window.limit);
      const upstream = upstreamRemaining(budget, name);
      if (upstream !== undefined) {
        ours.quotaRemaining.set({ ...labels, view: 'upstream' }, upstream.remaining);
        if (upstream.resetMs !== undefined) ours.quotaReset.set({ ...labels, view: 'upstream' }, upstream.resetMs / 1000);
      }
    }
  }
}

/** What Groq's last headers said for a window, aged by the time since they were seen. */
function upstreamRemaining(budget: BudgetSnapshot, window: WindowName): { remaining: number; resetMs: number | undefined } | undefined {
  const reported = REPORTED_WINDOWS.find((r) => r.window === window);
  const view = budget.upstream;
  if (reported === undefined || view === undefined) return undefined;
  const remaining = view[reported.remaining];
  const reset = view[reported.reset];
  if (remaining === undefined) return undefined;
  return { remaining, resetMs: reset === undefined ? undefined : Math.max(0, reset - (budget.at - view.observedAt)) };
}

function fillBreakers(ours: Metrics<typeof OURS>, state: StateSnapshot): void {
  const now = Date.now();
  for (const { deployment } of state.deployments) {
    if (deployment.client === undefined) continue;
    const labels = labelsOf(deployment).ours;
    const status = deployment.breaker.status();
    ours.breakerState.set(labels, BREAKER_VALUE[status.state]);
    if (status.state === 'open') ours.breakerTrial.set({ ...labels, reason: status.cause?.kind ?? 'unknown' }, Math.max(0, status.halfOpensAt - now) / 1000);
  }
}

/**
 * LiteLLM's deployment state: 2 (complete outage) while cooled down, 1 (partial outage) after a failed
 * call or while a trial is pending, 0 once a call succeeds. Not the breaker's own state: a half-open
 * breaker that was never tried since is still in partial outage, a closed one after a failure too.
 */
function deploymentState(deployment: Deployment, lastCallFailed: (deployment: Deployment) => boolean): 0 | 1 | 2 {
  const state = deployment.breaker.state;
  if (state === 'open') return 2;
  return state === 'half-open' || lastCallFailed(deployment) ? 1 : 0;
}

function fillLiteLLM(litellm: Metrics<typeof LITELLM>, state: StateSnapshot, lastCallFailed: (deployment: Deployment) => boolean): void {
  for (const { deployment, budget } of state.deployments) {
    if (deployment.client === undefined) continue;
    const ids = labelsOf(deployment).litellm;
    litellm.deploymentState.set(ids, deploymentState(deployment, lastCallFailed));
    const limits = deployment.budget?.limits;
    if (limits?.rpm.limit != null) litellm.rpmLimit.set(ids, limits.rpm.limit);
    if (limits?.tpm.limit != null) litellm.tpmLimit.set(ids, limits.tpm.limit);
    if (budget === undefined) continue;
    const providerView = {
      model_group: deployment.alias,
      api_provider: ids.api_provider,
      api_base: ids.api_base,
      litellm_model_name: ids.litellm_model_name,
      hashed_api_key: ANONYMOUS.hashed_api_key,
      api_key_alias: ANONYMOUS.api_key_alias,
      model_id: ids.model_id,
    };
    // What the gateway will still let through: its budget, which already follows Groq's header where
    // that is tighter; Groq's own figure alone when the window has no configured limit.
    const requests = remainingOf(budget, 'rpd', budget.upstream?.remainingRequests);
    const tokens = remainingOf(budget, 'tpm', budget.upstream?.remainingTokens);
    if (requests !== undefined) {
      litellm.remainingRequests.set(providerView, requests);
      litellm.remainingRequestsLegacy.set(providerView, requests);
    }
    if (tokens !== undefined) {
      litellm.remainingTokens.set(providerView, tokens);
      litellm.remainingTokensLegacy.set(providerView, tokens);
    }
  }
}

function remainingOf(budget: BudgetSnapshot, window: WindowName, upstream: number | undefined): number | undefined {
  const remaining = budget.windows[window]?.remaining;
  return remaining !== null && remaining !== undefined ? Math.max(0, remaining) : upstream;
}

function setCollect(gauge: object, collect: () => Promise<void>): void {
  // prom-client calls `collect` on each scrape before reading the gauge's values.
  (gauge as { collect?: () => Promise<void> }).collect = collect;
}
