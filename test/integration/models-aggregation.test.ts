import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashClientKey } from '../../src/config/client-key-hash.js';
import { deploymentYaml, startStack, UPSTREAM_KEY, type Stack } from './harness.js';

const KEY_B = 'gsk_integration_failing_org_key_11111111';
const KEY_C = 'gsk_integration_hanging_org_key_22222222';
const MASTER = 'sk-master-models-test-000000000000000001';
const ALICE = 'sk-grk-alice-models-test-00000000000000002';
const ALIAS_A = 'groq/llama-3.1-8b-instant';
const ALIAS_B = 'groq/openai/gpt-oss-20b';
const ALIAS_C = 'groq/qwen/qwen3-32b';

const previewOf = (key: string) => `${key.slice(0, 4)}...${key.slice(-4)}`;
const withKey = (yaml: string, variable: string) => yaml.replace('os.environ/GROQ_API_KEY', `os.environ/${variable}`);
const clientKeys = `  client_keys:
    - alias: alice
      key_hash: ${hashClientKey(ALICE)}
      key_preview: sk-...0002
      models: [${ALIAS_A}]
`;

interface Listed {
  id: string;
  object: string;
  created: number;
  owned_by: string;
  groq_router?: { kind: 'alias' } | { kind: 'upstream'; accounts: string[]; aliases: string[] };
}
interface Listing {
  object: 'list';
  data: Listed[];
  upstream_errors?: Array<{ account: string; account_id: string; message: string }>;
}

async function list(stack: Stack, query: string, key = MASTER): Promise<{ status: number; body: Listing; text: string }> {
  const res = await fetch(`${stack.url}/v1/models${query}`, { headers: { authorization: `Bearer ${key}` } });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Listing, text };
}

const modelCalls = (stack: Stack) => stack.fake.calls.filter((c) => c.path === '/openai/v1/models');

