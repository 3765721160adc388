import { Hono, type Context } from 'hono';
import type { Gateway } from '../gateway.js';
import type { BudgetSnapshot, QuotaStore } from '../quota/types.js';
import { isDegraded } from '../metrics/state-collector.js';
import type { ReloadStatus } from '../reload/config-reloader.js';
import type { Deployment } from '../routing/deployment.js';

/** Probes for orchestrators (`/health/liveliness`, `/health/readiness`) and per-deployment status. */
export function healthRoutes(gateway: Gateway, version: string, reloadStatus: () => ReloadStatus | undefined = () => undefined): Hono {
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
    const ready = configured > 0;
    const failure = reloadStatus()?.lastFailure;
    return c.json(
      {
        status: ready ? 'healthy' : 'unhealthy',
        reason: ready ? undefined : 'no deployment is configured (check the API key variables named in the startup warnings)',
        litellm_version: version,
        config_loaded_at: loadedAt.toISOString(),
        // A failed reload leaves the previous config serving: ready, but the operator must know.
        last_reload:
          failure === undefined
            ? { ok: true }
            : { ok: false, at: failure.at.toISOString(), trigger: failure.trigger, error: failure.error, serving_config_loaded_at: loadedAt.toISOString() },
        deployments: { configured, unconfigured: table.deployments.length - configured },
        // Shared budgets: while Redis is unreachable this instance serves on its local share of each.
        budgets: 'degraded' in gateway.quota ? { store: 'redis', degraded: isDegraded(gateway.quota) } : { store: 'memory' },
      },
      ready ? 200 : 503,
    );
  });

  routes.get('/health', async function health(c) {
    const { table } = gateway.current;
    const entries = await Promise.all(table.deployments.map(async (deployment) => ({ deployment, view: await endpoint(deployment, gateway.quota) })));
    const healthy = entries.filter((e) => problemOf(e.deployment) === undefined).map((e) => e.view);
    const unhealthy = entries.flatMap((e) => {
      const error = problemOf(e.deployment);
      return error === undefined ? [] : [{ ...e.view, error }];
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

/** Why a deployment cannot serve now, or `undefined` when it can. */
function problemOf(deployment: Deployment): string | undefined {
  if (deployment.client === undefined) return deployment.config.unconfiguredReason ?? 'not configured';
  if (deployment.breaker.state !== 'open') return undefined;
  return `cooling down: ${deployment.breaker.status().reason ?? 'failures'}`;
}

async function endpoint(deployment: Deployment, quota: QuotaStore): Promise<Record<string, unknown>> {
  const breaker = deployment.breaker.status();
  return {
    model: deployment.config.litellmModel,
    model_name: deployment.alias,
    model_id: deployment.id,
    api_base: deployment.config.apiBase ?? null,
    state: deployment.client === undefined ? 'unconfigured' : breaker.state,
    breaker: {
      state: breaker.state,
      reason: breaker.reason ?? null,
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
