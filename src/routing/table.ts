import type { Catalog } from '../catalog/types.js';
import type { GatewayConfig, RoutingStrategy } from '../config/types.js';
import type { BreakerPolicy, DeploymentBreaker } from '../breaker/breaker.js';
import { budgetSpecs } from './budget-specs.js';
import { createUpstreamClient } from '../upstream/client.js';
import { providers } from '../upstream/providers.js';
import type { FetchLike } from '../upstream/transport.js';
import { numberFromModelInfo, type Deployment, type DeploymentStats } from './deployment.js';

export interface TableOptions {
  readonly fetch: FetchLike;
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
  private readonly chains: ReadonlyMap<string, readonly ModelGroup[]>;
  private readonly contextChains: ReadonlyMap<string, readonly ModelGroup[]>;

  constructor(config: GatewayConfig, catalog: Catalog, options: TableOptions) {
    const { fetch, statsFor, breakerFor } = options;
    const { allowedFails, allowedFailsPolicy, cooldownTimeSec, disableCooldowns } = config.router;
    this.strategy = config.router.routingStrategy;
    const budgets = budgetSpecs(config.deployments, catalog, config.router.groqPlan);
    this.deployments = config.deployments.map((deployment): Deployment => {
      const provider = providers[deployment.provider];
      const model = provider.name === 'groq' ? catalog.get(deployment.model) : undefined;
      const client =
        deployment.unconfiguredReason === undefined && deployment.apiKey !== undefined
          ? createUpstreamClient({ provider, apiKey: deployment.apiKey, apiBase: deployment.apiBase, fetch })
          : undefined;
      const label = `${deployment.litellmModel} (id ${deployment.id})`;
      const breakerPolicy: BreakerPolicy = {
        allowedFails,
        allowedFailsPolicy,
        cooldownMs: (deployment.cooldownTimeSec ?? cooldownTimeSec) * 1000,
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
        label,
        budget: budgets.get(deployment.id),
        stats: statsFor(deployment.id),
        breaker: breakerFor(deployment.id, label, breakerPolicy),
      });
    });

    const groups = new Map<string, ModelGroup>();
    for (const name of new Set(this.deployments.map((d) => d.alias))) {
      const members = this.deployments.filter((d) => d.alias === name);
      const windows = members.map((d) => d.contextWindow).filter((w): w is number => w !== null);
      groups.set(name, Object.freeze({ name, deployments: members, maxContextWindow: windows.length ? Math.max(...windows) : null }));
    }
    this.groups = groups;

    const { fallbacks, contextWindowFallbacks, defaultFallbacks, maxFallbacks } = config.router;
    const chain = (names: readonly string[]): readonly ModelGroup[] => {
      const unique = [...new Set(names)].map((n) => groups.get(n)).filter((g): g is ModelGroup => g !== undefined);
      return Object.freeze(unique.slice(0, 1 + maxFallbacks));
    };
    const chains = new Map<string, readonly ModelGroup[]>();
    const contextChains = new Map<string, readonly ModelGroup[]>();
    for (const name of groups.keys()) {
      const regular = [...(fallbacks[name] ?? []), ...defaultFallbacks];
      chains.set(name, chain([name, ...regular]));
      contextChains.set(name, chain([name, ...(contextWindowFallbacks[name] ?? []), ...regular]));
    }
    this.chains = chains;
    this.contextChains = contextChains;
  }

  /**
   * The groups to try for an alias, in order. A prompt larger than every context window of the alias's own
   * group puts its `context_window_fallbacks` first.
   */
  chainFor(alias: string, promptTokens: number): readonly ModelGroup[] | undefined {
    const group = this.groups.get(alias);
    if (group === undefined) return undefined;
    const overflow = group.maxContextWindow !== null && promptTokens > group.maxContextWindow;
    return overflow ? this.contextChains.get(alias) : this.chains.get(alias);
  }

  /** After an upstream context-length error: the context-window chain from the group after `alias`. */
  contextChainFor(alias: string): readonly ModelGroup[] {
    return this.contextChains.get(alias) ?? [];
  }
}
