import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, UPSTREAM_KEY, type Stack } from './harness.js';

const yaml = `model_list:
${deploymentYaml('groq/llama-3.3-70b-versatile', 'llama-3.3-70b-versatile')}${deploymentYaml('groq/meta-llama/llama-4-scout-17b-16e-instruct', 'meta-llama/llama-4-scout-17b-16e-instruct')}${deploymentYaml('groq/moonshotai/kimi-k2-instruct-0905', 'moonshotai/kimi-k2-instruct-0905')}  - model_name: groq/custom
    litellm_params:
      model: groq/llama-3.1-8b-instant
      api_key: os.environ/GROQ_API_KEY
      api_base: FAKE_URL
    model_info:
      id: custom-8b
      max_input_tokens: 4096
  - model_name: groq/no-key
    litellm_params:
      model: groq/llama-3.1-8b-instant
      api_key: os.environ/UNSET_GROQ_KEY_FOR_TEST
`;

/** Kilo Code's discovery request, as its LiteLLM provider sends it. */
const kiloHeaders = {
  authorization: 'Bearer dummy-key',
  'http-referer': 'https://kilocode.ai',
  'x-title': 'Kilo Code',
  'user-agent': 'Kilo-Code/4.0.0',
};

interface ModelInfoEntry {
  model_name: string;
  litellm_params: Record<string, unknown>;
  model_info: Record<string, unknown>;
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ yaml });
});
afterAll(async () => {
  await stack?.close();
});

async function getJson<T>(path: string): Promise<{ status: number; body: T; type: string | null }> {
  const res = await fetch(`${stack.url}${path}`, { headers: kiloHeaders });
  return { status: res.status, body: (await res.json()) as T, type: res.headers.get('content-type') };
}

describe("Kilo Code's /v1/model/info contract", () => {
  it('lists every alias with a non-empty model_name, an object model_info and a non-empty litellm_params.model', async () => {
    const { status, body, type } = await getJson<{ data: ModelInfoEntry[] }>('/v1/model/info');
    expect(status).toBe(200);
    expect(type).toContain('application/json');
    expect(Array.isArray(body.data)).toBe(true);
    for (const entry of body.data) {
      expect(typeof entry.model_name).toBe('string');
      expect(entry.model_name.length).toBeGreaterThan(0);
      expect(typeof entry.model_info).toBe('object');
      expect(entry.model_info).not.toBeNull();
      expect(typeof entry.litellm_params.model).toBe('string');
      expect((entry.litellm_params.model as string).length).toBeGreaterThan(0);
    }
    const { body: models } = await getJson<{ data: Array<{ id: string }> }>('/v1/models');
    const listed = new Set(body.data.map((e) => e.model_name));
    for (const { id } of models.data) expect(listed.has(id)).toBe(true);
    expect(listed.size).toBe(5);
  });

  it('fills model_info from the catalogue with the fields Kilo Code reads', async () => {
    const { body } = await getJson<{ data: ModelInfoEntry[] }>('/v1/model/info');
    const byName = new Map(body.data.map((e) => [e.model_name, e.model_info]));
    expect(byName.get('groq/llama-3.3-70b-versatile')).toMatchObject({
      max_input_tokens: 131072,
      max_output_tokens: 32768,
      max_tokens: 32768,
      input_cost_per_token: 5.9e-7,
      output_cost_per_token: 7.9e-7,
      supports_vision: false,
      supports_function_calling: true,
      supports_prompt_caching: false,
      mode: 'chat',
      litellm_provider: 'groq',
    });
    expect(byName.get('groq/meta-llama/llama-4-scout-17b-16e-instruct')).toMatchObject({ supports_vision: true });
    expect(byName.get('groq/moonshotai/kimi-k2-instruct-0905')).toMatchObject({ max_input_tokens: 262144 });
    // The config's model_info wins over the catalogue.
    expect(byName.get('groq/custom')).toMatchObject({ id: 'custom-8b', max_input_tokens: 4096 });
  });

  it('answers at every path Kilo Code and the SDKs use', async () => {
    for (const path of ['/model/info', '/v1/model/info', '/v1/v1/model/info', '/models', '/v1/models', '/openai/v1/models', '/model_group/info']) {
      const { status } = await getJson(path);
      expect(status, path).toBe(200);
    }
  });

  it('never shows an API key', async () => {
    for (const path of ['/v1/model/info', '/model_group/info', '/health', '/v1/models']) {
      const res = await fetch(`${stack.url}${path}`);
      const text = await res.text();
      expect(text, path).not.toContain(UPSTREAM_KEY);
      expect(text, path).not.toMatch(/"api_key"\s*:/);
    }
  });
});

describe('health', () => {
  it('reports liveliness and readiness without a key, and per-deployment status', async () => {
    expect((await getJson('/health/liveliness')).status).toBe(200);
    // groq/no-key has no usable deployment, so the gateway is not ready: it says which alias and why.
    const readiness = await getJson<{ status: string; unusable_aliases: Array<{ alias: string }> }>('/health/readiness');
    expect(readiness.status).toBe(503);
    expect(readiness.body.status).toBe('unhealthy');
    expect(readiness.body.unusable_aliases.map((u) => u.alias)).toEqual(['groq/no-key']);
    const health = await getJson<{ healthy_count: number; unhealthy_count: number; unhealthy_endpoints: Array<{ model_name: string; error: string }> }>(
      '/health',
    );
    expect(health.body.healthy_count).toBe(4);
    expect(health.body.unhealthy_count).toBe(1);
    expect(health.body.unhealthy_endpoints[0]).toMatchObject({ model_name: 'groq/no-key' });
    expect(health.body.unhealthy_endpoints[0]?.error).toContain('UNSET_GROQ_KEY_FOR_TEST');
  });

  it('warns loudly at start-up about the missing key variable, naming it', () => {
    expect(stack.logs.some((line) => line.includes('WARN') && line.includes('UNSET_GROQ_KEY_FOR_TEST'))).toBe(true);
  });

  it('answers a request for an alias whose only deployment has no key with a clear 503', async () => {
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'groq/no-key', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain('UNSET_GROQ_KEY_FOR_TEST');
  });
});
