import type { Catalog } from '../catalog/types.js';
import type { DeploymentConfig } from '../config/types.js';

/**
 * LiteLLM's wildcard routing. A `model_name` with `*` (`groq/*`, `gpt-*`) matches any requested name of
 * that shape. When `litellm_params.model` has a `*` too, each `*` is filled from what the alias's `*`s
 * matched, in order (`groq/*` → `groq/*` sends `groq/qwen/qwen3-32b` as `qwen/qwen3-32b`); without one,
 * every match goes to that one model.
 */
export interface WildcardRoute {
  /** The `model_name` as written, e.g. `groq/*`. */
  readonly pattern: string;
  readonly regex: RegExp;
  /** Characters outside the `*`s: LiteLLM tries the most specific pattern first. */
  readonly literalLength: number;
  /** Deployments whose model carries a `*`: concrete ones are made per requested name. */
  readonly templates: readonly DeploymentConfig[];
}

export function isWildcard(name: string): boolean {
  return name.includes('*');
}

function patternRegex(pattern: string): RegExp {
  const parts = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('(.+)')}$`);
}

/** Routes for `model_name`s with a `*` whose models carry one too, most specific first. */
export function wildcardRoutes(deployments: readonly DeploymentConfig[]): WildcardRoute[] {
  const byPattern = new Map<string, DeploymentConfig[]>();
  for (const d of deployments) {
    if (!isWildcard(d.modelName) || !isWildcard(d.model)) continue;
    byPattern.set(d.modelName, [...(byPattern.get(d.modelName) ?? []), d]);
  }
  return [...byPattern]
    .map(([pattern, templates]) => ({ pattern, regex: patternRegex(pattern), literalLength: pattern.replaceAll('*', '').length, templates }))
    .sort((a, b) => b.literalLength - a.literalLength);
}

/** Patterns whose deployments have a fixed model: every matching name is served by that group as is. */
export function fixedPatterns(deployments: readonly DeploymentConfig[]): { pattern: string; regex: RegExp; literalLength: number }[] {
  const patterns = new Set(deployments.filter((d) => isWildcard(d.modelName) && !isWildcard(d.model)).map((d) => d.modelName));
  return [...patterns]
    .map((pattern) => ({ pattern, regex: patternRegex(pattern), literalLength: pattern.replaceAll('*', '').length }))
    .sort((a, b) => b.literalLength - a.literalLength);
}

/** The deployment a template becomes for one requested alias; `undefined` when the alias does not match. */
export function concreteDeployment(template: DeploymentConfig, alias: string): DeploymentConfig | undefined {
  const match = patternRegex(template.modelName).exec(alias);
  if (match === null) return undefined;
  const captures = match.slice(1);
  let i = 0;
  const model = template.model.replace(/\*/g, () => captures[Math.min(i++, captures.length - 1)] ?? '');
  const litellmModel = `${template.provider}/${model}`;
  return {
    ...template,
    id: `${template.id}:${model}`,
    modelName: alias,
    model,
    litellmModel,
    publicParams: { ...template.publicParams, model: litellmModel },
  };
}

/**
 * The catalogue's models as concrete deployments under each `groq/*`-style route, so `/models` lists
 * them and each gets its documented budget from the start. Names that an explicit `model_name` already
 * has stay with it: the more specific alias wins, as in LiteLLM.
 */
export function expandFromCatalog(routes: readonly WildcardRoute[], catalog: Catalog, explicit: ReadonlySet<string>): DeploymentConfig[] {
  const out: DeploymentConfig[] = [];
  // Names taken by an explicit alias or a more specific route; a route's own templates share its names.
  const claimed = new Set(explicit);
  for (const route of routes) {
    const start = out.length;
    for (const template of route.templates) {
      // Only a template whose model is just "*" maps catalogue ids back to names one to one.
      if (template.provider !== 'groq' || template.model !== '*' || route.pattern.split('*').length !== 2) continue;
      for (const id of catalog.models.keys()) {
        const alias = route.pattern.replace('*', id);
        if (claimed.has(alias)) continue;
        const concrete = concreteDeployment(template, alias);
        if (concrete !== undefined) out.push(concrete);
      }
    }
    for (const d of out.slice(start)) claimed.add(d.modelName);
  }
  return out;
}
