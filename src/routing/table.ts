import type { Catalog, ModelMode } from '../catalog/types.js';
import type { DeploymentConfig, GatewayConfig, GroqPlan, RoutingStrategy } from '../config/types.js';
import type { BreakerPolicy, DeploymentBreaker } from '../breaker/breaker.js';
import { budgetSpecs } from '../quota/budget-specs.js';
import { createUpstreamClient } from '../upstream/client.js';
import { providers } from '../upstream/providers.js';
import type { FetchLike } from '../upstream/transport.js';
import { DEFAULT_MAX_PARALLEL_REQUESTS, labelsFor, numberFromModelInfo, pricesFor, type Deployment, type DeploymentStats } from './deployment.js';
import { concreteDeployment, expandFromCatalog, fixedPatterns, isWildcard, wildcardRoutes, type WildcardRoute } from './wildcards.js';

export interface TableOptions {
  readonly fetch: FetchLike;
  /** A deployment's own connection pool (see `Transport.fetchFor`); `fetch` for all when absent. */
  readonly fetchFor?: (deploymentId: string, connections: number) => FetchLike;
  /** Counters for a deployment id; the same object across reloads while the id exists. */
  readonly statsFor: (deploymentId: string) => DeploymentStats;
  /** The breaker for a deployment id, with its current policy; the same object across reloads. */
  readonly breakerFor: (deploymentId: string, label: string, policy: BreakerPolicy) => DeploymentBreaker;
}

export interface ModelGroup {
  readonly name: string;
  /** In config order; `attemptOrder` decides the order per request. */
  readonly deployments: readonly Deployment[];
  /** The largest context window among its deployments; `null` when none is known. */
  readonly maxContextWindow: number | null;
}

/**
 * Aliases resolved to model groups and their fallback chains, computed once per config load so a request
 * pays one map lookup for its whole chain.
 */
export class RoutingTable {
  readonly strategy: RoutingStrategy;
  readonly deployments: readonly Deployment[];
  readonly groups: ReadonlyMap<string, ModelGroup>;
  /** Fallback entries dropped because their models serve another endpoint; said once per load. */
  readonly chainWarnings: readonly string[];
  /** The largest upload any audio deployment takes on the configured plan: the cap on a form read before its alias is known. */
  readonly largestUpload: number;
  private readonly chains: ReadonlyMap<string, readonly ModelGroup[]>;
  private readonly contextChains: ReadonlyMap<string, readonly ModelGroup[]>;

  /** `groq/*`-style routes, most specific first; requested names they match get groups on first use. */
  private readonly wildcards: readonly WildcardRoute[];
  /** `model_name`s with a `*` whose deployments have one fixed model (a group of their own). */
  private readonly fixedPatterns: readonly { readonly pattern: string; readonly regex: RegExp }[];
  /** Groups made on first use for names a wildcard matches outside the catalogue; owned here, bounded. */
  private readonly onDemand = new Map<string, { group: ModelGroup; chain: readonly ModelGroup[]; contextChain: readonly ModelGroup[] }>();
  /** Catalogue models' names that a wildcard route, not an alias of their own, serves. */
  private readonly servedByWildcard: ReadonlySet<string>;
  private readonly makeDeployment: (deployment: DeploymentConfig) => Deployment;
  private readonly chainOf: (name: string, first: ModelGroup) => { chain: readonly ModelGroup[]; contextChain: readonly ModelGroup[] };

