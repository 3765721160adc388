import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_FILE, parse, parseError, TWO_ALIASES, warningPaths } from '../../test/support/config-text.js';
import { ConfigError, loadConfig, parseConfig } from './load.js';

const minimal = (params = 'model: groq/llama-3.1-8b-instant\n      api_key: gsk_literal') => `model_list:
  - model_name: fast
    litellm_params:
      ${params}
`;

const REALISTIC = `# LiteLLM proxy config for Groq, as a user would bring it
model_list:
  - model_name: llama-70b
    litellm_params:
      model: groq/llama-3.3-70b-versatile
      api_key: os.environ/GROQ_API_KEY
      rpm: 30
      tpm: 12000
      rpd: 1000
      tpd: null
      order: 1
      timeout: 60
      stream_timeout: 15
    model_info:
      id: llama-70b-org-a
      max_input_tokens: 131072
      supports_function_calling: true
  - model_name: llama-70b
    litellm_params:
      model: groq/llama-3.3-70b-versatile
      api_key: os.environ/GROQ_API_KEY_B
      order: 2
      weight: 0.5
      cooldown_time: 30
      max_parallel_requests: 4
  - model_name: gpt-oss
    litellm_params:
      model: groq/openai/gpt-oss-120b
      api_key: os.environ/GROQ_API_KEY
  - model_name: compound
    litellm_params:
      model: groq/groq/compound
      api_key: os.environ/GROQ_API_KEY
  - model_name: local
    litellm_params:
      model: openai/qwen2.5-coder
      api_base: os.environ/LOCAL_BASE
      api_key: none
    model_info:
      input_cost_per_token: 0
router_settings:
  routing_strategy: usage-based-routing-v2
  num_retries: 3
  retry_policy:
    RateLimitErrorRetries: 1
    TimeoutErrorRetries: 2
  allowed_fails: 2
  cooldown_time: 10
  timeout: 120
  stream_timeout: 20
  max_fallbacks: 3
  groq_plan: developer
  max_queue_wait_seconds: 2.5
  redis_host: os.environ/REDIS_HOST
  redis_port: 6380
  enable_pre_call_checks: true
litellm_settings:
  fallbacks: [{"llama-70b": ["gpt-oss", "compound"]}, {"gpt-oss": ["llama-70b"]}]
  context_window_fallbacks:
    - compound: llama-70b
  default_fallbacks: ["local"]
  drop_params: true
  callbacks: ["prometheus"]
general_settings:
  master_key: os.environ/PROXY_KEY
  max_request_size_mb: 2
environment_variables:
  LOCAL_BASE: http://127.0.0.1:11434/v1
`;

const REALISTIC_ENV = {
  GROQ_API_KEY: 'gsk_a',
  GROQ_API_KEY_B: 'gsk_b',
  PROXY_KEY: 'sk-master',
  REDIS_HOST: 'redis.internal',
  LOCAL_BASE: 'http://ignored.example',
};

/** `config.router` for a config that sets nothing in router_settings or litellm_settings. */
const LITELLM_ROUTER_DEFAULTS = {
  routingStrategy: 'simple-shuffle',
  numRetries: 2,
  retryPolicy: {},
  allowedFails: 3,
  allowedFailsPolicy: {},
  cooldownTimeSec: 5,
  disableCooldowns: false,
  timeoutMs: 600_000,
  streamTimeoutMs: undefined,
  maxFallbacks: 5,
  fallbacks: {},
  contextWindowFallbacks: {},
  contentPolicyFallbacks: {},
  defaultFallbacks: [],
  dropParams: false,
  groqPlan: 'free',
  maxQueueWaitSec: 0,
  completionCap: 'adaptive',
  redis: undefined,
  gatewayInstances: 2,
  checkProviderEndpoint: false,
  upstreamModelsCacheTtlSec: 300,
  upstreamModelsTimeoutSec: 5,
  maxResponseBytes: 32 * 1024 * 1024,
};

