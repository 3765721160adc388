import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load.js';
import type { CheckReport } from '../../src/commands/check-report.js';
import { runCheck } from '../../src/commands/check.js';
import { loadConfig } from '../../src/config/load.js';
import { Gateway } from '../../src/gateway.js';

/**
 * The regression suite for "a LiteLLM config for Groq works unchanged": one file per pattern found in
 * LiteLLM's docs and example configs, each loaded by `check` and by the gateway, with the warnings and
 * the routing table it must give.
 */

const DIR = join(import.meta.dirname, '../fixtures/litellm-configs');
const ENV = { GROQ_API_KEY: 'gsk_fixture_key_0000000000000000', REDIS_HOST: '127.0.0.1', REDIS_PORT: '6379' };

interface Expected {
  /** Warning paths, in file order. */
  readonly warnings: readonly string[];
  /** Chains (group names in order) for these aliases; other aliases may exist. */
  readonly chains: Readonly<Record<string, readonly string[]>>;
  /** Deployment ids in the chain of these aliases, where it matters which deployment serves. */
  readonly deploymentIds?: Readonly<Record<string, readonly (readonly string[])[]>>;
  /** Limits a deployment of the alias runs under. */
  readonly limits?: Readonly<Record<string, { readonly rpm?: number | null; readonly tpm?: number | null }>>;
}

const EXPECTED: Readonly<Record<string, Expected>> = {
  '01-groq-provider-basic.yaml': {
    warnings: [],
    chains: { 'groq-llama3-70b': ['groq-llama3-70b'], 'groq-llama3-8b': ['groq-llama3-8b'] },
  },
  '02-wildcard-provider.yaml': {
    warnings: [],
    chains: { 'groq/llama-3.3-70b-versatile': ['groq/llama-3.3-70b-versatile'], 'groq/openai/gpt-oss-120b': ['groq/openai/gpt-oss-120b'] },
    limits: { 'groq/llama-3.1-8b-instant': { rpm: 30 } },
  },
  '03-wildcard-beside-aliases.yaml': {
    warnings: [],
    chains: { 'groq/llama-3.3-70b-versatile': ['groq/llama-3.3-70b-versatile'], 'groq/qwen/qwen3-32b': ['groq/qwen/qwen3-32b'], 'fo::*:static::*': ['fo::*:static::*'] },
    // The explicit alias (rpm 10) wins over the wildcard's copy of the same name.
    limits: { 'groq/llama-3.3-70b-versatile': { rpm: 10 } },
  },
  '04-load-balancing-rpm-tpm.yaml': {
    warnings: ['model_list[1].litellm_params.api_key'],
    chains: { 'llama-70b': ['llama-70b'] },
    limits: { 'llama-70b': { rpm: 30, tpm: 12000 } },
  },
  '05-fallbacks-retries.yaml': {
    warnings: [],
    chains: { 'llama-70b': ['llama-70b', 'gpt-oss', 'llama-8b'], 'gpt-oss': ['gpt-oss'] },
  },
  '06-context-window-fallbacks.yaml': {
    warnings: [],
    chains: { 'small-context': ['small-context'], 'large-context': ['large-context'] },
  },
  '07-fallback-to-deployment-id.yaml': {
    warnings: [],
    chains: { fast: ['fast', 'coder', 'coder'], coder: ['coder'] },
    deploymentIds: { fast: [[], ['oss-backup'], ['oss-primary']] },
  },
  '08-retry-policy.yaml': {
    warnings: [
      'router_settings.retry_policy.ContentPolicyViolationErrorRetries',
      'router_settings.retry_policy.BadRequestErrorRetries',
      'router_settings.allowed_fails_policy.BadRequestErrorAllowedFails',
      'router_settings.allowed_fails_policy.ContentPolicyViolationErrorAllowedFails',
    ],
    chains: { 'llama-70b': ['llama-70b'] },
  },
  '09-content-policy-fallbacks.yaml': {
    warnings: ['litellm_settings.content_policy_fallbacks'],
    chains: { 'llama-70b': ['llama-70b'] },
  },
  '10-redis-from-env.yaml': {
    warnings: ['router_settings.redis_password'],
    chains: { 'llama-70b': ['llama-70b'] },
  },
  '11-prometheus-and-loggers.yaml': {
    warnings: ['litellm_settings.success_callback[0]', 'litellm_settings.set_verbose'],
    chains: { 'llama-70b': ['llama-70b'] },
  },
  '12-master-key-database-alerting.yaml': {
    warnings: ['general_settings.database_url', 'general_settings.alerting', 'general_settings.store_model_in_db'],
    chains: { 'llama-70b': ['llama-70b'] },
  },
  '13-default-fallbacks-star.yaml': {
    warnings: [],
    chains: { 'llama-70b': ['llama-70b', 'llama-8b'], 'llama-8b': ['llama-8b'] },
  },
  '14-tags-and-caching.yaml': {
    warnings: ['model_list[0].litellm_params.tags', 'litellm_settings.cache', 'litellm_settings.cache_params', 'router_settings.enable_tag_filtering'],
    chains: { 'llama-70b': ['llama-70b'] },
    limits: { 'llama-70b': { rpm: 20 } },
  },
};

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();
const catalog = loadCatalog();
const gateways: Gateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
});