  constructor(config: GatewayConfig, catalog: Catalog, options: TableOptions) {
    const { fetch, statsFor, breakerFor } = options;
    const { allowedFails, allowedFailsPolicy, cooldownTimeSec, disableCooldowns } = config.router;
    this.strategy = config.router.routingStrategy;
    this.wildcards = wildcardRoutes(config.deployments);
    this.fixedPatterns = fixedPatterns(config.deployments);
    const concrete = config.deployments.filter((d) => !isWildcard(d.model));
    const fromCatalog = expandFromCatalog(this.wildcards, catalog, new Set(concrete.map((d) => d.modelName)));
    this.servedByWildcard = new Set(fromCatalog.map((d) => d.modelName));
    const expanded = [...concrete, ...fromCatalog];
    const budgets = budgetSpecs(expanded, catalog, config.router.groqPlan);
    const plan = config.router.groqPlan;
    this.makeDeployment = (deployment: DeploymentConfig): Deployment => {
      const provider = providers[deployment.provider];
      const model = provider.name === 'groq' ? catalog.get(deployment.model) : undefined;
      const maxParallelRequests = deployment.maxParallelRequests ?? DEFAULT_MAX_PARALLEL_REQUESTS;
      const client =
        deployment.unconfiguredReason === undefined && deployment.apiKey !== undefined
          ? createUpstreamClient({
              provider,
              apiKey: deployment.apiKey,
              apiBase: deployment.apiBase,
              fetch: options.fetchFor?.(deployment.id, maxParallelRequests) ?? fetch,
            })
          : undefined;
      const label = `${deployment.litellmModel} (id ${deployment.id})`;
      const breakerPolicy: BreakerPolicy = {
        allowedFails,
        allowedFailsPolicy,
        ejectionMs: (deployment.cooldownTimeSec ?? cooldownTimeSec) * 1000,
        disabled: disableCooldowns,
      };
      return Object.freeze({
        id: deployment.id,
        alias: deployment.modelName,
        config: deployment,
        provider,
        catalog: model,
        client,
        contextWindow: numberFromModelInfo(deployment.modelInfo, 'max_input_tokens') ?? model?.contextWindow ?? null,
        maxCompletionTokens:
          numberFromModelInfo(deployment.modelInfo, 'max_output_tokens') ?? model?.maxCompletionTokens ?? null,
        maxParallelRequests,
        label,
        budget: budgets.get(deployment.id) ?? budgetSpecs([deployment], catalog, plan).get(deployment.id),
        stats: statsFor(deployment.id),
        breaker: breakerFor(deployment.id, label, breakerPolicy),
        labels: labelsFor(deployment.id, deployment, provider),
        prices: pricesFor(deployment, model),
      });
    };
    this.deployments = expanded.map(this.makeDeployment);
    this.largestUpload = largestUpload(this.deployments, plan);

    const groups = new Map<string, ModelGroup>();
    for (const name of new Set(this.deployments.map((d) => d.alias))) {
      groups.set(name, makeGroup(name, this.deployments.filter((d) => d.alias === name)));
    }
    this.groups = groups;

    const { fallbacks, contextWindowFallbacks, defaultFallbacks, maxFallbacks } = config.router;
    const sameKind = new ModelKindFilter();
    const target = fallbackTargets(groups, this.deployments);
    const chain = (first: ModelGroup, names: readonly string[]): readonly ModelGroup[] => {
      const out = [first];
      for (const group of [...new Set(names)].map(target)) {
        // A deployment id already covered by a group in the chain adds nothing but a second try of it.
        if (group === undefined || out.includes(group) || group.deployments.every((d) => out.some((g) => g.deployments.includes(d)))) continue;
        out.push(group);
      }
      return Object.freeze(sameKind.keep(out).slice(0, 1 + maxFallbacks));
    };
    // A name a wildcard serves takes the fallbacks written for the wildcard's pattern.
    const own = <T>(map: Readonly<Record<string, T>>, name: string): T | undefined =>
      map[name] ?? map[this.patternOf(name) ?? ''];
    this.chainOf = (name, first) => {
      const regular = [...(own(fallbacks, name) ?? []), ...defaultFallbacks];
      return { chain: chain(first, regular), contextChain: chain(first, [...(own(contextWindowFallbacks, name) ?? []), ...regular]) };
    };
    const chains = new Map<string, readonly ModelGroup[]>();
    const contextChains = new Map<string, readonly ModelGroup[]>();
    for (const [name, group] of groups) {
      const built = this.chainOf(name, group);
      chains.set(name, built.chain);
      contextChains.set(name, built.contextChain);
    }
    this.chainWarnings = sameKind.warnings;
    this.chains = chains;
    this.contextChains = contextChains;
  }

  /**
   * The group serving a requested name: its own alias first, else the most specific wildcard that matches
   * (as in LiteLLM). A name a `groq/*` route matches outside the catalogue gets a group on first use, with
   * only the limits written in the entry (and Groq's headers) to go by.
   */
  group(name: string): ModelGroup | undefined {
    const exact = this.groups.get(name) ?? this.onDemand.get(name)?.group;
    if (exact !== undefined) return exact;
    const fixed = this.fixedPatterns.find((p) => p.regex.test(name));
    const route = this.wildcards.find((r) => r.regex.test(name));
    if (fixed !== undefined && (route === undefined || fixed.pattern.replaceAll('*', '').length >= route.literalLength)) {
      return this.groups.get(fixed.pattern);
    }
    if (route === undefined || this.onDemand.size >= MAX_ON_DEMAND_GROUPS) return undefined;
    const members = route.templates.flatMap((t) => {
      const concrete = concreteDeployment(t, name);
      return concrete === undefined ? [] : [this.makeDeployment(concrete)];
    });
    const group = makeGroup(name, members);
    this.onDemand.set(name, { group, ...this.chainOf(name, group) });
    return group;
  }