describe('parseConfig: a realistic LiteLLM config for Groq', () => {
  const config = parse(REALISTIC, REALISTIC_ENV);

  it('loads every deployment with provider, model, key and limits', () => {
    expect(config.file).toBe(resolve(CONFIG_FILE));
    expect(config.deployments).toHaveLength(5);
    const [a, b, oss, compound, local] = config.deployments;
    expect(a).toMatchObject({
      id: 'llama-70b-org-a',
      index: 0,
      modelName: 'llama-70b',
      provider: 'groq',
      model: 'llama-3.3-70b-versatile',
      litellmModel: 'groq/llama-3.3-70b-versatile',
      apiKey: 'gsk_a',
      apiBase: undefined,
      limits: { rpm: 30, tpm: 12000, rpd: 1000, tpd: null },
      timeoutMs: 60_000,
      streamTimeoutMs: 15_000,
      order: 1,
      unconfiguredReason: undefined,
      modelInfo: { id: 'llama-70b-org-a', max_input_tokens: 131072, supports_function_calling: true },
    });
    expect(a?.limits).not.toHaveProperty('ash');
    expect(b).toMatchObject({
      apiKey: 'gsk_b',
      order: 2,
      weight: 0.5,
      cooldownTimeSec: 30,
      maxParallelRequests: 4,
      limits: {},
      modelInfo: {},
    });
    expect(b?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(oss).toMatchObject({ provider: 'groq', model: 'openai/gpt-oss-120b' });
    expect(compound).toMatchObject({ provider: 'groq', model: 'groq/compound' });
    // environment_variables shadow the process environment.
    expect(local).toMatchObject({
      provider: 'openai',
      model: 'qwen2.5-coder',
      apiBase: 'http://127.0.0.1:11434/v1',
      apiKey: 'none',
      modelInfo: { input_cost_per_token: 0 },
    });
  });

  it('merges router_settings and litellm_settings', () => {
    expect(config.router).toEqual({
      ...LITELLM_ROUTER_DEFAULTS,
      routingStrategy: 'usage-based-routing-v2',
      numRetries: 3,
      retryPolicy: { RateLimitErrorRetries: 1, TimeoutErrorRetries: 2 },
      allowedFails: 2,
      cooldownTimeSec: 10,
      timeoutMs: 120_000,
      streamTimeoutMs: 20_000,
      maxFallbacks: 3,
      fallbacks: { 'llama-70b': ['gpt-oss', 'compound'], 'gpt-oss': ['llama-70b'] },
      contextWindowFallbacks: { compound: ['llama-70b'] },
      defaultFallbacks: ['local'],
      dropParams: true,
      groqPlan: 'developer',
      maxQueueWaitSec: 2.5,
      redis: { host: 'redis.internal', port: 6380 },
    });
  });

  it('reads general_settings', () => {
    expect(config.general).toEqual({
      masterKey: 'sk-master',
      clientKeys: [],
      corsAllowOrigins: [],
      maxRequestBodyBytes: 2 * 1024 * 1024,
      requireAuthForMetrics: false,
      gracefulShutdownMs: 30_000,
    });
  });

  it('has no warnings', () => {
    expect(config.warnings).toEqual([]);
  });

  it('keeps secrets out of publicParams and modelInfo', () => {
    const [a, , , , local] = config.deployments;
    expect(a?.publicParams).toEqual({
      model: 'groq/llama-3.3-70b-versatile',
      rpm: 30,
      tpm: 12000,
      rpd: 1000,
      tpd: null,
      order: 1,
      timeout: 60,
      stream_timeout: 15,
    });
    expect(local?.publicParams).toEqual({ model: 'openai/qwen2.5-coder', api_base: 'http://127.0.0.1:11434/v1' });
    const shown = JSON.stringify(config.deployments.map((d) => [d.publicParams, d.modelInfo, d.id]));
    for (const secret of ['gsk_a', 'gsk_b', 'sk-master']) expect(shown).not.toContain(secret);
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.deployments)).toBe(true);
    expect(Object.isFrozen(config.deployments[0])).toBe(true);
    expect(Object.isFrozen(config.deployments[0]?.limits)).toBe(true);
    expect(Object.isFrozen(config.deployments[0]?.modelInfo)).toBe(true);
    expect(Object.isFrozen(config.router.fallbacks['llama-70b'])).toBe(true);
    expect(Object.isFrozen(config.router.redis)).toBe(true);
    expect(Object.isFrozen(config.warnings)).toBe(true);
    expect(() => {
      (config.router.fallbacks['llama-70b'] as string[]).push('x');
    }).toThrow(TypeError);
  });

  it('does not modify the environment it was given or process.env', () => {
    const env = { ...REALISTIC_ENV };
    parse(REALISTIC, env);
    expect(env).toEqual(REALISTIC_ENV);
    expect(process.env['LOCAL_BASE']).toBeUndefined();
  });
});

