import { Hono, type Context } from 'hono';
import type { Gateway } from '../../gateway.js';
import type { BudgetSnapshot, QuotaStore } from '../../quota/types.js';
import { mayUseName } from '../shared/name-access.js';
import type { ReloadStatus } from '../../reload/config-reloader.js';
import type { Deployment } from '../../routing/deployment.js';
import type { ModelGroup } from '../../routing/table.js';
import { shownJson } from './shown-json.js';

/** Probes for orchestrators (`/health/liveliness`, `/health/readiness`) and per-deployment status. */
export function healthRoutes(gateway: Pick<Gateway, 'current' | 'draining' | 'quota'>, version: string, reloadStatus: () => ReloadStatus | undefined = () => undefined): Hono {
  const routes = new Hono();

  const alive = function liveliness(c: Context) {
    return c.json("I'm alive!");
  };
  routes.get('/health/liveliness', alive);
  routes.get('/health/liveness', alive);

  routes.get('/health/readiness', function readiness(c) {
    const { table, loadedAt } = gateway.current;
    const configured = table.deployments.filter((d) => d.client !== undefined).length;
    if (gateway.draining) return c.json({ status: 'draining', reason: 'the gateway is shutting down', litellm_version: version }, 503);
    const unusable = unusableAliases(table.groups.values());
    const ready = configured > 0 && unusable.length === 0;
    const failure = reloadStatus()?.lastFailure;
    return shownJson(
      c,
      gateway.current.redactor,
      {
        status: ready ? 'healthy' : 'unhealthy',
        reason: ready
          ? undefined
          : configured === 0
            ? 'no deployment is configured (check the API key variables named in the startup warnings)'
            : `no deployment of ${unusable.map((u) => u.alias).join(', ')} can serve (see unusable_aliases)`,
        // Aliases none of whose deployments can serve until someone fixes a key, a variable or a model name.
        unusable_aliases: unusable,
        litellm_version: version,
        config_loaded_at: loadedAt.toISOString(),
        // A failed reload leaves the previous config serving: ready, but the operator must know.
        last_reload:
          failure === undefined
            ? { ok: true }
            : { ok: false, at: failure.at.toISOString(), trigger: failure.trigger, error: failure.error, serving_config_loaded_at: loadedAt.toISOString() },
        deployments: { configured, unconfigured: table.deployments.length - configured },
        // Shared budgets: while Redis is unreachable this instance serves on its local share of each.
        budgets: gateway.quota.kind === 'redis' ? { store: 'redis', degraded: gateway.quota.degraded } : { store: 'memory' },
      },
      ready ? 200 : 503,
    );
  });

  routes.get('/health', async function health(c) {
    const { table } = gateway.current;
    // A client key sees its own aliases' deployments only.
    const visible = table.deployments.filter((d) => mayUseName(c.var.principal, table, d.alias));
    const { redactor } = gateway.current;
    const redact = (text: string | null) => (text === null ? null : redactor.redact(text));
    const entries = await Promise.all(visible.map(async (deployment) => ({ deployment, view: await endpoint(deployment, gateway.quota, redact) })));
    const healthy = entries.filter((e) => problemOf(e.deployment) === undefined).map((e) => e.view);
    const unhealthy = entries.flatMap((e) => {
      const error = problemOf(e.deployment);
      return error === undefined ? [] : [{ ...e.view, error: redact(error) }];
    });
    return c.json({
      healthy_endpoints: healthy,
      unhealthy_endpoints: unhealthy,
      healthy_count: healthy.length,
      unhealthy_count: unhealthy.length,
    });
  });

  return routes;
}

/**
 * Why a deployment cannot serve until someone acts (its key variable is unset, its key or model is
 * refused upstream), or `undefined`. An ejection for rate limits or upstream errors mends by itself.
 */
export function configFaultOf(deployment: Deployment): string | undefined {
  if (deployment.client === undefined) return deployment.config.unconfiguredReason ?? 'not configured';
  const breaker = deployment.breaker.status();
  if (breaker.state === 'closed' || breaker.cause === undefined) return undefined;
  return breaker.cause.kind === 'auth' || breaker.cause.kind === 'not_found' ? (breaker.reason ?? breaker.cause.message) : undefined;
}

/** Aliases whose every deployment has a config fault, each with its deployments' reasons. */
export function unusableAliases(groups: Iterable<ModelGroup>): Array<{ alias: string; deployments: Array<{ id: string; reason: string }> }> {
  const unusable: Array<{ alias: string; deployments: Array<{ id: string; reason: string }> }> = [];
  for (const group of groups) {
    const faults = group.deployments.map((d) => ({ id: d.id, reason: configFaultOf(d) }));
    if (faults.length > 0 && faults.every((f) => f.reason !== undefined)) unusable.push({ alias: group.name, deployments: faults as Array<{ id: string; reason: string }> });
  }
  return unusable;
}

/** Why a deployment cannot serve now, or `undefined` when it can. */
function problemOf(deployment: Deployment): string | undefined {
  if (deployment.client === undefined) return deployment.config.unconfiguredReason ?? 'not configured';
  if (deployment.breaker.state !== 'open') return undefined;
  return `ejected: ${deployment.breaker.status().reason ?? 'failures'}`;
}

async function endpoint(deployment: Deployment, quota: QuotaStore, redact: (text: string | null) => string | null): Promise<Record<string, unknown>> {
  const breaker = deployment.breaker.status();
  const apiBase = deployment.config.publicParams.api_base;
  return {
    model: deployment.config.litellmModel,
    model_name: deployment.alias,
    model_id: deployment.id,
    // Without userinfo or query: that is where URLs carry credentials.
    api_base: typeof apiBase === 'string' ? apiBase : null,
    state: deployment.client === undefined ? 'unconfigured' : breaker.state,
    breaker: {
      state: breaker.state,
      // The upstream's words, which may quote a key.
      reason: redact(breaker.reason ?? null),
      closes_in_s: breaker.halfOpensAt > 0 ? Math.max(0, breaker.halfOpensAt - Date.now()) / 1000 : null,
    },
    quota: deployment.budget === undefined ? null : quotaSummary(await quota.snapshot(deployment.budget)),
  };
}

/** Remaining headroom in each enforced window; the full picture is at `/quota`. */
function quotaSummary(snapshot: BudgetSnapshot): Record<string, unknown> {
  const remaining: Record<string, number> = {};
  for (const [name, window] of Object.entries(snapshot.windows)) {
    if (window.remaining !== null) remaining[name] = Math.round(window.remaining);
  }
  return { budget_id: snapshot.id, remaining, blocked_until: snapshot.blockedUntil > 0 ? new Date(snapshot.blockedUntil).toISOString() : null };
}
