import type { DeploymentBreaker } from '../breaker/breaker.js';
import type { CatalogModel } from '../catalog/types.js';
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
