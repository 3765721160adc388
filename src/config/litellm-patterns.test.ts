import { describe, expect, it } from 'vitest';
import { parse, parseError, TWO_ALIASES, warningPaths } from '../../test/support/config-text.js';

/** Config keys LiteLLM users write (LiteLLM's proxy config docs), each read or refused by name. */

const TWO_WITH_IDS = `model_list:
  - model_name: coder
    litellm_params: {model: groq/openai/gpt-oss-120b, api_key: k}
    model_info: {id: oss-primary}
  - model_name: coder
    litellm_params: {model: groq/llama-3.3-70b-versatile, api_key: k}
    model_info: {id: oss-backup}
`;

describe('fallbacks naming a model_info.id', () => {
  it('accepts an id as a fallback, context-window and default fallback target', () => {
    const config = parse(`${TWO_WITH_IDS}router_settings:
  fallbacks: [{coder: [oss-backup]}]
  context_window_fallbacks: [{coder: [oss-backup]}]
  default_fallbacks: [oss-backup]
`);
    expect(config.router.fallbacks).toEqual({ coder: ['oss-backup'] });
    expect(config.router.contextWindowFallbacks).toEqual({ coder: ['oss-backup'] });
    expect(config.router.defaultFallbacks).toEqual(['oss-backup']);
    expect(config.warnings).toEqual([]);
  });

  it('still refuses a name that is neither an alias nor an id', () => {
    const err = parseError(`${TWO_WITH_IDS}router_settings:\n  fallbacks: [{coder: [oss-spare]}]\n`);
    expect(err.errors[0]).toMatchObject({ path: 'router_settings.fallbacks[0].coder[0]' });
    expect(err.errors[0]?.message).toContain('unknown model_name "oss-spare"');
  });
});

describe('wildcard routing', () => {
  it('keeps a lone "groq/*" entry instead of refusing the config', () => {
    const config = parse(`model_list:\n  - model_name: "groq/*"\n    litellm_params: {model: "groq/*", api_key: k}\n`);
    expect(config.deployments.map((d) => [d.modelName, d.model])).toEqual([['groq/*', '*']]);
    expect(config.warnings).toEqual([]);
  });

  it('accepts a model_name wildcard mapped to one fixed model', () => {
    const config = parse(`model_list:\n  - model_name: "gpt-*"\n    litellm_params: {model: groq/openai/gpt-oss-120b, api_key: k}\n`);
    expect(config.deployments[0]).toMatchObject({ modelName: 'gpt-*', model: 'openai/gpt-oss-120b' });
  });

  it('refuses a model wildcard with nothing in model_name to fill it', () => {
    const err = parseError(`model_list:\n  - model_name: coder\n    litellm_params: {model: "groq/*", api_key: k}\n`);
    expect(err.errors[0]).toMatchObject({ path: 'model_list[0].litellm_params.model' });
    expect(err.errors[0]?.message).toContain('has a wildcard but model_name "coder" has none');
  });
});

describe('rpm/tpm where LiteLLM users write them', () => {
  const entry = (extra: string) => `model_list:
  - model_name: fast
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: k${extra.includes('PARAMS') ? ', rpm: 20' : ''}}
${extra.replace('PARAMS', '')}`;

  it('reads rpm/tpm at the entry top level, without a warning', () => {
    const config = parse(entry('    rpm: 6\n    tpm: 5000\n'));
    expect(config.deployments[0]?.limits).toEqual({ rpm: 6, tpm: 5000 });
    expect(config.warnings).toEqual([]);
  });

  it('reads rpm/tpm from model_info', () => {
    const config = parse(entry('    model_info: {rpm: 7, tpm: 6000}\n'));
    expect(config.deployments[0]?.limits).toEqual({ rpm: 7, tpm: 6000 });
  });

  it('keeps the tighter of two different values, with a warning naming both places', () => {
    const config = parse(entry('PARAMS    rpm: 6\n    model_info: {rpm: 50}\n'));
    expect(config.deployments[0]?.limits.rpm).toBe(6);
    expect(warningPaths(config)).toEqual(['model_list[0].rpm']);
    expect(config.warnings[0]?.message).toContain('model_list[0].litellm_params.rpm: 20');
    expect(config.warnings[0]?.message).toContain('using the tighter 6');
  });

  it('equal values in two places are no conflict', () => {
    const config = parse(entry('PARAMS    rpm: 20\n'));
    expect(config.deployments[0]?.limits.rpm).toBe(20);
    expect(config.warnings).toEqual([]);
  });

  it('refuses a top-level limit that is not a number, naming its path', () => {
    const err = parseError(entry('    rpm: lots\n'));
    expect(err.errors[0]).toMatchObject({ path: 'model_list[0].rpm' });
  });
});

describe('optional settings from unset variables', () => {
  const redis = `model_list:
  - model_name: fast
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: k}
router_settings:
  redis_host: localhost
  redis_port: 6379
  redis_password: os.environ/REDIS_PASSWORD
  redis_username: os.environ/REDIS_USERNAME
`;

  it('an unset redis_password or redis_username means "not set", with one warning each', () => {
    const config = parse(redis, {});
    expect(config.router.redis).toEqual({ host: 'localhost', port: 6379 });
    expect(warningPaths(config)).toEqual(['router_settings.redis_password', 'router_settings.redis_username']);
    expect(config.warnings[0]?.message).toContain('REDIS_PASSWORD is not set');
  });

  it('uses them when set', () => {
    const config = parse(redis, { REDIS_PASSWORD: 'pw', REDIS_USERNAME: 'gw' });
    expect(config.router.redis).toEqual({ host: 'localhost', port: 6379, password: 'pw', username: 'gw' });
  });

  it('a required setting from an unset variable is still an error naming the variable', () => {
    const err = parseError(`${redis}  redis_url: os.environ/REDIS_URL\n`, {});
    expect(err.errors[0]?.message).toContain('environment variable REDIS_URL is not set');
  });
});

describe('keys that would have no effect are warned about', () => {
  it('content_policy_fallbacks: Groq has no content-filter error', () => {
    const config = parse(`${TWO_ALIASES}litellm_settings:\n  content_policy_fallbacks: [{big: [small]}]\n`);
    expect(warningPaths(config)).toEqual(['litellm_settings.content_policy_fallbacks']);
    expect(config.warnings[0]?.message).toContain('no content-policy errors');
  });

  it('retry and allowed-fails classes this gateway never retries or counts', () => {
    const config = parse(`${TWO_ALIASES}router_settings:
  retry_policy: {BadRequestErrorRetries: 2, ContentPolicyViolationErrorRetries: 1, TimeoutErrorRetries: 3}
  allowed_fails_policy: {BadRequestErrorAllowedFails: 5, RateLimitErrorAllowedFails: 9}
`);
    expect(warningPaths(config).sort()).toEqual([
      'router_settings.allowed_fails_policy.BadRequestErrorAllowedFails',
      'router_settings.retry_policy.BadRequestErrorRetries',
      'router_settings.retry_policy.ContentPolicyViolationErrorRetries',
    ]);
    expect(config.router.retryPolicy.TimeoutErrorRetries).toBe(3);
  });
});
