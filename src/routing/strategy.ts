import type { Deployment } from './deployment.js';

/**
 * The order in which one model group's deployments are tried: lowest `order` first (deployments without
 * one after those with one), and within the same order a weighted shuffle, so traffic spreads by `weight`
 * (else `rpm`, else `tpm`, else evenly) as LiteLLM's `simple-shuffle` does.
 */
export function attemptOrder(deployments: readonly Deployment[], random: () => number = Math.random): Deployment[] {
  if (deployments.length <= 1) return deployments.slice();
  // Efraimidis–Spirakis: sorting by u^(1/w) draws a weighted permutation in one pass.
  const keyed = deployments.map((deployment) => ({
    deployment,
    tier: deployment.config.order ?? Number.POSITIVE_INFINITY,
    key: Math.pow(random(), 1 / shuffleWeight(deployment)),
  }));
  keyed.sort((a, b) => a.tier - b.tier || b.key - a.key);
  return keyed.map((entry) => entry.deployment);
}

function shuffleWeight(deployment: Deployment): number {
  const { weight, limits } = deployment.config;
  const candidate = weight ?? limits.rpm ?? limits.tpm ?? 1;
  return typeof candidate === 'number' && candidate > 0 ? candidate : 1;
}