function check(file: string): { status: number; report: CheckReport } {
  let out = '';
  const status = runCheck(['--config', file, '--json'], { out: (t) => (out += t), err: (t) => (out += t) }, { env: ENV });
  return { status, report: JSON.parse(out) as CheckReport };
}

describe('LiteLLM config fixtures', () => {
  it('has at least ten patterns, each with expectations', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    expect(Object.keys(EXPECTED).sort()).toEqual(files);
  });

  describe.each(files)('%s', (name) => {
    const file = join(DIR, name);
    const expected = EXPECTED[name] as Expected;

    it('check accepts it, with exactly the expected warnings', () => {
      const { status, report } = check(file);
      expect(status).toBe(0);
      expect(report.warnings.map((w) => w.path)).toEqual(expected.warnings);
      const chains = Object.fromEntries(report.aliases.map((a) => [a.alias, a.chain]));
      for (const [alias, chain] of Object.entries(expected.chains)) expect(chains[alias], alias).toEqual(chain);
      for (const [alias, limits] of Object.entries(expected.limits ?? {})) {
        const deployment = report.aliases.find((a) => a.alias === alias)?.deployments[0];
        if (limits.rpm !== undefined) expect(deployment?.limits.rpm.limit, `${alias} rpm`).toBe(limits.rpm);
        if (limits.tpm !== undefined) expect(deployment?.limits.tpm.limit, `${alias} tpm`).toBe(limits.tpm);
      }
    });

    it('the gateway loads it and routes as check says', () => {
      const config = loadConfig(file, ENV);
      const gateway = new Gateway(config, catalog, { onConfigFault: (message) => expect.fail(message) });
      gateways.push(gateway);
      const { table } = gateway.current;
      for (const [alias, chain] of Object.entries(expected.chains)) {
        expect(table.chainFor(alias, 0)?.map((g) => g.name), alias).toEqual(chain);
      }
      for (const [alias, ids] of Object.entries(expected.deploymentIds ?? {})) {
        const chain = table.chainFor(alias, 0) ?? [];
        chain.forEach((group, i) => {
          const want = ids[i] ?? [];
          if (want.length > 0) expect(group.deployments.map((d) => d.id)).toEqual(want);
        });
      }
    });
  });
});

describe('check --litellm-diff', () => {
  function diff(name: string): { path: string; treatment: string; note: string }[] {
    let out = '';
    const status = runCheck(['--config', join(DIR, name), '--litellm-diff', '--json'], { out: (t) => (out += t), err: (t) => (out += t) }, { env: ENV });
    expect(status).toBe(0);
    return (JSON.parse(out) as { keys: { path: string; treatment: string; note: string }[] }).keys;
  }

  it('lists every key of the file with its treatment', () => {
    const rows = diff('14-tags-and-caching.yaml');
    const byPath = Object.fromEntries(rows.map((r) => [r.path, r]));
    expect(Object.keys(byPath)).toEqual([
      'model_list',
      'model_list[0].model_name',
      'model_list[0].litellm_params',
      'model_list[0].litellm_params.model',
      'model_list[0].litellm_params.api_key',
      'model_list[0].litellm_params.tags',
      'model_list[0].model_info',
      'model_list[0].model_info.rpm',
      'litellm_settings',
      'litellm_settings.cache',
      'litellm_settings.cache_params',
      'router_settings',
      'router_settings.enable_tag_filtering',
    ]);
    expect(byPath['model_list[0].litellm_params.tags']?.treatment).toBe('ignored');
    expect(byPath['model_list[0].model_info.rpm']).toMatchObject({ treatment: 'honoured differently', note: expect.stringContaining('hard budget') });
    expect(byPath['model_list[0].litellm_params.model']?.treatment).toBe('honoured');
  });

  it('says how retry classes, wildcards and unset optional variables are taken', () => {
    const retry = Object.fromEntries(diff('08-retry-policy.yaml').map((r) => [r.path, r]));
    expect(retry['router_settings.retry_policy.BadRequestErrorRetries']?.treatment).toBe('ignored');
    expect(retry['router_settings.retry_policy.TimeoutErrorRetries']?.treatment).toBe('honoured');
    const wildcard = Object.fromEntries(diff('02-wildcard-provider.yaml').map((r) => [r.path, r]));
    expect(wildcard['model_list[0].litellm_params.model']).toMatchObject({ treatment: 'honoured differently', note: expect.stringContaining('catalogue') });
    const redis = Object.fromEntries(diff('10-redis-from-env.yaml').map((r) => [r.path, r]));
    expect(redis['router_settings.redis_password']).toMatchObject({ treatment: 'honoured differently', note: expect.stringContaining('REDIS_PASSWORD is not set') });
  });
});
