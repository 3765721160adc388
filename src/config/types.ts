/**
 * The gateway's view of a LiteLLM-format config file, after `os.environ/` resolution and validation.
 * Every object is frozen once loaded: the hot path reads it, nothing writes it.
 */

export type ProviderName = 'groq' | 'openai';

export type RoutingStrategy =
  | 'simple-shuffle'
  | 'least-busy'
  | 'usage-based-routing-v2'
  | 'latency-based-routing';

export type GroqPlan = 'free' | 'developer';

/**
 * `completion_cap`: `adaptive` sends a completion cap learned from the alias's recent answers when the
 * client asks for more (so Groq books what answers need, not 8,192 tokens each); `requested` sends the
 * client's cap, lowered only to the model's maximum, its context window and its TPM.
 */
export type CompletionCapPolicy = 'adaptive' | 'requested';

/** Limits a deployment may spend. `undefined` means "not set here": the catalogue's documented limit applies. */
export interface DeploymentLimits {
  readonly rpm?: number | null;
  readonly rpd?: number | null;
  readonly tpm?: number | null;
  readonly tpd?: number | null;
  readonly ash?: number | null;
  readonly asd?: number | null;
}

export interface DeploymentConfig {
  /** `model_info.id`, else a stable hash of the non-secret `litellm_params`. */
  readonly id: string;
  /** Index in `model_list`, for messages. */
  readonly index: number;
  /** The alias clients send (`model_name`). */
  readonly modelName: string;
  readonly provider: ProviderName;
  /** Upstream model id without the provider prefix, e.g. `llama-3.3-70b-versatile`. */
  readonly model: string;
  /** As written in `litellm_params.model`, e.g. `groq/llama-3.3-70b-versatile`. */
  readonly litellmModel: string;
  /** Resolved API key; `undefined` when the deployment is unconfigured. Never log or return it. */
  readonly apiKey: string | undefined;
  readonly apiBase: string | undefined;
  readonly limits: DeploymentLimits;
  readonly timeoutMs: number | undefined;
  readonly streamTimeoutMs: number | undefined;
  readonly order: number | undefined;
  readonly weight: number | undefined;
  readonly cooldownTimeSec: number | undefined;
  readonly maxParallelRequests: number | undefined;
  /** `litellm_params.completion_cap`; `undefined` follows `router_settings.completion_cap`. */
  readonly completionCap: CompletionCapPolicy | undefined;
  /** `model_info` as written (without secrets), merged later with the catalogue. */
  readonly modelInfo: Readonly<Record<string, unknown>>;
  /** `litellm_params` with secrets removed, for `/model/info`. */
  readonly publicParams: Readonly<Record<string, unknown>>;
  /** Why the deployment cannot serve (e.g. its API key variable is unset); `undefined` when usable. */
  readonly unconfiguredReason: string | undefined;
}

export interface RetryPolicy {
  readonly RateLimitErrorRetries?: number;
  readonly InternalServerErrorRetries?: number;
  readonly TimeoutErrorRetries?: number;
  readonly BadRequestErrorRetries?: number;
  readonly AuthenticationErrorRetries?: number;
  readonly ContentPolicyViolationErrorRetries?: number;
}

export interface AllowedFailsPolicy {
  readonly RateLimitErrorAllowedFails?: number;
  readonly InternalServerErrorAllowedFails?: number;
  readonly TimeoutErrorAllowedFails?: number;
  readonly BadRequestErrorAllowedFails?: number;
  readonly AuthenticationErrorAllowedFails?: number;
  readonly ContentPolicyViolationErrorAllowedFails?: number;
}

export interface RedisSettings {
  readonly url?: string;
  readonly host?: string;
  readonly port?: number;
  readonly password?: string;
  /** Redis 6 ACL user (`redis_username`). */
  readonly username?: string;
}

/** `router_settings` merged with the overlapping `litellm_settings` (router_settings wins). */
export interface RouterSettings {
  readonly routingStrategy: RoutingStrategy;
  readonly numRetries: number;
  readonly retryPolicy: RetryPolicy;
  readonly allowedFails: number;
  readonly allowedFailsPolicy: AllowedFailsPolicy;
  readonly cooldownTimeSec: number;
  readonly disableCooldowns: boolean;
  /** Whole-request deadline (`timeout` / `request_timeout`). */
  readonly timeoutMs: number;
  /** Time-to-first-byte limit for streams. */
  readonly streamTimeoutMs: number | undefined;
  readonly maxFallbacks: number;
  readonly fallbacks: Readonly<Record<string, readonly string[]>>;
  readonly contextWindowFallbacks: Readonly<Record<string, readonly string[]>>;
  readonly contentPolicyFallbacks: Readonly<Record<string, readonly string[]>>;
  readonly defaultFallbacks: readonly string[];
  readonly dropParams: boolean;
  readonly groqPlan: GroqPlan;
  readonly maxQueueWaitSec: number;
  /** `completion_cap` (default `adaptive`). */
  readonly completionCap: CompletionCapPolicy;
  readonly redis: RedisSettings | undefined;
  /**
   * `router_settings.gateway_instances`: gateways sharing the Redis. While Redis is unreachable each
   * instance spends at most 1/N of every budget on its own.
   */
  readonly gatewayInstances: number;
  /**
   * `litellm_settings.check_provider_endpoint`: `GET /models` also lists the models each upstream key
   * sees (`models.list()`), for the master key. Off by default; `?include_upstream=true` asks per request.
   */
  readonly checkProviderEndpoint: boolean;
  /** `upstream_models_cache_ttl`: seconds a key's upstream model list is reused (default 300; 0 asks every time). */
  readonly upstreamModelsCacheTtlSec: number;
  /** `upstream_models_timeout`: seconds `GET /models` waits for a key's list before answering without it (default 5). */
  readonly upstreamModelsTimeoutSec: number;
  /** `router_settings.max_response_size_mb` in bytes: the largest non-streamed upstream answer read (default 32 MB). */
  readonly maxResponseBytes: number;
}

/** A key for one client (a person, a machine), kept in the config only as a hash. */
export interface ClientKey {
  readonly alias: string;
  /** `sha256:<64 hex>` of the key; the key itself is never stored. */
  readonly keyHash: string;
  /** `sk-...9f3a`: shown in logs and listings instead of the key. */
  readonly preview: string;
  /** Model aliases it may use; empty means every alias. */
  readonly models: readonly string[];
}

export interface GeneralSettings {
  /** Never log or return it. */
  readonly masterKey: string | undefined;
  /** `general_settings.client_keys`. */
  readonly clientKeys: readonly ClientKey[];
  /** `general_settings.cors_allow_origins`; empty means CORS stays off. */
  readonly corsAllowOrigins: readonly string[];
  /** Largest request body accepted on JSON routes, in bytes. */
  readonly maxRequestBodyBytes: number;
  readonly requireAuthForMetrics: boolean;
  /** `general_settings.graceful_shutdown_seconds` (default 30): the drain's grace period on SIGTERM/SIGINT. */
  readonly gracefulShutdownMs: number;
}

export interface ConfigWarning {
  /** Key path such as `router_settings.enable_pre_call_checks`. */
  readonly path: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

export interface GatewayConfig {
  /** Absolute path of the file it was read from. */
  readonly file: string;
  readonly deployments: readonly DeploymentConfig[];
  readonly router: RouterSettings;
  readonly general: GeneralSettings;
  readonly warnings: readonly ConfigWarning[];
}
