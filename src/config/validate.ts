import { readDeployments } from './deployments.js';
import { envLookup, isPlainObject, resolveEnvRefs } from './env.js';
import { readSection } from './fields.js';
import { readGeneralSettings } from './general.js';
import type { Issues } from './issues.js';
import { describe } from './kinds.js';
import { readRouterSettings } from './router.js';
import type { GatewayConfig } from './types.js';

const TOP_LEVEL = ['model_list', 'router_settings', 'litellm_settings', 'general_settings', 'environment_variables'];

export type ValidatedConfig = Pick<GatewayConfig, 'deployments' | 'router' | 'general'>;

/**
 * Turns the plain value of a YAML document into the gateway's config. Problems go to `issues`; the
 * result is only meaningful when no error was recorded.
 */
export function validateConfig(raw: unknown, env: NodeJS.ProcessEnv, issues: Issues): ValidatedConfig {
  let top: Readonly<Record<string, unknown>> = {};
  if (isPlainObject(raw)) {
    top = raw;
  } else if (raw !== null && raw !== undefined) {
    issues.error([], `expected a map with model_list at the top level, got ${describe(raw)}`, 'a map');
  }
  for (const key of Object.keys(top)) {
    if (!TOP_LEVEL.includes(key)) issues.warn([key], 'not supported, ignored');
  }

  const lookup = envLookup(env, readEnvironmentVariables(top['environment_variables'], issues));
  const { environment_variables: _vars, ...rest } = top;
  const resolved = resolveEnvRefs(rest, lookup) as Record<string, unknown>;

  const { deployments, aliases, excludedAliases } = readDeployments(resolved['model_list'], issues, lookup);
  const litellm = readSection(resolved['litellm_settings'], ['litellm_settings'], issues) ?? {};
  const router = readSection(resolved['router_settings'], ['router_settings'], issues) ?? {};
  const general = readSection(resolved['general_settings'], ['general_settings'], issues) ?? {};
  return {
    deployments,
    router: readRouterSettings(litellm, router, { aliases, excludedAliases, deploymentIds: new Set(deployments.map((d) => d.id)) }, issues),
    general: readGeneralSettings(general, litellm, issues, lookup, { aliases, excludedAliases }),
  };
}

/** Taken literally: they are the values `os.environ/` references see, not references themselves. */
function readEnvironmentVariables(value: unknown, issues: Issues): Record<string, string> {
  const vars: Record<string, string> = {};
  const section = readSection(value, ['environment_variables'], issues);
  for (const [name, item] of Object.entries(section ?? {})) {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
      vars[name] = String(item);
    } else {
      const expected = 'a string or number';
      issues.error(['environment_variables', name], `expected ${expected}, got ${describe(item)}`, expected);
    }
  }
  return vars;
}
