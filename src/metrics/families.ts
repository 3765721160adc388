/**
 * Every metric family the gateway exports, as data: name, type, help, labels, buckets. Two sets:
 * - `groq_router_*`: ours, by Prometheus conventions (base units, `_total` only on counters, no key or
 *   user in any label), with the windows Groq enforces kept apart;
 * - `litellm_*`: LiteLLM's own names, types and label names, so dashboards built for LiteLLM work. Their
 *   counters carry `_total` as LiteLLM's Python client exposes them; the key, team, user and client
 *   labels exist for compatibility and are always empty.
 */

export type FamilyType = 'counter' | 'gauge' | 'histogram';

export interface Family {
  readonly name: string;
  readonly type: FamilyType;
  readonly help: string;
  readonly labels: readonly string[];
  readonly buckets?: readonly number[];
}

/** End-to-end request latency: streamed answers from an LLM take seconds to minutes. */
const REQUEST_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300];
/** Time to first token: Groq answers in tens to hundreds of milliseconds when healthy. */
const TTFT_BUCKETS = [0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1, 2, 4, 8, 15, 30];
/** What the gateway itself adds: well under a millisecond when healthy. */
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];
/** LiteLLM's LATENCY_BUCKETS, so its dashboards' quantiles read the same. */
const LITELLM_BUCKETS = [
  0.005, 0.00625, 0.0125, 0.025, 0.05, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8, 8.5, 9, 9.5, 10, 15,
  20, 25, 30, 60, 120, 180, 240, 300,
];

const DEPLOYMENT = ['model_group', 'model_id', 'model'] as const;

