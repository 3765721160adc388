import { createHash } from 'node:crypto';
import { documentedLimits } from '../catalog/load.js';
import type { Catalog } from '../catalog/types.js';
import { keyPreview } from '../config/secrets.js';
import type { DeploymentConfig, GroqPlan } from '../config/types.js';
import { WINDOW_NAMES, type BudgetSpec, type WindowLimit, type WindowName } from './types.js';

/**
 * One budget per (API key, upstream model): Groq's limits belong to the organisation a key stands for,
 * so two deployments with the same key and model spend one budget, and different keys are different
 * organisations. Returns each configured deployment's budget by deployment id.
 */
export function budgetSpecs(deployments: readonly DeploymentConfig[], catalog: Catalog, plan: GroqPlan): Map<string, BudgetSpec> {
  const members = new Map<string, DeploymentConfig[]>();
  for (const deployment of deployments) {
    if (deployment.apiKey === undefined || deployment.unconfiguredReason !== undefined) continue;
    const id = budgetId(deployment.apiKey, deployment.model);
    members.set(id, [...(members.get(id) ?? []), deployment]);
  }
  const byDeployment = new Map<string, BudgetSpec>();
  for (const [id, sharing] of members) {
    const first = sharing[0] as DeploymentConfig;
    const documented = documentedLimits(first.provider === 'groq' ? catalog.get(first.model) : undefined, plan);
    const limits = Object.fromEntries(
      WINDOW_NAMES.map((window) => [window, tightest(sharing.map((d) => windowLimit(d, window, documented[window])))]),
    ) as Record<WindowName, WindowLimit>;
    const spec: BudgetSpec = Object.freeze({ id, model: first.model, keyPreview: keyPreview(first.apiKey as string), limits: Object.freeze(limits) });
    for (const deployment of sharing) byDeployment.set(deployment.id, spec);
  }
  return byDeployment;
}

/**
 * A limit set in `litellm_params` wins; absent, the catalogue's documented limit for the plan applies;
 * `null` there means "do not enforce", and `0` admits nothing.
 */
function windowLimit(deployment: DeploymentConfig, window: WindowName, documented: number | null): WindowLimit {
  const configured = deployment.limits[window];
  if (configured !== undefined) return { limit: configured, source: configured === null ? 'none' : 'config' };
  return { limit: documented, source: documented === null ? 'none' : 'catalogue' };
}

/** Deployments sharing a budget may state different limits; the organisation is held to the lowest. */
function tightest(limits: WindowLimit[]): WindowLimit {
  return limits.reduce((a, b) => (b.limit !== null && (a.limit === null || b.limit < a.limit) ? b : a));
}

/** Deterministic, so every gateway instance sharing a store names the same budget the same way. */
export function budgetId(apiKey: string, model: string): string {
  return `${model}#${createHash('sha256').update(apiKey).digest('hex').slice(0, 12)}`;
}

/** The API key part of a budget's id (its key's fingerprint): budgets sharing it are one organisation's models. */
export function budgetKeyOf(budgetId: string): string {
  return budgetId.slice(budgetId.lastIndexOf('#') + 1);
}