describe('os.environ references', () => {
  it('an unset api_key variable leaves the deployment unconfigured, with a warning, not an error', () => {
    const config = parse(`model_list:
  - model_name: a
    litellm_params:
      model: groq/llama-3.1-8b-instant
      api_key: os.environ/GROQ_API_KEY
  - model_name: b
    litellm_params:
      model: groq/llama-3.3-70b-versatile
      api_key: os.environ/GROQ_API_KEY_SECOND
`, { GROQ_API_KEY: 'gsk_one' });
    const [a, b] = config.deployments;
    expect(a).toMatchObject({ apiKey: 'gsk_one', unconfiguredReason: undefined });
    expect(b).toMatchObject({
      apiKey: undefined,
      unconfiguredReason: 'api_key: environment variable GROQ_API_KEY_SECOND is not set',
    });
    expect(config.warnings).toHaveLength(1);
    const [warning] = config.warnings;
    expect(warning).toMatchObject({ path: 'model_list[1].litellm_params.api_key', line: 9, column: 7 });
    expect(warning?.message).toContain('GROQ_API_KEY_SECOND');
    expect(warning?.message).toContain('unusable: b');
  });

  it('unset key variables make one warning naming each variable and the models it leaves unusable', () => {
    const entry = (alias: string, model: string, key?: string) =>
      `  - model_name: ${alias}\n    litellm_params:\n      model: groq/${model}\n${key === undefined ? '' : `      api_key: os.environ/${key}\n`}`;
    const config = parse(
      `model_list:\n${entry('a', 'llama-3.1-8b-instant')}${entry('a', 'llama-3.3-70b-versatile')}${entry('b', 'openai/gpt-oss-20b', 'GROQ_API_KEY')}${entry('c', 'openai/gpt-oss-120b', 'SECOND_KEY')}`,
      {},
    );
    expect(config.deployments.every((d) => d.unconfiguredReason !== undefined)).toBe(true);
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toMatchObject({ path: 'model_list[0].litellm_params', line: 3 });
    expect(config.warnings[0]?.message).toContain('API key variables not set: GROQ_API_KEY (leaves 2 unusable: a, b); SECOND_KEY (leaves 1 unusable: c)');
  });

  it('an empty variable counts as unset', () => {
    const config = parse(minimal('model: groq/x\n      api_key: os.environ/K'), { K: '' });
    expect(config.deployments[0]?.unconfiguredReason).toBe('api_key: environment variable K is not set');
  });

  it('a groq deployment without api_key falls back to GROQ_API_KEY, as LiteLLM does', () => {
    const text = minimal('model: groq/llama-3.1-8b-instant');
    expect(parse(text, { GROQ_API_KEY: 'gsk_env' }).deployments[0]?.apiKey).toBe('gsk_env');
    const unset = parse(text, {});
    expect(unset.deployments[0]?.unconfiguredReason).toBe(
      'api_key: not set, and environment variable GROQ_API_KEY is not set',
    );
    expect(warningPaths(unset)).toEqual(['model_list[0].litellm_params']);
  });

  it('an unset master_key variable is an error naming the variable and path', () => {
    const err = parseError(`${minimal()}general_settings:
  master_key: os.environ/MY_MASTER_KEY
`);
    expect(err.errors).toHaveLength(1);
    expect(err.path).toBe('general_settings.master_key');
    expect(err.line).toBe(7);
    expect(err.column).toBe(3);
    expect(err.message).toBe(
      'litellm.config.yaml:7:3: general_settings.master_key: environment variable MY_MASTER_KEY is not set (os.environ/MY_MASTER_KEY)',
    );
  });

  it('an unset api_base variable is an error', () => {
    const err = parseError(minimal('model: openai/m\n      api_key: k\n      api_base: os.environ/BASE'));
    expect(err.path).toBe('model_list[0].litellm_params.api_base');
    expect(err.message).toContain('environment variable BASE is not set');
  });

  it('an unset variable under an unsupported key only warns that the key is ignored', () => {
    const config = parse(`${minimal()}general_settings:
  database_url: os.environ/DATABASE_URL
`);
    expect(warningPaths(config)).toEqual(['general_settings.database_url']);
  });

  it('resolves references inside lists and model_info, and coerces numeric strings', () => {
    const config = parse(`model_list:
  - model_name: a
    litellm_params:
      model: groq/m
      api_key: k
      rpm: os.environ/RPM
    model_info:
      owner: os.environ/OWNER
router_settings:
  default_fallbacks: [os.environ/FALLBACK]
  disable_cooldowns: os.environ/NO_COOLDOWN
`, { RPM: '45', OWNER: 'team-a', FALLBACK: 'a', NO_COOLDOWN: 'true' });
    expect(config.deployments[0]?.limits.rpm).toBe(45);
    expect(config.deployments[0]?.modelInfo).toEqual({ owner: 'team-a' });
    expect(config.router.defaultFallbacks).toEqual(['a']);
    expect(config.router.disableCooldowns).toBe(true);
  });
});

