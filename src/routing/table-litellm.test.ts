import { describe, expect, it } from 'vitest';
import { table } from '../../test/support/routing-table.js';

/** Wildcard routes and fallbacks to a deployment id, as LiteLLM documents them. */

const names = (groups: readonly { name: string }[] | undefined) => groups?.map((g) => g.name);

describe('fallbacks to a model_info.id', () => {
  const yaml = `model_list:
  - model_name: coder
    litellm_params: {model: groq/openai/gpt-oss-120b, api_key: os.environ/GROQ_API_KEY}
    model_info: {id: oss-primary}
  - model_name: coder
    litellm_params: {model: groq/llama-3.3-70b-versatile, api_key: os.environ/GROQ_API_KEY}
    model_info: {id: oss-backup}
  - model_name: fast
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: os.environ/GROQ_API_KEY}
router_settings:
  fallbacks: [{fast: [oss-backup]}]
`;

  it('falls back to exactly that deployment, under its alias', () => {
    const chain = table(yaml).chainFor('fast', 10);
    expect(names(chain)).toEqual(['fast', 'coder']);
    expect(chain?.[1]?.deployments.map((d) => d.id)).toEqual(['oss-backup']);
  });
});

describe('wildcard routing', () => {
  const wildcard = `  - model_name: "groq/*"
    litellm_params: {model: "groq/*", api_key: os.environ/GROQ_API_KEY, rpm: 5}
`;

  it('"groq/*" alone serves every catalogue model under groq/<id>, with the catalogue budget', () => {
    const t = table(`model_list:\n${wildcard}`);
    const group = t.group('groq/llama-3.3-70b-versatile');
    expect(group?.deployments.map((d) => d.config.model)).toEqual(['llama-3.3-70b-versatile']);
    expect(group?.deployments[0]?.budget?.limits.tpm.source).toBe('catalogue');
    expect(group?.deployments[0]?.budget?.limits.rpm.limit).toBe(5);
    // Listed for /models from the start.
    expect([...t.groups.keys()]).toContain('groq/qwen/qwen3-32b');
    expect([...t.groups.keys()]).toContain('groq/openai/gpt-oss-120b');
  });

  it('a model outside the catalogue gets a group on first use, with only the entry limits', () => {
    const t = table(`model_list:\n${wildcard}`);
    const group = t.group('groq/brand-new-model');
    expect(group?.deployments[0]?.config.model).toBe('brand-new-model');
    expect(group?.deployments[0]?.budget?.limits.rpm).toEqual({ limit: 5, source: 'config' });
    expect(group?.deployments[0]?.budget?.limits.tpm.limit).toBeNull();
    expect(t.group('groq/brand-new-model')).toBe(group);
    expect(names(t.chainFor('groq/brand-new-model', 10))).toEqual(['groq/brand-new-model']);
    expect(t.group('openai/gpt-4o')).toBeUndefined();
  });

  it('a more specific alias wins over the wildcard', () => {
    const t = table(`model_list:
  - model_name: groq/llama-3.3-70b-versatile
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: os.environ/GROQ_API_KEY}
${wildcard}`);
    expect(t.group('groq/llama-3.3-70b-versatile')?.deployments.map((d) => d.config.model)).toEqual(['llama-3.1-8b-instant']);
    expect(t.patternOf('groq/llama-3.3-70b-versatile')).toBeUndefined();
    expect(t.patternOf('groq/qwen/qwen3-32b')).toBe('groq/*');
  });

  it('a model_name wildcard with a fixed model sends every match to that model', () => {
    const t = table(`model_list:
  - model_name: "gpt-*"
    litellm_params: {model: groq/openai/gpt-oss-120b, api_key: os.environ/GROQ_API_KEY}
`);
    expect(t.group('gpt-4o')?.name).toBe('gpt-*');
    expect(t.group('gpt-4o')?.deployments[0]?.config.model).toBe('openai/gpt-oss-120b');
    expect(t.group('claude')).toBeUndefined();
  });

  it('fallbacks written for the pattern apply to every name it serves', () => {
    const t = table(`model_list:
${wildcard}  - model_name: fast
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: os.environ/GROQ_API_KEY}
router_settings:
  fallbacks: [{"groq/*": [fast]}]
`);
    expect(names(t.chainFor('groq/qwen/qwen3-32b', 10))).toEqual(['groq/qwen/qwen3-32b', 'fast']);
    expect(names(t.chainFor('groq/unlisted', 10))).toEqual(['groq/unlisted', 'fast']);
  });
});
