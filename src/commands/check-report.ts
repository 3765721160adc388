import { DeploymentBreaker, type BreakerPolicy } from '../breaker/breaker.js';
import type { Catalog } from '../catalog/types.js';
import { formatWarning } from '../config/errors.js';
import type { DeploymentConfig, GatewayConfig, GroqPlan } from '../config/types.js';
import type { WindowLimit, WindowName } from '../quota/types.js';
import { budgetSpecs } from '../quota/budget-specs.js';
import type { Deployment } from '../routing/deployment.js';
import { RoutingTable, type TableOptions } from '../routing/table.js';
import type { FetchLike } from '../upstream/transport.js';

/** What `groq-router check` found, as printed by `--json`. Never holds a key, only key previews. */
export interface CheckReport {
  readonly valid: true;
  readonly file: string;
  readonly routing: {
    readonly strategy: string;
    readonly groqPlan: GroqPlan;
    readonly maxFallbacks: number;
  };
  readonly auth: {
    readonly masterKey: boolean;
    readonly clientKeys: readonly { readonly alias: string; readonly preview: string; readonly models: readonly string[] }[];
    readonly corsAllowOrigins: readonly string[];
  };
  readonly warnings: readonly CheckWarning[];
  /** In `model_list` order. */
  readonly aliases: readonly AliasReport[];
}

export interface CheckWarning {
  readonly path: string;
  readonly message: string;
  readonly line: number | null;
  readonly column: number | null;
  /** `file:line:col: path: message`, as printed. */
  readonly text: string;
}

export interface AliasReport {
  readonly alias: string;
  /** The largest context window of the alias's own deployments; `null` when none is known. */
  readonly contextWindow: number | null;
  /** Groups a request tries, in order: the alias, `fallbacks[alias]`, `default_fallbacks`, capped. */
  readonly chain: readonly string[];
  /** The chain for a prompt larger than `contextWindow`: `context_window_fallbacks[alias]` come first. */
  readonly contextWindowChain: readonly string[];
  readonly deployments: readonly DeploymentReport[];
}

export interface DeploymentReport {
  readonly id: string;
  /** `litellm_params.model` as written. */
  readonly model: string;
  readonly order: number | null;
  readonly weight: number | null;
  readonly configured: boolean;
  readonly unconfiguredReason: string | null;
  /** `gsk_...9f3a` of the key it spends; `null` when unconfigured. */
  readonly keyPreview: string | null;
  /** The budget id `/quota` shows; `null` when unconfigured. */
  readonly budgetId: string | null;
  /**
   * Limit and source per window. For an unconfigured deployment these are the limits it will run under
   * once its key is set (see `prospectiveLimits`).
   */
  readonly limits: Readonly<Record<WindowName, WindowLimit>>;
}

const noFetch: FetchLike = () => Promise.reject(new Error('groq-router check makes no upstream calls'));

/**
 * The routing table the gateway would build, so `check` shows the gateway's own chains and budgets
 * rather than a second reading of the config. Building one makes no network calls; the breakers it
 * creates are shut down by the caller through `dispose`.
 */
function inertTable(config: GatewayConfig, catalog: Catalog): { table: RoutingTable; dispose: () => void } {
  const breakers: DeploymentBreaker[] = [];
  const options: TableOptions = {
    fetch: noFetch,
    statsFor: () => ({ inFlight: 0, latencyEwmaMs: undefined }),
    breakerFor: (_id: string, label: string, policy: BreakerPolicy) => {
      const breaker = new DeploymentBreaker(label, policy, () => {});
      breakers.push(breaker);
      return breaker;
    },
  };
  return { table: new RoutingTable(config, catalog, options), dispose: () => breakers.forEach((b) => b.shutdown()) };
}

/**
 * `budgetSpecs` gives an unconfigured deployment no budget. To still show what it will be held to, each
 * gets a stand-in key named after why it is unconfigured, so deployments waiting on the same variable
 * share a budget (and its tightest limit) as they will once the variable is set.
 */
function prospectiveLimits(deployments: readonly DeploymentConfig[], catalog: Catalog, plan: GroqPlan) {
  const standIns = deployments.map((d) => ({ ...d, apiKey: `unconfigured:${d.unconfiguredReason ?? ''}`, unconfiguredReason: undefined }));
  return budgetSpecs(standIns, catalog, plan);
}

export function buildCheckReport(config: GatewayConfig, catalog: Catalog, displayFile: string = config.file): CheckReport {
  const { table, dispose } = inertTable(config, catalog);
  try {
    const unconfigured = table.deployments.filter((d) => d.budget === undefined).map((d) => d.config);
    const prospective = prospectiveLimits(unconfigured, catalog, config.router.groqPlan);
    const deploymentReport = (d: Deployment): DeploymentReport => {
      const limits = d.budget?.limits ?? prospective.get(d.id)?.limits;
      if (limits === undefined) throw new Error(`no limits computed for deployment ${d.id}`);
      return {
        id: d.id,
        model: d.config.litellmModel,
        order: d.config.order ?? null,
        weight: d.config.weight ?? null,
        configured: d.budget !== undefined,
        unconfiguredReason: d.config.unconfiguredReason ?? (d.budget === undefined ? 'no API key' : null),
        keyPreview: d.budget?.keyPreview ?? null,
        budgetId: d.budget?.id ?? null,
        limits,
      };
    };
    const names = (groups: readonly { readonly name: string }[] | undefined) => (groups ?? []).map((g) => g.name);
    const aliases = [...table.groups.values()].map(
      (group): AliasReport => ({
        alias: group.name,
        contextWindow: group.maxContextWindow,
        // A 0-token prompt never overflows, so this is the regular chain.
        chain: names(table.chainFor(group.name, 0)),
        contextWindowChain: names(table.contextChainFor(group.name)),
        deployments: group.deployments.map(deploymentReport),
      }),
    );
    const { general, router } = config;
    return {
      valid: true,
      file: config.file,
      routing: { strategy: router.routingStrategy, groqPlan: router.groqPlan, maxFallbacks: router.maxFallbacks },
      auth: {
        masterKey: general.masterKey !== undefined,
        clientKeys: general.clientKeys.map(({ alias, preview, models }) => ({ alias, preview, models })),
        corsAllowOrigins: general.corsAllowOrigins,
      },
      warnings: config.warnings.map((w) => ({
        path: w.path,
        message: w.message,
        line: w.line ?? null,
        column: w.column ?? null,
        text: formatWarning(displayFile, w),
      })),
      aliases,
    };
  } finally {
    dispose();
  }
}