describe('error positions and messages', () => {
  const BAD_MODEL = `model_list:
  - model_name: ok
    litellm_params:
      model: groq/llama-3.1-8b-instant
      api_key: k
  - model_name: broken
    litellm_params:
      model: gpt4
`;

  it('points a bad model string at file:line:col with its key path', () => {
    const err = parseError(BAD_MODEL);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.file).toBe(CONFIG_FILE);
    expect(err.line).toBe(8);
    expect(err.column).toBe(7);
    expect(err.path).toBe('model_list[1].litellm_params.model');
    expect(err.expected).toBe('"groq/<model>" or "openai/<model>"');
    expect(err.message).toBe(
      'litellm.config.yaml:8:7: model_list[1].litellm_params.model: expected "groq/<model>" or "openai/<model>", got "gpt4"',
    );
  });

  it('reports a YAML syntax error with its line and column', () => {
    const err = parseError('model_list:\n  - model_name: a\n    litellm_params: {model: groq/x\n');
    expect(err.line).toBe(4);
    expect(err.column).toBe(1);
    expect(err.message).toMatch(/^litellm\.config\.yaml:4:1: YAML syntax error: /);
    expect(err.message).not.toContain('\n');
  });

  it('reports duplicate keys as a YAML error', () => {
    const err = parseError(`${minimal()}router_settings:\n  num_retries: 1\n  num_retries: 2\n`);
    expect(err).toMatchObject({ line: 8, column: 3 });
  });

  it('collects every validation error into one ConfigError, in file order', () => {
    const err = parseError(`model_list:
  - model_name: a
    litellm_params:
      model: groq/m
      api_key: k
      rpm: -1
      api_base: ftp://example.com
  - litellm_params:
      model: openai/x
router_settings:
  num_retries: three
  routing_strategy: fastest
  retry_policy: [1]
`);
    expect(err.errors.map((e) => `${e.line}:${e.column} ${e.path}`)).toEqual([
      '6:7 model_list[0].litellm_params.rpm',
      '7:7 model_list[0].litellm_params.api_base',
      '8:5 model_list[1].model_name',
      '8:5 model_list[1].litellm_params.api_base',
      '11:3 router_settings.num_retries',
      '12:3 router_settings.routing_strategy',
      '13:3 router_settings.retry_policy',
    ]);
    const lines = err.message.split('\n');
    expect(lines[0]).toBe('litellm.config.yaml: 7 configuration errors:');
    expect(lines).toContain(
      'litellm.config.yaml:11:3: router_settings.num_retries: expected a non-negative integer, got "three"',
    );
    expect(err.errors[0]?.message).toBe('expected a non-negative integer or null, got -1');
    expect(err.errors[2]?.message).toBe('is required');
  });

  it('never echoes a secret in a type error', () => {
    const err = parseError(`${minimal('model: groq/m\n      api_key: 123456789')}general_settings:\n  master_key: 987654321\n`);
    expect(err.errors.map((e) => e.path)).toEqual(['model_list[0].litellm_params.api_key', 'general_settings.master_key']);
    expect(err.message).not.toContain('123456789');
    expect(err.message).not.toContain('987654321');
  });

  it('requires a non-empty model_list', () => {
    expect(parseError('router_settings: {}\n').message).toBe('litellm.config.yaml:1:1: model_list: is required');
    expect(parseError('model_list: []\n').path).toBe('model_list');
    expect(parseError('').path).toBe('model_list');
    expect(parseError('- a\n').message).toContain('expected a map with model_list at the top level, got a list');
  });

  it('requires api_base for openai/ deployments and an http(s) URL', () => {
    expect(parseError(minimal('model: openai/x\n      api_key: k')).path).toBe('model_list[0].litellm_params.api_base');
    const err = parseError(minimal('model: openai/x\n      api_key: k\n      api_base: not a url'));
    expect(err.message).toContain('expected an http(s) URL, got "not a url"');
  });

  it('rejects an empty model after the provider prefix', () => {
    expect(parseError(minimal('model: groq/\n      api_key: k')).path).toBe('model_list[0].litellm_params.model');
  });

  it('names duplicate model_info ids at both paths', () => {
    const err = parseError(`model_list:
  - model_name: a
    litellm_params: {model: groq/m, api_key: k}
    model_info: {id: same}
  - model_name: b
    litellm_params: {model: groq/n, api_key: k}
    model_info: {id: same}
`);
    expect(err.path).toBe('model_list[1].model_info.id');
    expect(err.message).toContain('already used by model_list[0].model_info.id');
  });
});

