import { Hono } from 'hono';
import type { Gateway } from '../../gateway.js';
import { mayUseName } from '../shared/name-access.js';
import type { BudgetSnapshot, BudgetSpec, WindowSnapshot } from '../../quota/types.js';
import type { Deployment } from '../../routing/deployment.js';

/**
 * `GET /quota`: every budget (one per API key and model) with its limits, where each came from, what is
 * used and remains, and when each window frees up: the numbers to check against Groq's console.
 */
export function quotaRoutes(gateway: Pick<Gateway, 'current' | 'quota' | 'planning'>): Hono {
  const routes = new Hono();
  routes.get('/quota', async function quota(c) {
    const { table, config } = gateway.current;
    const { planning } = gateway;
    // A client key sees the budgets its aliases spend, and only its aliases' deployments in them.
    const visible = table.deployments.filter((d) => mayUseName(c.var.principal, table, d.alias));
    const budgets = await Promise.all(
      budgetsOf(visible).map(async ([spec, members]) => ({
        ...budgetView(await gateway.quota.snapshot(spec), members),
        // What the gateway has learned of how Groq counts this budget's requests.
        learned: {
          prompt_ratio: round(planning.calibration.ratio(spec.model)),
          upstream_keeps_unused_cap: planning.retention.keepsCap(spec.id),
          kept_for_other_consumers: planning.neighbours.spare(spec.id),
        },
      })),
    );
    const aliases = [...table.groups.keys()].filter((alias) => mayUseName(c.var.principal, table, alias));
    const completionCaps = Object.fromEntries(aliases.map((alias) => [alias, planning.caps.for(alias)]));
    return c.json({ plan: config.router.groqPlan, completion_cap: config.router.completionCap, completion_caps: completionCaps, budgets });
  });
  return routes;
}

/** Budgets in config order, each with the deployments that spend it. */
export function budgetsOf(deployments: readonly Deployment[]): Array<[BudgetSpec, Deployment[]]> {
  const byId = new Map<string, [BudgetSpec, Deployment[]]>();
  for (const deployment of deployments) {
    if (deployment.budget === undefined) continue;
    const entry = byId.get(deployment.budget.id) ?? [deployment.budget, []];
    entry[1].push(deployment);
    byId.set(deployment.budget.id, entry);
  }
  return [...byId.values()];
}

export function budgetView(snapshot: BudgetSnapshot, members: Deployment[]): Record<string, unknown> {
  const windows = Object.fromEntries(Object.entries(snapshot.windows).map(([name, window]) => [name, windowView(window)]));
  return {
    id: snapshot.id,
    model: snapshot.model,
    key: snapshot.keyPreview,
    deployments: members.map((d) => ({ id: d.id, model_name: d.alias })),
    windows,
    blocked_until: snapshot.blockedUntil > 0 ? new Date(snapshot.blockedUntil).toISOString() : null,
    upstream:
      snapshot.upstream === undefined
        ? null
        : {
            remaining_requests_per_day: snapshot.upstream.remainingRequests ?? null,
            requests_reset_in_s: seconds(snapshot.upstream.resetRequestsMs),
            remaining_tokens_per_minute: snapshot.upstream.remainingTokens ?? null,
            tokens_reset_in_s: seconds(snapshot.upstream.resetTokensMs),
            observed_at: new Date(snapshot.upstream.observedAt).toISOString(),
          },
  };
}

function windowView(window: WindowSnapshot): Record<string, unknown> {
  return {
    limit: window.limit,
    source: window.source,
    used: Math.round(window.used * 1000) / 1000,
    remaining: window.remaining === null ? null : Math.round(window.remaining * 1000) / 1000,
    reset_in_s: seconds(window.resetMs),
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function seconds(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.round(ms) / 1000;
}
