import { Hono } from 'hono';
import type { Gateway } from '../../gateway.js';
import type { ReloadStatus } from '../../reload/config-reloader.js';
import type { Deployment } from '../../routing/deployment.js';
import { configFaultOf, unusableAliases } from './health.js';
import { mayUseName } from '../shared/name-access.js';
import { budgetsOf, budgetView } from './quota.js';
import { shownJson } from './shown-json.js';

/**
 * `GET /status`: the whole picture a local user wants in one answer, for the status page (/ui) and
 * `groq-router status`: readiness, each alias with its chain and deployments (breaker state, reason,
 * seconds until the trial), each budget's windows (ours and Groq's header view), the last requests
 * and reloads. A client key sees its own aliases, their budgets and requests only.
 */
export function statusRoutes(gateway: Pick<Gateway, 'current' | 'quota' | 'activity'>, version: string, reloadStatus: () => ReloadStatus | undefined = () => undefined): Hono {
  const routes = new Hono();
  routes.get('/status', async function status(c) {
    const principal = c.var.principal;
    const { table, loadedAt, config } = gateway.current;
    const visible = (alias: string) => mayUseName(principal, table, alias);
    const groups = [...table.groups.values()].filter((g) => visible(g.name));
    const deployments = table.deployments.filter((d) => visible(d.alias));
    const unusable = unusableAliases(groups);
    const configured = deployments.filter((d) => d.client !== undefined).length;
    const failure = reloadStatus()?.lastFailure;
    const operator = principal?.kind !== 'client';
    const budgets = await Promise.all(budgetsOf(deployments).map(async ([spec, members]) => budgetView(await gateway.quota.snapshot(spec), members)));
    const now = Date.now();
    return shownJson(c, gateway.current.redactor, {
      version,
      now: new Date(now).toISOString(),
      plan: config.router.groqPlan,
      readiness: {
        status: configured > 0 && unusable.length === 0 ? 'healthy' : 'unhealthy',
        unusable_aliases: unusable,
        config_loaded_at: loadedAt.toISOString(),
        last_reload_failed: operator && failure !== undefined ? { at: failure.at.toISOString(), error: failure.error } : null,
        budgets: gateway.quota.kind,
      },
      aliases: groups.map((group) => ({
        alias: group.name,
        chain: (table.chainFor(group.name, 0) ?? []).map((g) => g.name).filter(visible),
        deployments: group.deployments.map((d) => deploymentView(d, now)),
      })),
      budgets,
      requests: gateway.activity.requests().filter((r) => visible(r.alias)),
      reloads: operator ? gateway.activity.reloads() : [],
    });
  });
  return routes;
}

function deploymentView(deployment: Deployment, now: number): Record<string, unknown> {
  const breaker = deployment.breaker.status();
  const fault = configFaultOf(deployment);
  return {
    id: deployment.id,
    label: deployment.label,
    model: deployment.config.litellmModel,
    budget_id: deployment.budget?.id ?? null,
    state: deployment.client === undefined ? 'unconfigured' : breaker.state === 'closed' ? 'serving' : breaker.state === 'open' ? 'ejected' : 'trial',
    reason: deployment.client === undefined ? (fault ?? null) : breaker.state === 'closed' ? null : (breaker.reason ?? null),
    trial_in_s: breaker.halfOpensAt > 0 ? Math.max(0, Math.ceil((breaker.halfOpensAt - now) / 1000)) : null,
    unusable: fault !== undefined,
  };
}