describe('loadConfig', () => {
  it('reads a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'groq-router-config-'));
    const file = join(dir, 'litellm.config.yaml');
    writeFileSync(file, minimal());
    const config = loadConfig(file, {});
    expect(config.file).toBe(file);
    expect(config.deployments[0]?.apiKey).toBe('gsk_literal');
  });

  it('names a missing file', () => {
    const file = join(tmpdir(), 'groq-router-does-not-exist', 'litellm.config.yaml');
    expect(() => loadConfig(file, {})).toThrow(ConfigError);
    expect(() => loadConfig(file, {})).toThrow(file);
  });
});

describe('warnings', () => {
  it('names every unsupported key by path, with its position', () => {
    const config = parse(`model_list:
  - model_name: a
    litellm_params:
      model: groq/m
      api_key: k
      temperature: 0.2
      max_retries: 5
    tags: [x]
router_settings:
  provider_budget_config: {}
litellm_settings:
  cache: true
  success_callback: [langfuse, prometheus]
general_settings:
  store_model_in_db: true
telemetry: false
`);
    expect(config.warnings.map((w) => `${w.line}:${w.column} ${w.path}`)).toEqual([
      '6:7 model_list[0].litellm_params.temperature',
      '7:7 model_list[0].litellm_params.max_retries',
      '8:5 model_list[0].tags',
      '10:3 router_settings.provider_budget_config',
      '12:3 litellm_settings.cache',
      '13:22 litellm_settings.success_callback[0]',
      '15:3 general_settings.store_model_in_db',
      '16:1 telemetry',
    ]);
    expect(config.warnings[0]?.message).toBe('model_list[0].litellm_params.temperature: not supported, ignored');
    expect(config.warnings[1]?.message).toContain('num_retries');
    expect(config.warnings[5]?.message).toContain('"langfuse"');
  });

  it('maps LiteLLM routing strategy aliases with a warning', () => {
    const usage = parse(`${minimal()}router_settings:\n  routing_strategy: usage-based-routing\n`);
    expect(usage.router.routingStrategy).toBe('usage-based-routing-v2');
    expect(warningPaths(usage)).toEqual(['router_settings.routing_strategy']);
    const cost = parse(`${minimal()}router_settings:\n  routing_strategy: cost-based-routing\n`);
    expect(cost.router.routingStrategy).toBe('simple-shuffle');
    expect(cost.warnings[0]?.message).toContain('not supported');
  });

  it('excludes deployments of other providers, and drops them from fallbacks', () => {
    const config = parse(`model_list:
  - model_name: fast
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: k}
  - model_name: claude
    litellm_params: {model: anthropic/claude-sonnet-4, api_key: os.environ/ANTHROPIC_API_KEY}
router_settings:
  fallbacks: [{fast: [claude]}]
`);
    expect(config.deployments.map((d) => d.modelName)).toEqual(['fast']);
    expect(warningPaths(config)).toEqual([
      'model_list[1].litellm_params.model',
      'router_settings.fallbacks[0].fast[0]',
    ]);
    expect(config.warnings[0]?.message).toContain('"anthropic"');
    expect(config.router.fallbacks).toEqual({ fast: [] });
  });

  it('is an error when no deployment is usable at all', () => {
    expect(parseError(minimal('model: anthropic/claude')).message).toContain('no deployment has a supported provider');
  });

  it('leaves secret-looking model_info keys out, with a warning', () => {
    const config = parse(`${minimal()}    model_info:\n      max_output_tokens: 8192\n      langfuse_secret: shh\n`);
    expect(config.deployments[0]?.modelInfo).toEqual({ max_output_tokens: 8192 });
    expect(warningPaths(config)).toEqual(['model_list[0].model_info.langfuse_secret']);
  });
});

