import { isPlainObject, UnsetEnv } from './env.js';
import { checkTarget, fallbackMap, namesAt, resolveFallbacks, type AliasSets, type NameAt } from './fallbacks.js';
import { readFields, type FieldValues, type KeyTable } from './fields.js';
import { canonicalJson } from './ids.js';
import type { Issues } from './issues.js';
import {
  boolean,
  describe,
  INVALID,
  nonNegativeInt,
  nonNegativeNumber,
  oneOf,
  port,
  positiveInt,
  positiveNumber,
  readValue,
  redisUrl,
  secretText,
  text,
  type Kind,
} from './kinds.js';
import type { Path } from './path.js';
import type { AllowedFailsPolicy, RedisSettings, RetryPolicy, RouterSettings, RoutingStrategy } from './types.js';

const STRATEGIES: readonly RoutingStrategy[] = [
  'simple-shuffle',
  'least-busy',
  'usage-based-routing-v2',
  'latency-based-routing',
];

/** LiteLLM strategy names that map onto a supported one, with why. */
const STRATEGY_SUBSTITUTES: Readonly<Record<string, { readonly use: RoutingStrategy; readonly why: string }>> = {
  'usage-based-routing': { use: 'usage-based-routing-v2', why: 'is the deprecated v1 name' },
  'cost-based-routing': { use: 'simple-shuffle', why: 'is not supported' },
};

const routingStrategy: Kind<RoutingStrategy> = {
  expected: oneOf(STRATEGIES).expected,
  read(value, site) {
    if (typeof value === 'string' && Object.hasOwn(STRATEGY_SUBSTITUTES, value)) {
      const sub = STRATEGY_SUBSTITUTES[value];
      if (sub) {
        site.issues.warn(site.path, `${JSON.stringify(value)} ${sub.why}; using ${JSON.stringify(sub.use)}`);
        return sub.use;
      }
    }
    return oneOf(STRATEGIES).read(value, site);
  },
};

/** LiteLLM's per-error-class maps (`retry_policy`, `allowed_fails_policy`). */
function policy<N extends string>(names: readonly N[]): Kind<Partial<Record<N, number>>> {
  const expected = `a map of ${names.join(', ')} to non-negative integers`;
  return {
    expected,
    read(value, site) {
      if (!isPlainObject(value)) {
        site.issues.error(site.path, `expected ${expected}, got ${describe(value)}`, expected);
        return INVALID;
      }
      const out: Partial<Record<N, number>> = {};
      for (const [key, item] of Object.entries(value)) {
        const path = [...site.path, key];
        if (!(names as readonly string[]).includes(key)) {
          site.issues.warn(path, `unknown name, ignored (expected one of ${names.join(', ')})`);
          continue;
        }
        const n = readValue(nonNegativeInt, item, { path, issues: site.issues });
        if (n !== INVALID) out[key as N] = n;
      }
      return out;
    },
  };
}

const RETRY_NAMES = [
  'RateLimitErrorRetries',
  'InternalServerErrorRetries',
  'TimeoutErrorRetries',
  'BadRequestErrorRetries',
  'AuthenticationErrorRetries',
  'ContentPolicyViolationErrorRetries',
] as const satisfies readonly (keyof RetryPolicy)[];

const ALLOWED_FAILS_NAMES = [
  'RateLimitErrorAllowedFails',
  'InternalServerErrorAllowedFails',
  'TimeoutErrorAllowedFails',
  'BadRequestErrorAllowedFails',
  'AuthenticationErrorAllowedFails',
  'ContentPolicyViolationErrorAllowedFails',
] as const satisfies readonly (keyof AllowedFailsPolicy)[];

/** Metrics are built in, so `prometheus` is what the user already gets; other loggers do not exist here. */
const callbacks: Kind<NameAt[]> = {
  expected: namesAt.expected,
  read(value, site) {
    const names = namesAt.read(value, site);
    if (names === INVALID) return INVALID;
    for (const { name, path } of names) {
      if (name !== 'prometheus') {
        site.issues.warn(path, `callback ${JSON.stringify(name)} is not supported, ignored (Prometheus metrics are built in)`);
      }
    }
    return names;
  },
};

/** Keys accepted in both `router_settings` and `litellm_settings` (router_settings wins). */
const ROUTER_KEYS = {
  routing_strategy: routingStrategy,
  num_retries: nonNegativeInt,
  retry_policy: policy(RETRY_NAMES),
  allowed_fails: nonNegativeInt,
  allowed_fails_policy: policy(ALLOWED_FAILS_NAMES),
  cooldown_time: nonNegativeNumber,
  disable_cooldowns: boolean,
  timeout: positiveNumber,
  request_timeout: positiveNumber,
  stream_timeout: positiveNumber,
  max_fallbacks: nonNegativeInt,
  fallbacks: fallbackMap,
  context_window_fallbacks: fallbackMap,
  content_policy_fallbacks: fallbackMap,
  default_fallbacks: namesAt,
  drop_params: boolean,
  groq_plan: oneOf(['free', 'developer'] as const),
  max_queue_wait_seconds: nonNegativeNumber,
  // Ours: how a request's completion cap is chosen (see CompletionCapPolicy).
  completion_cap: oneOf(['adaptive', 'requested'] as const),
  redis_host: text,
  redis_port: port,
  redis_password: secretText,
  redis_username: text,
  redis_url: redisUrl,
  // Ours: how many gateways share the Redis, for each one's share of a budget while Redis is away.
  gateway_instances: positiveInt,
  // Pre-call checks (context window, limits) always run here; accepted so LiteLLM configs stay quiet.
  enable_pre_call_checks: boolean,
  // Ours: how long each key's upstream model list (GET /models with upstream models) is cached, and
  // how long a listing waits for a key before answering without it.
  upstream_models_cache_ttl: nonNegativeNumber,
  upstream_models_timeout: positiveNumber,
  // Ours: the largest non-streamed upstream answer read; past it the answer is a 502 (memory stays bounded).
  max_response_size_mb: positiveNumber,
} satisfies KeyTable;

