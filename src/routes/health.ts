import { Hono, type Context } from 'hono';
import type { Gateway } from '../gateway.js';
import type { Deployment } from '../routing/deployment.js';

/** Probes for orchestrators (`/health/liveliness`, `/health/readiness`) and per-deployment status. */
export function healthRoutes(gateway: Gateway, version: string): Hono {
  const routes = new Hono();

  const alive = function liveliness(c: Context) {
    return c.json("I'm alive!");
  };
  routes.get('/health/liveliness', alive);
  routes.get('/health/liveness', alive);

  routes.get('/health/readiness', function readiness(c) {
    const { table, loadedAt } = gateway.current;
    const configured = table.deployments.filter((d) => d.client !== undefined).length;
    const ready = configured > 0;
    return c.json(
      {
        status: ready ? 'healthy' : 'unhealthy',
        reason: ready ? undefined : 'no deployment is configured (check the API key variables named in the startup warnings)',
        litellm_version: version,
        config_loaded_at: loadedAt.toISOString(),
        deployments: { configured, unconfigured: table.deployments.length - configured },
      },
      ready ? 200 : 503,
    );
  });

  routes.get('/health', function health(c) {
    const { table } = gateway.current;
    const healthy = table.deployments.filter((d) => d.client !== undefined).map(endpoint);
    const unhealthy = table.deployments
      .filter((d) => d.client === undefined)
      .map((d) => ({ ...endpoint(d), error: d.config.unconfiguredReason ?? 'not configured' }));
    return c.json({
      healthy_endpoints: healthy,
      unhealthy_endpoints: unhealthy,
      healthy_count: healthy.length,
      unhealthy_count: unhealthy.length,
    });
  });

  return routes;
}

function endpoint(deployment: Deployment): Record<string, unknown> {
  return {
    model: deployment.config.litellmModel,
    model_name: deployment.alias,
    model_id: deployment.id,
    api_base: deployment.config.apiBase ?? null,
    state: deployment.client === undefined ? 'unconfigured' : 'closed',
  };
}
