import type { DeploymentBreaker } from '../breaker/breaker.js';
import type { CatalogModel } from '../catalog/types.js';
import { publicApiBase } from '../config/secrets.js';
import type { DeploymentConfig } from '../config/types.js';
import type { BudgetSpec } from '../quota/types.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { ProviderSpec } from '../upstream/providers.js';

/** A configured deployment joined with what the router needs at request time, built once at load. */
export interface Deployment {
  readonly id: string;
  readonly alias: string;
  readonly config: DeploymentConfig;
  readonly provider: ProviderSpec;
  readonly catalog: CatalogModel | undefined;
  /** `undefined` when the deployment cannot serve; `config.unconfiguredReason` says why. */
  readonly client: UpstreamClient | undefined;
  /** Prompt tokens it accepts: `model_info.max_input_tokens`, else the catalogue's context window. */
  readonly contextWindow: number | null;
  /** `model_info.max_output_tokens`, else the catalogue's documented completion cap. */
  readonly maxCompletionTokens: number | null;
  /** `litellm_params.max_parallel_requests`, else a default: upstream requests (streams included) at once, and its pool's sockets. */
  readonly maxParallelRequests: number;
  /** How messages name it: `groq/llama-3.3-70b-versatile (id 1a2b3c)`. Never contains a secret. */
  readonly label: string;
  /** The (API key, model) budget it spends; `undefined` when unconfigured. */
  readonly budget: BudgetSpec | undefined;
  /** Live counters, kept across config reloads for a deployment that stays. */
  readonly stats: DeploymentStats;
  /** Its circuit breaker, likewise kept across reloads. */
  readonly breaker: DeploymentBreaker;
  /** How metrics name it, ours and LiteLLM's; worked out when the table is built. Never a secret. */
  readonly labels: DeploymentLabels;
  /** USD per token, from `model_info` when the config prices the deployment, else the catalogue. */
  readonly prices: { readonly input: number; readonly output: number };
}

export interface DeploymentLabels {
  readonly ours: { readonly model_group: string; readonly model_id: string; readonly model: string };
  readonly litellm: { readonly litellm_model_name: string; readonly model_id: string; readonly api_base: string; readonly api_provider: string };
}

/** Where groq-sdk sends when a deployment names no api_base. */
const GROQ_DEFAULT_BASE = 'https://api.groq.com/openai/v1';

export function labelsFor(id: string, config: DeploymentConfig, provider: ProviderSpec): DeploymentLabels {
  const publicBase = config.publicParams.api_base;
  return {
    ours: { model_group: config.modelName, model_id: id, model: config.model },
    litellm: {
      litellm_model_name: config.litellmModel,
      model_id: id,
      // The public form: credentials in an api_base URL are masked there.
      api_base: typeof publicBase === 'string' ? publicBase : provider.name === 'groq' ? publicApiBase(process.env.GROQ_BASE_URL ?? GROQ_DEFAULT_BASE) : '',
      api_provider: provider.name,
    },
  };
}

export function pricesFor(config: DeploymentConfig, catalog: CatalogModel | undefined): Deployment['prices'] {
  const price = (key: 'input_cost_per_token' | 'output_cost_per_token', fallback: number | null | undefined): number => {
    const configured = config.modelInfo[key];
    return typeof configured === 'number' && Number.isFinite(configured) && configured >= 0 ? configured : (fallback ?? 0);
  };
  return { input: price('input_cost_per_token', catalog?.inputCostPerToken), output: price('output_cost_per_token', catalog?.outputCostPerToken) };
}

/** Per-deployment traffic figures that routing strategies read; updated in O(1) per request. */
export interface DeploymentStats {
  inFlight: number;
  /** Exponentially weighted mean of time to first byte (streams) or to the whole answer, ms. */
  latencyEwmaMs: number | undefined;
}

const LATENCY_WEIGHT = 0.2;

/** Concurrent upstream requests per deployment when `max_parallel_requests` is not set. */
export const DEFAULT_MAX_PARALLEL_REQUESTS = 100;

export function recordLatency(stats: DeploymentStats, ms: number): void {
  stats.latencyEwmaMs = stats.latencyEwmaMs === undefined ? ms : stats.latencyEwmaMs + LATENCY_WEIGHT * (ms - stats.latencyEwmaMs);
}

export function numberFromModelInfo(info: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = info[key];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