const LITELLM_KEYS = {
  ...ROUTER_KEYS,
  callbacks,
  success_callback: callbacks,
  failure_callback: callbacks,
  // LiteLLM's switch for asking providers for their model lists on /models.
  check_provider_endpoint: boolean,
} satisfies KeyTable;

/** Read by general.ts, which owns it. */
export const LITELLM_KEYS_READ_ELSEWHERE = ['require_auth_for_metrics_endpoint'];

const DEFAULTS = {
  routingStrategy: 'simple-shuffle',
  numRetries: 2,
  allowedFails: 3,
  cooldownTimeSec: 5,
  timeoutSec: 600,
  maxFallbacks: 5,
  groqPlan: 'free',
  gatewayInstances: 2,
  upstreamModelsCacheTtlSec: 300,
  upstreamModelsTimeoutSec: 5,
  maxResponseSizeMb: 32,
} as const;

type RouterValues = FieldValues<typeof ROUTER_KEYS>;

export function readRouterSettings(
  litellmSection: Readonly<Record<string, unknown>>,
  routerSection: Readonly<Record<string, unknown>>,
  sets: AliasSets,
  issues: Issues,
): RouterSettings {
  const lite: FieldValues<typeof LITELLM_KEYS> = readFields(
    withoutUnsetOptionals(litellmSection, ['litellm_settings'], issues),
    ['litellm_settings'],
    LITELLM_KEYS,
    issues,
    { handled: LITELLM_KEYS_READ_ELSEWHERE },
  );
  const router: RouterValues = readFields(withoutUnsetOptionals(routerSection, ['router_settings'], issues), ['router_settings'], ROUTER_KEYS, issues);
  warnNoEffect(litellmSection, routerSection, issues);
  const pick = <K extends keyof RouterValues>(key: K): RouterValues[K] => router[key] ?? lite[key];
  warnOverrides(litellmSection, routerSection, issues);

  const timeoutSec =
    sectionTimeout(router, ['router_settings'], issues) ??
    sectionTimeout(lite, ['litellm_settings'], issues) ??
    DEFAULTS.timeoutSec;

  const fallbacks = resolveFallbacks(pick('fallbacks') ?? [], sets, issues, true);
  const defaults = pick('default_fallbacks');
  let defaultFallbacks: readonly NameAt[] = [];
  if (defaults) {
    defaultFallbacks = defaults.filter((d) => checkTarget(d, sets, issues));
  } else if (fallbacks.wildcard) {
    // LiteLLM's `{"*": [...]}` entry is its other spelling of default_fallbacks.
    defaultFallbacks = fallbacks.wildcard;
  }

  const streamTimeout = pick('stream_timeout');
  return {
    routingStrategy: pick('routing_strategy') ?? DEFAULTS.routingStrategy,
    numRetries: pick('num_retries') ?? DEFAULTS.numRetries,
    retryPolicy: pick('retry_policy') ?? {},
    allowedFails: pick('allowed_fails') ?? DEFAULTS.allowedFails,
    allowedFailsPolicy: pick('allowed_fails_policy') ?? {},
    cooldownTimeSec: pick('cooldown_time') ?? DEFAULTS.cooldownTimeSec,
    disableCooldowns: pick('disable_cooldowns') ?? false,
    timeoutMs: Math.round(timeoutSec * 1000),
    streamTimeoutMs: streamTimeout === undefined ? undefined : Math.round(streamTimeout * 1000),
    maxFallbacks: pick('max_fallbacks') ?? DEFAULTS.maxFallbacks,
    fallbacks: fallbacks.map,
    contextWindowFallbacks: resolveFallbacks(pick('context_window_fallbacks') ?? [], sets, issues, false).map,
    contentPolicyFallbacks: resolveFallbacks(pick('content_policy_fallbacks') ?? [], sets, issues, false).map,
    defaultFallbacks: defaultFallbacks.map((d) => d.name),
    dropParams: pick('drop_params') ?? false,
    groqPlan: pick('groq_plan') ?? DEFAULTS.groqPlan,
    maxQueueWaitSec: pick('max_queue_wait_seconds') ?? 0,
    completionCap: pick('completion_cap') ?? 'adaptive',
    redis: redisSettings(pick('redis_url'), pick('redis_host'), pick('redis_port'), pick('redis_password'), pick('redis_username')),
    gatewayInstances: pick('gateway_instances') ?? DEFAULTS.gatewayInstances,
    checkProviderEndpoint: lite.check_provider_endpoint ?? false,
    upstreamModelsCacheTtlSec: pick('upstream_models_cache_ttl') ?? DEFAULTS.upstreamModelsCacheTtlSec,
    upstreamModelsTimeoutSec: pick('upstream_models_timeout') ?? DEFAULTS.upstreamModelsTimeoutSec,
    maxResponseBytes: Math.round((pick('max_response_size_mb') ?? DEFAULTS.maxResponseSizeMb) * 1024 * 1024),
  };
}