export const OURS = {
  quotaLimit: {
    name: 'groq_router_quota_limit',
    type: 'gauge',
    help: 'Limit of a deployment budget per window (rpm, rpd: requests; tpm, tpd: tokens; ash, asd: audio seconds); absent when not enforced.',
    labels: [...DEPLOYMENT, 'window'],
  },
  quotaRemaining: {
    name: 'groq_router_quota_remaining',
    type: 'gauge',
    help: "Quota left in a deployment budget per window, in the window's unit. view=local is the gateway's count; view=upstream is Groq's last x-ratelimit-remaining-* header (Groq reports rpd and tpm only).",
    labels: [...DEPLOYMENT, 'window', 'view'],
  },
  quotaHeadroom: {
    name: 'groq_router_quota_headroom_ratio',
    type: 'gauge',
    help: 'Fraction of a budget window still free (0 to 1), the tighter of the local and upstream views.',
    labels: [...DEPLOYMENT, 'window'],
  },
  quotaReset: {
    name: 'groq_router_quota_reset_seconds',
    type: 'gauge',
    help: 'Seconds until the oldest usage in a budget window expires (view=local) or until Groq says it resets (view=upstream).',
    labels: [...DEPLOYMENT, 'window', 'view'],
  },
  breakerTrial: {
    name: 'groq_router_breaker_trial_seconds',
    type: 'gauge',
    help: 'Open breakers only: seconds until the deployment gets its trial request, by the failure kind that opened it (reason).',
    labels: [...DEPLOYMENT, 'reason'],
  },
  breakerState: {
    name: 'groq_router_breaker_state',
    type: 'gauge',
    help: 'Circuit breaker state of a deployment: 0 closed, 1 half-open, 2 open.',
    labels: DEPLOYMENT,
  },
  breakerOpens: {
    name: 'groq_router_breaker_opens_total',
    type: 'counter',
    help: 'Times a deployment breaker opened, by the failure kind that opened it.',
    labels: [...DEPLOYMENT, 'reason'],
  },
  requests: {
    name: 'groq_router_requests_total',
    type: 'counter',
    help: 'Requests answered, by requested alias, the deployment that served (empty when none did) and outcome: success, stream_error, gateway_refused, upstream_rate_limited, upstream_error, client_error, timeout, cancelled, gateway_error.',
    labels: ['requested_model', 'model_group', 'model_id', 'outcome', 'status_code'],
  },
  completionsCut: {
    name: 'groq_router_completions_cut_total',
    type: 'counter',
    help: 'Answers that ended at a completion cap the gateway lowered below the client\'s (finish_reason "length"); each raises the alias\'s learned cap at once.',
    labels: ['requested_model', 'model_id'],
  },
  upstreamAttempts: {
    name: 'groq_router_upstream_attempts_total',
    type: 'counter',
    help: 'Calls to upstream deployments, by result (success or the failure kind).',
    labels: [...DEPLOYMENT, 'result'],
  },
  skipped: {
    name: 'groq_router_deployments_skipped_total',
    type: 'counter',
    help: 'Deployments skipped before any network call, by reason (quota, breaker_open, max_parallel_requests).',
    labels: [...DEPLOYMENT, 'reason'],
  },
  fallbacks: {
    name: 'groq_router_fallbacks_total',
    type: 'counter',
    help: 'Requests that moved from the requested alias to a fallback group, by the reason the earlier groups could not serve.',
    labels: ['from', 'to', 'reason'],
  },
  retries: {
    name: 'groq_router_retries_total',
    type: 'counter',
    help: 'Further attempts after the first within a request (another deployment of the same group, or a whole pass again).',
    labels: ['requested_model'],
  },
  rateLimited: {
    name: 'groq_router_rate_limited_total',
    type: 'counter',
    help: 'HTTP 429s: source=upstream counts each 429 Groq sent the gateway (relayed or not); source=gateway counts 429s the gateway answered on its own (budgets used up, chain ejected) with no upstream 429 behind them.',
    labels: ['requested_model', 'model_id', 'source'],
  },
  tokens: {
    name: 'groq_router_tokens_total',
    type: 'counter',
    help: 'Tokens reported by upstream usage, by direction (input, output).',
    labels: [...DEPLOYMENT, 'direction'],
  },
  requestDuration: {
    name: 'groq_router_request_duration_seconds',
    type: 'histogram',
    help: 'Time from a request reaching the gateway to the end of its answer (a stream: its last byte).',
    labels: ['requested_model', 'stream'],
    buckets: REQUEST_BUCKETS,
  },
  upstreamDuration: {
    name: 'groq_router_upstream_duration_seconds',
    type: 'histogram',
    help: 'Time spent on the serving upstream call, to its last byte.',
    labels: DEPLOYMENT,
    buckets: REQUEST_BUCKETS,
  },
  timeToFirstToken: {
    name: 'groq_router_time_to_first_token_seconds',
    type: 'histogram',
    help: 'Streamed answers only: time from the serving upstream call to its first byte.',
    labels: DEPLOYMENT,
    buckets: TTFT_BUCKETS,
  },
  quotaStoreDegraded: {
    name: 'groq_router_quota_store_degraded',
    type: 'gauge',
    help: 'Whether budgets shared through Redis are being served from this instance\'s local share because Redis is unreachable (1) or not (0).',
    labels: [],
  },
  configReloads: {
    name: 'groq_router_config_reloads_total',
    type: 'counter',
    help: 'Reloads of the routing file, by result (success, failure); a failed reload leaves the previous config serving.',
    labels: ['result'],
  },
  configLoadedAt: {
    name: 'groq_router_config_last_success_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time at which the config now serving was loaded.',
    labels: [],
  },
  overhead: {
    name: 'groq_router_overhead_seconds',
    type: 'histogram',
    help: 'Time the gateway added to a request until its answer started, excluding time waiting on upstreams.',
    labels: ['requested_model'],
    buckets: OVERHEAD_BUCKETS,
  },
} as const satisfies Record<string, Family>;

/** Labels LiteLLM attaches to identify a virtual key, team or user; always empty here. */
const KEY = ['hashed_api_key', 'api_key_alias'] as const;
const TEAM = ['team', 'team_alias'] as const;
const LITELLM_DEPLOYMENT = ['litellm_model_name', 'model_id', 'api_base', 'api_provider'] as const;
const USAGE_LABELS = ['end_user', ...KEY, 'model', ...TEAM, 'user', 'user_email', 'requested_model', 'model_id'];
const DEPLOYMENT_REQUEST_LABELS = ['requested_model', ...LITELLM_DEPLOYMENT, ...KEY, ...TEAM, 'client_ip', 'user_agent'];
const FALLBACK_LABELS = ['requested_model', 'fallback_model', ...KEY, ...TEAM, 'exception_status', 'exception_class', 'model_id'];
const API_LATENCY_LABELS = ['model', ...KEY, ...TEAM, 'requested_model', 'end_user', 'user', 'model_id'];
const PROVIDER_VIEW_LABELS = ['model_group', 'api_provider', 'api_base', 'litellm_model_name', ...KEY, 'model_id'];
const CLIENT_REQUEST_LABELS = ['end_user', ...KEY, 'model', ...TEAM, 'user', 'user_email', 'client_ip', 'user_agent', 'model_id'];
const PER_TOKEN_LABELS = [...LITELLM_DEPLOYMENT, ...KEY, ...TEAM];
const QUEUE_LABELS = ['end_user', ...KEY, 'requested_model', ...TEAM, 'user', 'model', 'model_id'];