describe('GET /models with upstream models: one key works, one fails, one hangs', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      yaml: `model_list:
${deploymentYaml(ALIAS_A, 'llama-3.1-8b-instant')}${withKey(deploymentYaml(ALIAS_B, 'openai/gpt-oss-20b'), 'GROQ_KEY_B')}${withKey(deploymentYaml(ALIAS_C, 'qwen/qwen3-32b'), 'GROQ_KEY_C')}router_settings:
  upstream_models_timeout: 1
general_settings:
  master_key: os.environ/MODELS_MASTER_KEY
${clientKeys}`,
      env: { GROQ_KEY_B: KEY_B, GROQ_KEY_C: KEY_C, MODELS_MASTER_KEY: MASTER },
      fake: { modelsByKey: { [UPSTREAM_KEY]: ['llama-3.1-8b-instant', 'openai/gpt-oss-20b', 'whisper-large-v3'] } },
    });
    stack.fake.failModels(KEY_B, 503);
    stack.fake.failModels(KEY_C, 'hang');
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('is unchanged by default: the aliases only, in OpenAI’s shape, and no upstream call', async () => {
    const { status, body } = await list(stack, '');
    expect(status).toBe(200);
    expect(body).toEqual({
      object: 'list',
      data: [ALIAS_A, ALIAS_B, ALIAS_C].map((id) => ({ id, object: 'model', created: expect.any(Number), owned_by: 'groq-router' })),
    });
    expect(modelCalls(stack)).toEqual([]);
  });

  it("answers within the timeout with the working key's models marked upstream, the aliases marked, and the failures listed", async () => {
    // The hanging key never answers: the listing coming back at all, with that key's timeout among the
    // errors below, shows it was given up on after upstream_models_timeout (1 s), not waited for.
    const { status, body, text } = await list(stack, '?include_upstream=true');
    expect(status).toBe(200);
    expect(body.data.slice(0, 3)).toEqual(
      [ALIAS_A, ALIAS_B, ALIAS_C].map((id) => ({ id, object: 'model', created: expect.any(Number), owned_by: 'groq-router', groq_router: { kind: 'alias' } })),
    );
    const upstream = body.data.slice(3);
    expect(upstream).toEqual([
      {
        id: 'llama-3.1-8b-instant',
        object: 'model',
        created: 1_733_000_000,
        owned_by: 'Meta',
        groq_router: { kind: 'upstream', accounts: [previewOf(UPSTREAM_KEY)], aliases: [ALIAS_A] },
      },
      { id: 'openai/gpt-oss-20b', object: 'model', created: 1_733_000_000, owned_by: 'OpenAI', groq_router: { kind: 'upstream', accounts: [previewOf(UPSTREAM_KEY)], aliases: [ALIAS_B] } },
      { id: 'whisper-large-v3', object: 'model', created: expect.any(Number), owned_by: 'OpenAI', groq_router: { kind: 'upstream', accounts: [previewOf(UPSTREAM_KEY)], aliases: [] } },
    ]);
    expect(body.upstream_errors).toEqual([
      { account: previewOf(KEY_B), account_id: expect.stringMatching(/^acct_[0-9a-f]{12}$/), message: expect.stringContaining('HTTP 503') },
      { account: previewOf(KEY_C), account_id: expect.stringMatching(/^acct_[0-9a-f]{12}$/), message: 'no answer within 1 s' },
    ]);
    // Each key was asked once, with its own credentials, through the SDK.
    expect(modelCalls(stack).map((c) => c.keyPreview).sort()).toEqual([previewOf(UPSTREAM_KEY), previewOf(KEY_B), previewOf(KEY_C)].sort());
    for (const key of [UPSTREAM_KEY, KEY_B, KEY_C, MASTER]) expect(text).not.toContain(key);
  });

  it('serves the second listing from the cache: no new upstream /models call within the TTL, and no wait', async () => {
    const calls = modelCalls(stack).length;
    const { body } = await list(stack, '?include_upstream=true');
    // No key was asked again, the hanging one included: nothing was waited for.
    expect(modelCalls(stack).length).toBe(calls);
    expect(body.data.map((m) => m.id)).toContain('openai/gpt-oss-20b');
    // Failing keys are not asked again at once either; their failure is still reported.
    expect(body.upstream_errors?.map((e) => e.account)).toEqual([previewOf(KEY_B), previewOf(KEY_C)]);
  });

  it('works through the official clients', async () => {
    const groqList = await stack.groq(MASTER).models.list({ query: { include_upstream: 'true' } });
    expect(groqList.data.map((m) => m.id)).toEqual([ALIAS_A, ALIAS_B, ALIAS_C, 'llama-3.1-8b-instant', 'openai/gpt-oss-20b', 'whisper-large-v3']);
    const page = await stack.openai(MASTER).models.list({ query: { include_upstream: 'true' } });
    expect(page.data.find((m) => m.id === 'llama-3.1-8b-instant')).toMatchObject({ owned_by: 'Meta', groq_router: { kind: 'upstream' } });
    await expect(stack.openai(ALICE).models.list({ query: { include_upstream: 'true' } })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it('refuses upstream models to a client key, which keeps its own aliases', async () => {
    expect((await list(stack, '?include_upstream=true', ALICE)).status).toBe(403);
    const { status, body } = await list(stack, '', ALICE);
    expect(status).toBe(200);
    expect(body.data.map((m) => m.id)).toEqual([ALIAS_A]);
    expect((await list(stack, '?include_upstream=maybe')).status).toBe(400);
  });
});

describe('litellm_settings.check_provider_endpoint: true', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      yaml: `model_list:
${deploymentYaml(ALIAS_A, 'llama-3.1-8b-instant')}${deploymentYaml(ALIAS_B, 'openai/gpt-oss-20b')}litellm_settings:
  check_provider_endpoint: true
general_settings:
  master_key: os.environ/MODELS_MASTER_KEY
${clientKeys}`,
      env: { MODELS_MASTER_KEY: MASTER },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('lists upstream models for the master key without asking, fetched once per TTL for the one account both aliases share', async () => {
    const first = await list(stack, '');
    expect(first.body.upstream_errors).toBeUndefined();
    const gptOss = first.body.data.find((m) => m.id === 'openai/gpt-oss-20b');
    expect(gptOss?.groq_router).toEqual({ kind: 'upstream', accounts: [previewOf(UPSTREAM_KEY)], aliases: [ALIAS_B] });
    expect(first.body.data.filter((m) => m.groq_router?.kind === 'upstream').length).toBeGreaterThan(10);
    await list(stack, '');
    await list(stack, '?include_upstream=true');
    expect(modelCalls(stack)).toHaveLength(1);
  });

  it('gives client keys their aliases only, and include_upstream=false turns it off', async () => {
    const alice = await list(stack, '', ALICE);
    expect(alice.body).toEqual({ object: 'list', data: [{ id: ALIAS_A, object: 'model', created: expect.any(Number), owned_by: 'groq-router' }] });
    const off = await list(stack, '?include_upstream=false');
    expect(off.body.data.map((m) => m.id)).toEqual([ALIAS_A, ALIAS_B]);
  });

  it('still answers at every prefix', async () => {
    for (const prefix of ['', '/v1', '/openai/v1', '/v1/v1']) {
      const res = await fetch(`${stack.url}${prefix}/models`, { headers: { authorization: `Bearer ${MASTER}` } });
      expect(res.status, prefix).toBe(200);
    }
  });
});