describe('router settings', () => {
  it('router_settings wins over litellm_settings, and says so', () => {
    const config = parse(`${minimal()}router_settings:
  num_retries: 1
  request_timeout: 30
litellm_settings:
  num_retries: 4
  request_timeout: 90
  allowed_fails: 7
  drop_params: true
`);
    expect(config.router).toMatchObject({ numRetries: 1, timeoutMs: 30_000, allowedFails: 7, dropParams: true });
    expect(warningPaths(config)).toEqual(['litellm_settings.num_retries', 'litellm_settings.request_timeout']);
  });

  it('has LiteLLM defaults', () => {
    expect(parse(minimal()).router).toEqual(LITELLM_ROUTER_DEFAULTS);
  });

  it('an unknown fallback alias is an error listing the known ones', () => {
    const err = parseError(`${TWO_ALIASES}router_settings:
  fallbacks:
    - big: [small, tiny]
`);
    expect(err).toMatchObject({ path: 'router_settings.fallbacks[0].big[1]', line: 8, column: 20 });
    expect(err.message).toContain('unknown model_name "tiny"');
    expect(err.expected).toBe('a model_name from model_list (or a model_info.id, for fallbacks): "big", "small"');
  });

  it('an unknown fallback source alias is an error too', () => {
    expect(parseError(`${TWO_ALIASES}router_settings:\n  context_window_fallbacks: [{huge: [big]}]\n`).path).toBe(
      'router_settings.context_window_fallbacks[0].huge',
    );
  });

  it('accepts a plain map, single-string targets, and "*" as default_fallbacks', () => {
    const config = parse(`${TWO_ALIASES}router_settings:
  fallbacks: [{big: small}, {"*": [small]}]
  content_policy_fallbacks: {small: [big]}
`);
    expect(config.router.fallbacks).toEqual({ big: ['small'] });
    expect(config.router.contentPolicyFallbacks).toEqual({ small: ['big'] });
    expect(config.router.defaultFallbacks).toEqual(['small']);
  });

  it('rejects fallback values that are not lists of names', () => {
    const err = parseError(`${TWO_ALIASES}router_settings:\n  fallbacks: [{big: [1]}, "small"]\n`);
    expect(err.errors.map((e) => e.path)).toEqual(['router_settings.fallbacks[0].big[0]', 'router_settings.fallbacks[1]']);
  });

  it('reads retry and allowed-fails policies, warning on unknown names', () => {
    const config = parse(`${minimal()}router_settings:
  retry_policy: {RateLimitErrorRetries: 0, NotARealErrorRetries: 3}
  allowed_fails_policy: {TimeoutErrorAllowedFails: 9}
`);
    expect(config.router.retryPolicy).toEqual({ RateLimitErrorRetries: 0 });
    expect(config.router.allowedFailsPolicy).toEqual({ TimeoutErrorAllowedFails: 9 });
    expect(warningPaths(config)).toEqual(['router_settings.retry_policy.NotARealErrorRetries']);
  });

  it('reads redis_url without echoing it on error', () => {
    expect(parse(`${minimal()}router_settings:\n  redis_url: redis://:pw@r:6379\n`).router.redis).toEqual({
      url: 'redis://:pw@r:6379',
    });
    const err = parseError(`${minimal()}router_settings:\n  redis_url: http://:pw@r\n`);
    expect(err.message).not.toContain('pw');
  });

  it('reads check_provider_endpoint from litellm_settings and the upstream model list settings', () => {
    const config = parse(`${minimal()}litellm_settings:
  check_provider_endpoint: true
router_settings:
  upstream_models_cache_ttl: 60
  upstream_models_timeout: 1.5
`);
    expect(config.router).toMatchObject({ checkProviderEndpoint: true, upstreamModelsCacheTtlSec: 60, upstreamModelsTimeoutSec: 1.5 });
    expect(config.warnings).toEqual([]);
    // A TTL of 0 turns the cache off; the timeout must be positive.
    expect(parse(`${minimal()}router_settings:\n  upstream_models_cache_ttl: 0\n`).router.upstreamModelsCacheTtlSec).toBe(0);
    expect(parseError(`${minimal()}router_settings:\n  upstream_models_timeout: 0\n`).message).toContain('router_settings.upstream_models_timeout');
  });

  it('validates check_provider_endpoint, which belongs to litellm_settings only', () => {
    const err = parseError(`${minimal()}litellm_settings:\n  check_provider_endpoint: sometimes\n`);
    expect(err.message).toContain('litellm_settings.check_provider_endpoint');
    expect(err.message).toContain('expected');
    const config = parse(`${minimal()}router_settings:\n  check_provider_endpoint: true\n`);
    expect(config.router.checkProviderEndpoint).toBe(false);
    expect(warningPaths(config)).toEqual(['router_settings.check_provider_endpoint']);
  });

  it('rejects an unknown groq_plan', () => {
    expect(parseError(`${minimal()}router_settings:\n  groq_plan: pro\n`).message).toContain(
      'expected one of "free", "developer", got "pro"',
    );
  });
});

