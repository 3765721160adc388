import { Hono } from 'hono';
import { GatewayError } from '../../errors.js';
import type { Gateway } from '../../gateway.js';
import type { ModelGroup } from '../../routing/table.js';
import { modelInfo } from './model-info.js';
import { mayUseName } from '../shared/name-access.js';
import { aggregateListing, wantsUpstream } from './upstream-listing.js';

/** Model discovery: OpenAI's `/models`, LiteLLM's `/model/info` and `/model_group/info`. */
export function modelRoutes(gateway: Pick<Gateway, 'current' | 'accounts'>): Hono {
  const routes = new Hono();
  // One timestamp per process: OpenAI's list carries `created`, and aliases have no real creation date.
  const created = Math.floor(Date.now() / 1000);

  routes.get('/models', async function listModels(c) {
    const state = gateway.current;
    // With upstream models (`?include_upstream=true` or `check_provider_endpoint`), each account's own list too.
    if (wantsUpstream(c, state, c.var.principal)) return c.json(await aggregateListing(state, gateway.accounts, c.var.principal, created));
    const data = [...state.table.groups.keys()]
      .filter((id) => mayUseName(c.var.principal, state.table, id))
      .map((id) => ({ id, object: 'model', created, owned_by: 'groq-router' }));
    return c.json({ object: 'list', data });
  });

  // OpenAI's models.retrieve; aliases may contain slashes (`groq/openai/gpt-oss-120b`).
  routes.get('/models/:id{.+}', function retrieveModel(c) {
    const id = c.req.param('id');
    if (!gateway.current.table.groups.has(id) || !mayUseName(c.var.principal, gateway.current.table, id)) {
      throw new GatewayError(404, `The model '${id}' does not exist`, { code: 'model_not_found', param: 'model' });
    }
    return c.json({ id, object: 'model', created, owned_by: 'groq-router' });
  });

  routes.get('/model/info', function listModelInfo(c) {
    const data = gateway.current.table.deployments.filter((d) => mayUseName(c.var.principal, gateway.current.table, d.alias)).map((deployment) => ({
      model_name: deployment.alias,
      litellm_params: deployment.config.publicParams,
      model_info: modelInfo(deployment),
    }));
    return c.json({ data });
  });

  routes.get('/model_group/info', function listModelGroups(c) {
    return c.json({ data: [...gateway.current.table.groups.values()].filter((g) => mayUseName(c.var.principal, gateway.current.table, g.name)).map(groupInfo) });
  });

  return routes;
}

function groupInfo(group: ModelGroup): Record<string, unknown> {
  const infos = group.deployments.map(modelInfo);
  const least = (key: string) => minOf(infos.map((info) => info[key]));
  return {
    model_group: group.name,
    providers: [...new Set(group.deployments.map((d) => d.provider.name))],
    // A group promises what every member can do: the smallest window and cap, the cheapest price.
    max_input_tokens: least('max_input_tokens'),
    max_output_tokens: least('max_output_tokens'),
    input_cost_per_token: least('input_cost_per_token'),
    output_cost_per_token: least('output_cost_per_token'),
    mode: infos[0]?.mode ?? 'chat',
    supports_vision: infos.every((info) => info.supports_vision === true),
    supports_function_calling: infos.every((info) => info.supports_function_calling === true),
    configured_deployments: group.deployments.filter((d) => d.client !== undefined).length,
  };
}

function minOf(values: unknown[]): number | null {
  const numbers = values.filter((v): v is number => typeof v === 'number');
  return numbers.length > 0 ? Math.min(...numbers) : null;
}