/**
 * Settings that may be left unset: LiteLLM's standard snippet writes `redis_password: os.environ/REDIS_PASSWORD`
 * for every Redis, with or without a password. An unset variable there means "not set", said once.
 */
const OPTIONAL_FROM_ENV = ['redis_password', 'redis_username'];

function withoutUnsetOptionals(section: Readonly<Record<string, unknown>>, base: Path, issues: Issues): Readonly<Record<string, unknown>> {
  let copy: Record<string, unknown> | undefined;
  for (const key of OPTIONAL_FROM_ENV) {
    const value = section[key];
    if (!(value instanceof UnsetEnv)) continue;
    issues.warn([...base, key], `environment variable ${value.name} is not set; ${key} treated as not set`);
    copy ??= { ...section };
    delete copy[key];
  }
  return copy ?? section;
}

/**
 * Groq documents no content-policy error (its error codes are 400, 401, 403, 404, 422, 429, 500 and 503,
 * none of them a content filter), so nothing could trigger these. Requests the upstream calls malformed are never
 * retried here (a retry sends the same body) and never count against a deployment's health.
 */
const NO_EFFECT: Readonly<Record<string, string>> = {
  content_policy_fallbacks: 'has no effect: Groq reports no content-policy errors to fall back on; use fallbacks for errors Groq does report',
  'retry_policy.BadRequestErrorRetries': 'has no effect: a request the upstream calls malformed is never retried (the same body would fail again)',
  'retry_policy.ContentPolicyViolationErrorRetries': 'has no effect: Groq reports no content-policy errors',
  'allowed_fails_policy.BadRequestErrorAllowedFails': "has no effect: a malformed request is the caller's fault and never counts against a deployment",
  'allowed_fails_policy.ContentPolicyViolationErrorAllowedFails': 'has no effect: Groq reports no content-policy errors',
};

function warnNoEffect(
  litellmSection: Readonly<Record<string, unknown>>,
  routerSection: Readonly<Record<string, unknown>>,
  issues: Issues,
): void {
  for (const [base, section] of [['litellm_settings', litellmSection], ['router_settings', routerSection]] as const) {
    for (const [key, why] of Object.entries(NO_EFFECT)) {
      const [outer, inner] = key.split('.') as [string, string | undefined];
      if (!Object.hasOwn(section, outer)) continue;
      const value = section[outer];
      if (inner === undefined) {
        const empty = value === null || (Array.isArray(value) && value.length === 0);
        if (!empty) issues.warn([base, outer], why);
      } else if (isPlainObject(value) && Object.hasOwn(value, inner)) {
        issues.warn([base, outer, inner], why);
      }
    }
  }
}

/** Saying so avoids a user editing the litellm_settings copy and wondering why nothing changes. */
function warnOverrides(
  litellmSection: Readonly<Record<string, unknown>>,
  routerSection: Readonly<Record<string, unknown>>,
  issues: Issues,
): void {
  for (const key of Object.keys(ROUTER_KEYS)) {
    if (!Object.hasOwn(litellmSection, key) || !Object.hasOwn(routerSection, key)) continue;
    if (canonicalJson(litellmSection[key]) === canonicalJson(routerSection[key])) continue;
    issues.warn(['litellm_settings', key], `overridden by router_settings.${key}`);
  }
}

/** `timeout` and `request_timeout` are the same setting under two LiteLLM names. */
function sectionTimeout(values: RouterValues, base: Path, issues: Issues): number | undefined {
  const { timeout, request_timeout: requestTimeout } = values;
  if (timeout !== undefined && requestTimeout !== undefined && timeout !== requestTimeout) {
    issues.warn([...base, 'request_timeout'], `differs from ${base.join('.')}.timeout; using timeout`);
  }
  return timeout ?? requestTimeout;
}

function redisSettings(
  url: string | undefined,
  host: string | undefined,
  port: number | undefined,
  password: string | undefined,
  username: string | undefined,
): RedisSettings | undefined {
  const settings: { -readonly [K in keyof RedisSettings]: RedisSettings[K] } = {};
  if (url !== undefined) settings.url = url;
  if (host !== undefined) settings.host = host;
  if (port !== undefined) settings.port = port;
  if (password !== undefined) settings.password = password;
  if (username !== undefined) settings.username = username;
  return Object.keys(settings).length === 0 ? undefined : settings;
}