export const LITELLM = {
  remainingRequests: {
    name: 'litellm_remaining_requests_metric',
    type: 'gauge',
    help: 'LLM Deployment Analytics - remaining requests for model, returned from LLM API Provider (Groq: per day)',
    labels: PROVIDER_VIEW_LABELS,
  },
  remainingTokens: {
    name: 'litellm_remaining_tokens_metric',
    type: 'gauge',
    help: 'remaining tokens for model, returned from LLM API Provider (Groq: per minute)',
    labels: PROVIDER_VIEW_LABELS,
  },
  deploymentState: {
    name: 'litellm_deployment_state',
    type: 'gauge',
    help: 'LLM Deployment Analytics - The state of the deployment: 0 = healthy, 1 = partial outage, 2 = complete outage (LiteLLM\'s meaning: 1 after a failed call or while a trial is pending, 2 while cooled down, 0 after a success)',
    labels: LITELLM_DEPLOYMENT,
  },
  rpmLimit: { name: 'litellm_deployment_rpm_limit', type: 'gauge', help: 'Deployment RPM limit found in config', labels: LITELLM_DEPLOYMENT },
  tpmLimit: { name: 'litellm_deployment_tpm_limit', type: 'gauge', help: 'Deployment TPM limit found in config', labels: LITELLM_DEPLOYMENT },
  cooledDown: {
    name: 'litellm_deployment_cooled_down_total',
    type: 'counter',
    help: 'LLM Deployment Analytics - Number of times a deployment has been cooled down by LiteLLM load balancing logic. exception_status is the status of the exception that caused the deployment to be cooled down',
    labels: [...LITELLM_DEPLOYMENT, 'exception_status'],
  },
  successResponses: {
    name: 'litellm_deployment_success_responses_total',
    type: 'counter',
    help: 'LLM Deployment Analytics - Total number of successful LLM API calls via litellm',
    labels: DEPLOYMENT_REQUEST_LABELS,
  },
  failureResponses: {
    name: 'litellm_deployment_failure_responses_total',
    type: 'counter',
    help: 'LLM Deployment Analytics - Total number of failed LLM API calls for a specific LLM deploymeny. exception_status is the status of the exception from the llm api',
    labels: [...DEPLOYMENT_REQUEST_LABELS.slice(0, 5), 'exception_status', 'exception_class', ...DEPLOYMENT_REQUEST_LABELS.slice(5)],
  },
  totalRequests: {
    name: 'litellm_deployment_total_requests_total',
    type: 'counter',
    help: 'LLM Deployment Analytics - Total number of LLM API calls via litellm - success + failure',
    labels: DEPLOYMENT_REQUEST_LABELS,
  },
  successfulFallbacks: {
    name: 'litellm_deployment_successful_fallbacks_total',
    type: 'counter',
    help: 'LLM Deployment Analytics - Number of successful fallback requests from primary model -> fallback model',
    labels: FALLBACK_LABELS,
  },
  failedFallbacks: {
    name: 'litellm_deployment_failed_fallbacks_total',
    type: 'counter',
    help: 'LLM Deployment Analytics - Number of failed fallback requests from primary model -> fallback model',
    labels: FALLBACK_LABELS,
  },
  proxyTotalRequests: {
    name: 'litellm_proxy_total_requests_metric_total',
    type: 'counter',
    help: 'Total number of requests made to the proxy server - track number of client side requests',
    labels: ['end_user', ...KEY, 'requested_model', ...TEAM, 'user', 'status_code', 'user_email', 'route', 'client_ip', 'user_agent', 'model_id'],
  },
  proxyFailedRequests: {
    name: 'litellm_proxy_failed_requests_metric_total',
    type: 'counter',
    help: 'Total number of failed responses from proxy - the client did not get a success response from litellm proxy',
    labels: ['end_user', ...KEY, 'requested_model', ...TEAM, 'user', 'user_email', 'exception_status', 'exception_class', 'route', 'client_ip', 'user_agent', 'model_id'],
  },
  totalTokens: {
    name: 'litellm_total_tokens_metric_total',
    type: 'counter',
    help: 'Total number of input + output tokens from LLM requests',
    labels: USAGE_LABELS,
  },
  inputTokens: { name: 'litellm_input_tokens_metric_total', type: 'counter', help: 'Total number of input tokens from LLM requests', labels: USAGE_LABELS },
  outputTokens: { name: 'litellm_output_tokens_metric_total', type: 'counter', help: 'Total number of output tokens from LLM requests', labels: USAGE_LABELS },
  requestLatency: {
    name: 'litellm_request_total_latency_metric',
    type: 'histogram',
    help: 'Total latency (seconds) for a request to LiteLLM',
    labels: ['end_user', ...KEY, 'requested_model', ...TEAM, 'user', 'model', 'model_id'],
    buckets: LITELLM_BUCKETS,
  },
  apiLatency: {
    name: 'litellm_llm_api_latency_metric',
    type: 'histogram',
    help: 'Total latency (seconds) for a models LLM API call',
    labels: API_LATENCY_LABELS,
    buckets: LITELLM_BUCKETS,
  },
  timeToFirstToken: {
    name: 'litellm_llm_api_time_to_first_token_metric',
    type: 'histogram',
    help: 'Time to first token for a models LLM API call (streamed requests only)',
    labels: API_LATENCY_LABELS,
    buckets: LITELLM_BUCKETS,
  },
  overhead: {
    name: 'litellm_overhead_latency_metric',
    type: 'histogram',
    help: 'Latency overhead (seconds) added by LiteLLM processing',
    labels: PROVIDER_VIEW_LABELS,
    buckets: LITELLM_BUCKETS,
  },
  spend: {
    name: 'litellm_spend_metric_total',
    type: 'counter',
    help: 'Total spend on LLM requests (USD, from the catalogue\'s or model_info\'s prices); api_key_alias is the client key\'s alias',
    labels: CLIENT_REQUEST_LABELS,
  },
  inFlight: {
    name: 'litellm_in_flight_requests',
    type: 'gauge',
    help: 'Number of HTTP requests currently in-flight on this gateway',
    labels: [],
  },
  queueTime: {
    name: 'litellm_request_queue_time_seconds',
    type: 'histogram',
    help: 'Time (seconds) a request waited in the headroom queue (max_queue_wait_seconds) before the attempt that answered it; 0 when it did not wait',
    labels: QUEUE_LABELS,
    buckets: LITELLM_BUCKETS,
  },
  latencyPerOutputToken: {
    name: 'litellm_deployment_latency_per_output_token',
    type: 'histogram',
    help: 'LLM Deployment Analytics - Latency per output token',
    labels: PER_TOKEN_LABELS,
    buckets: LITELLM_BUCKETS,
  },
  requests: {
    name: 'litellm_requests_metric_total',
    type: 'counter',
    help: 'deprecated - use litellm_proxy_total_requests_metric. Total number of LLM calls to litellm - track total per API Key, team, user',
    labels: CLIENT_REQUEST_LABELS,
  },
  apiFailedRequests: {
    name: 'litellm_llm_api_failed_requests_metric_total',
    type: 'counter',
    help: 'deprecated - use litellm_proxy_failed_requests_metric',
    labels: ['end_user', ...KEY, 'model', ...TEAM, 'user', 'model_id'],
  },
  remainingRequestsLegacy: {
    name: 'litellm_remaining_requests',
    type: 'gauge',
    help: 'Older name of litellm_remaining_requests_metric, which LiteLLM\'s dashboard_v2 still queries; the same values',
    labels: PROVIDER_VIEW_LABELS,
  },
  remainingTokensLegacy: {
    name: 'litellm_remaining_tokens',
    type: 'gauge',
    help: 'Older name of litellm_remaining_tokens_metric, which LiteLLM\'s dashboard_v2 still queries; the same values',
    labels: PROVIDER_VIEW_LABELS,
  },
} as const satisfies Record<string, Family>;

export const ALL_FAMILIES: readonly Family[] = [...Object.values(OURS), ...Object.values(LITELLM)];
