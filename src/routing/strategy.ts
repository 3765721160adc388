import type { RoutingStrategy } from '../config/types.js';
import type { QuotaStore } from '../quota/types.js';
import type { Deployment } from './deployment.js';

/**
 * The order in which one model group's deployments are tried: lowest `order` first (deployments without
 * one after those with one), and within the same order by `routing_strategy`:
 * - `simple-shuffle`: weighted random by `weight`, else `rpm`, else `tpm`, else evenly (LiteLLM's default);
 * - `least-busy`: fewest requests in flight;
 * - `usage-based-routing-v2`: most budget headroom left in the minute windows;
 * - `latency-based-routing`: lowest recent latency, untried deployments first.
 * Deployments without headroom are not removed here; the attempt's reservation passes over them.
 */
export async function attemptOrder(
  deployments: readonly Deployment[],
  strategy: RoutingStrategy = 'simple-shuffle',
  quota?: QuotaStore,
  random: () => number = Math.random,
): Promise<Deployment[]> {
  if (deployments.length <= 1) return deployments.slice();
  const score = await scorer(deployments, strategy, quota, random);
  const keyed = deployments.map((deployment, index) => ({
    deployment,
    tier: deployment.config.order ?? Number.POSITIVE_INFINITY,
    // Higher is tried first; the random tiebreak keeps equal deployments evenly loaded.
    key: score(deployment, index),
    tiebreak: random(),
  }));
  keyed.sort((a, b) => a.tier - b.tier || b.key - a.key || a.tiebreak - b.tiebreak);
  return keyed.map((entry) => entry.deployment);
}

type Score = (deployment: Deployment, index: number) => number;

async function scorer(deployments: readonly Deployment[], strategy: RoutingStrategy, quota: QuotaStore | undefined, random: () => number): Promise<Score> {
  switch (strategy) {
    case 'least-busy':
      return (d) => -d.stats.inFlight;
    case 'latency-based-routing':
      return (d) => -(d.stats.latencyEwmaMs ?? 0);
    case 'usage-based-routing-v2': {
      if (quota === undefined) return () => 0;
      const headroom = await Promise.all(deployments.map((d) => minuteHeadroom(d, quota)));
      return (_d, index) => headroom[index] ?? 0;
    }
    default:
      // Efraimidis–Spirakis: sorting by u^(1/w) draws a weighted permutation in one pass.
      return (d) => Math.pow(random(), 1 / shuffleWeight(d));
  }
}

/** The smaller of the RPM and TPM fractions left; 1 when neither is limited. */
async function minuteHeadroom(deployment: Deployment, quota: QuotaStore): Promise<number> {
  if (deployment.budget === undefined) return 0;
  const snapshot = await quota.snapshot(deployment.budget);
  let least = 1;
  for (const window of [snapshot.windows.rpm, snapshot.windows.tpm]) {
    if (window.limit !== null && window.limit > 0 && window.remaining !== null) least = Math.min(least, window.remaining / window.limit);
  }
  return least;
}

function shuffleWeight(deployment: Deployment): number {
  const { weight, limits } = deployment.config;
  const candidate = weight ?? limits.rpm ?? limits.tpm ?? 1;
  return typeof candidate === 'number' && candidate > 0 ? candidate : 1;
}