describe('general settings', () => {
  it('falls back to LITELLM_MASTER_KEY when master_key is absent', () => {
    expect(parse(minimal(), { LITELLM_MASTER_KEY: 'sk-env' }).general.masterKey).toBe('sk-env');
    expect(parse(minimal(), {}).general.masterKey).toBeUndefined();
    const viaFile = parse(`${minimal()}environment_variables:\n  LITELLM_MASTER_KEY: sk-file\n`, {
      LITELLM_MASTER_KEY: 'sk-env',
    });
    expect(viaFile.general.masterKey).toBe('sk-file');
  });

  it('an explicit master_key wins over LITELLM_MASTER_KEY', () => {
    const config = parse(`${minimal()}general_settings:\n  master_key: sk-file\n`, { LITELLM_MASTER_KEY: 'sk-env' });
    expect(config.general.masterKey).toBe('sk-file');
  });

  it('requires auth for /metrics if either section asks for it', () => {
    const config = parse(`${minimal()}litellm_settings:\n  require_auth_for_metrics_endpoint: true\n`);
    expect(config.general.requireAuthForMetrics).toBe(true);
    expect(config.warnings).toEqual([]);
  });
});

describe('deployment ids', () => {
  const entry = (model: string, key: string, extra = '') =>
    minimal(`model: ${model}\n      api_key: ${key}${extra}`);

  it('are stable: same input, same id; a different api_key does not change it', () => {
    const a = parse(entry('groq/llama-3.1-8b-instant', 'k1')).deployments[0]?.id;
    expect(parse(entry('groq/llama-3.1-8b-instant', 'k1')).deployments[0]?.id).toBe(a);
    expect(parse(entry('groq/llama-3.1-8b-instant', 'k2')).deployments[0]?.id).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });

  it('do not depend on key order', () => {
    const one = parse(entry('groq/m', 'k', '\n      rpm: 5\n      tpm: 6'));
    const two = parse(entry('groq/m', 'k', '\n      tpm: 6\n      rpm: 5'));
    expect(one.deployments[0]?.id).toBe(two.deployments[0]?.id);
  });

  it('change with the model or any other non-secret param', () => {
    const a = parse(entry('groq/llama-3.1-8b-instant', 'k')).deployments[0]?.id;
    expect(parse(entry('groq/llama-3.3-70b-versatile', 'k')).deployments[0]?.id).not.toBe(a);
    expect(parse(entry('groq/llama-3.1-8b-instant', 'k', '\n      rpm: 5')).deployments[0]?.id).not.toBe(a);
  });

  it('stay unique when two entries differ only by key: the later one hashes its index too', () => {
    const text = `model_list:
  - model_name: a
    litellm_params: {model: groq/m, api_key: k1}
  - model_name: a
    litellm_params: {model: groq/m, api_key: k2}
`;
    const [first, second] = parse(text).deployments;
    expect(first?.id).toBe(parse(entry('groq/m', 'k1').replace('fast', 'a')).deployments[0]?.id);
    expect(second?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(second?.id).not.toBe(first?.id);
    expect(parse(text).deployments[1]?.id).toBe(second?.id);
  });
});

describe('YAML features LiteLLM users rely on', () => {
  it('supports anchors and << merge keys', () => {
    const config = parse(`x-groq: &groq
  api_key: gsk_shared
  rpm: 30
model_list:
  - model_name: a
    litellm_params:
      <<: *groq
      model: groq/llama-3.1-8b-instant
`);
    expect(config.deployments[0]).toMatchObject({ apiKey: 'gsk_shared', limits: { rpm: 30 } });
    expect(warningPaths(config)).toEqual(['x-groq']);
  });

  it('keeps absent limits undefined and explicit nulls null', () => {
    const d = parse(minimal('model: groq/m\n      api_key: k\n      rpm: null\n      tpd: 0')).deployments[0];
    expect(d?.limits).toEqual({ rpm: null, tpd: 0 });
    expect('tpm' in (d?.limits ?? {})).toBe(false);
  });
});

describe('publicParams', () => {
  it('drops api_key and other secret-looking keys and shows api_base without userinfo or query', () => {
    const d = parse(
      minimal(
        'model: openai/m\n      api_key: sk-real\n      api_base: https://user:pw@llm.example/v1?token=SECRET\n      aws_secret_access_key: x',
      ),
    ).deployments[0];
    expect(d?.apiBase).toBe('https://user:pw@llm.example/v1?token=SECRET');
    expect(d?.publicParams).toEqual({ model: 'openai/m', api_base: 'https://llm.example/v1' });
  });
});