  /** The wildcard `model_name` a requested name is served under, when it is not an alias of its own. */
  patternOf(name: string): string | undefined {
    if (this.groups.has(name) && !this.servedByWildcard.has(name)) return undefined;
    return (this.wildcards.find((r) => r.regex.test(name)) ?? this.fixedPatterns.find((p) => p.regex.test(name)))?.pattern;
  }

  /**
   * The groups to try for an alias, in order. A prompt larger than every context window of the alias's own
   * group puts its `context_window_fallbacks` first.
   */
  chainFor(alias: string, promptTokens: number): readonly ModelGroup[] | undefined {
    const group = this.group(alias);
    if (group === undefined) return undefined;
    const overflow = group.maxContextWindow !== null && promptTokens > group.maxContextWindow;
    const name = group.name;
    const lazy = this.onDemand.get(name);
    return overflow ? (this.contextChains.get(name) ?? lazy?.contextChain) : (this.chains.get(name) ?? lazy?.chain);
  }

  /** After an upstream context-length error: the context-window chain from the group after `alias`. */
  contextChainFor(alias: string): readonly ModelGroup[] {
    const name = this.group(alias)?.name ?? alias;
    return this.contextChains.get(name) ?? this.onDemand.get(name)?.contextChain ?? [];
  }
}

/**
 * Distinct names outside the catalogue a wildcard will make groups for; past it such names are unknown
 * models (404), so callers cannot grow the table without bound.
 */
const MAX_ON_DEMAND_GROUPS = 256;

function makeGroup(name: string, members: readonly Deployment[]): ModelGroup {
  const windows = members.map((d) => d.contextWindow).filter((w): w is number => w !== null);
  return Object.freeze({ name, deployments: members, maxContextWindow: windows.length ? Math.max(...windows) : null });
}

/**
 * What a fallback entry names: a model group, or (as LiteLLM allows) one deployment's `model_info.id`,
 * which falls back to exactly that deployment, as a group of one under its alias.
 */
function fallbackTargets(groups: ReadonlyMap<string, ModelGroup>, deployments: readonly Deployment[]): (name: string) => ModelGroup | undefined {
  const single = new Map<string, ModelGroup>();
  for (const d of deployments) if (!groups.has(d.id)) single.set(d.id, makeGroup(d.alias, [d]));
  return (name) => groups.get(name) ?? single.get(name);
}

const ENDPOINT_OF_MODE: Readonly<Record<ModelMode, string>> = {
  chat: '/chat/completions',
  moderation: '/chat/completions',
  audio_transcription: '/audio/transcriptions',
  audio_speech: '/audio/speech',
};

/** The model type a group serves, when the catalogue knows all its deployments and they agree. */
function modeOf(group: ModelGroup): ModelMode | undefined {
  const modes = new Set(group.deployments.map((d) => d.catalog?.mode));
  if (modes.size !== 1) return undefined;
  return [...modes][0];
}

/**
 * Keeps a chain to groups that serve the same endpoint as its first (an audio alias never falls back to a
 * chat model: the caller would get that model's 400 instead of the real failure). Groups the catalogue
 * does not know are given the benefit of the doubt. Each dropped entry is noted once per alias.
 */
class ModelKindFilter {
  readonly warnings: string[] = [];
  private readonly warned = new Set<string>();

  keep(chain: readonly ModelGroup[]): ModelGroup[] {
    const [head, ...rest] = chain;
    if (head === undefined) return [];
    const mode = modeOf(head);
    if (mode === undefined) return [...chain];
    const kept = [head];
    for (const group of rest) {
      const other = modeOf(group);
      if (other === undefined || ENDPOINT_OF_MODE[other] === ENDPOINT_OF_MODE[mode]) {
        kept.push(group);
        continue;
      }
      const key = `${head.name}\u0000${group.name}`;
      if (this.warned.has(key)) continue;
      this.warned.add(key);
      this.warnings.push(
        `${head.name}: fallback ${JSON.stringify(group.name)} is a ${other.replace('_', ' ')} model and cannot serve ${ENDPOINT_OF_MODE[mode]}; left out of ${head.name}'s chain`,
      );
    }
    return kept;
  }
}

/** When no deployment documents an upload limit: Groq's largest (Groq's API reference (speech to text), developer plan). */
const LARGEST_DOCUMENTED_UPLOAD = 100 * 1024 * 1024;

function largestUpload(deployments: readonly Deployment[], plan: GroqPlan): number {
  const limits = deployments.flatMap((d) => (d.catalog?.mode === 'audio_transcription' ? [d.catalog.maxFileBytes[plan] ?? LARGEST_DOCUMENTED_UPLOAD] : []));
  return limits.length === 0 ? LARGEST_DOCUMENTED_UPLOAD : Math.max(...limits);
}
