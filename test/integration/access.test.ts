import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashClientKey } from '../../src/config/client-key-hash.js';
import { deploymentYaml, startStack, type Stack } from './harness.js';

const MASTER = 'sk-master-access-test-0000000000000001';
const ALICE = 'sk-grk-alice-access-test-000000000000002';
const WRONG = 'sk-grk-wrong-access-test-000000000000003';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    yaml: `model_list:
${deploymentYaml('groq/llama-3.3-70b-versatile', 'llama-3.3-70b-versatile')}${deploymentYaml('groq/openai/gpt-oss-120b', 'openai/gpt-oss-120b')}
general_settings:
  master_key: os.environ/ACCESS_MASTER_KEY
  client_keys:
    - alias: alice
      key_hash: ${hashClientKey(ALICE)}
      key_preview: sk-...0002
      models: [groq/openai/gpt-oss-120b]
`,
    env: { ACCESS_MASTER_KEY: MASTER },
  });
});
afterAll(async () => {
  await stack?.close();
});

type Who = 'none' | 'wrong' | 'master' | 'client';
const headersFor = (who: Who): Record<string, string> =>
  who === 'none' ? {} : { authorization: `Bearer ${who === 'wrong' ? WRONG : who === 'master' ? MASTER : ALICE}` };

async function call(method: string, path: string, who: Who, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headersFor(who) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

const chatTo = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }] });

/** Every route, with a request that succeeds for the master key. */
const ROUTES: Array<[string, string, unknown?]> = [
  ['POST', '/chat/completions', chatTo('groq/llama-3.3-70b-versatile')],
  ['POST', '/v1/chat/completions', chatTo('groq/llama-3.3-70b-versatile')],
  ['POST', '/openai/v1/chat/completions', chatTo('groq/llama-3.3-70b-versatile')],
  ['GET', '/models'],
  ['GET', '/v1/models'],
  ['GET', '/model/info'],
  ['GET', '/v1/model/info'],
  ['GET', '/model_group/info'],
  ['GET', '/health'],
  ['GET', '/quota'],
  ['POST', '/config/reload'],
];

describe('with a master key and client keys configured', () => {
  it.each(ROUTES)('%s %s: 401 without a key and with a wrong one, 200 with the master key', async (method, path, body) => {
    for (const who of ['none', 'wrong'] as const) {
      const { status, text } = await call(method, path, who, body);
      expect(status, `${who} key`).toBe(401);
      const error = (JSON.parse(text) as { error: { type: string; message: string; code: string } }).error;
      expect(error.type).toBe('authentication_error');
      expect(text).not.toContain(WRONG);
    }
    expect((await call(method, path, 'master', body)).status).toBe(200);
  });

  it('leaves the probes and (by default) /metrics open', async () => {
    for (const path of ['/health/liveliness', '/health/readiness', '/metrics']) expect((await call('GET', path, 'none')).status, path).toBe(200);
  });

  it('lets a client key use its aliases only, and shows it only those', async () => {
    expect((await call('POST', '/v1/chat/completions', 'client', chatTo('groq/openai/gpt-oss-120b'))).status).toBe(200);
    const refused = await call('POST', '/v1/chat/completions', 'client', chatTo('groq/llama-3.3-70b-versatile'));
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { type: 'permission_error', code: 'model_not_allowed' } });
    const models = JSON.parse((await call('GET', '/v1/models', 'client')).text) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toEqual(['groq/openai/gpt-oss-120b']);
    const info = JSON.parse((await call('GET', '/v1/model/info', 'client')).text) as { data: Array<{ model_name: string }> };
    expect(info.data.map((m) => m.model_name)).toEqual(['groq/openai/gpt-oss-120b']);
    // An unknown name's 404 lists the aliases this key may use, not everyone's.
    const unknown = await call('POST', '/v1/chat/completions', 'client', chatTo('nope'));
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('groq/openai/gpt-oss-120b');
    expect(unknown.text).not.toContain('llama-3.3-70b-versatile');
  });

  it('keeps operator routes to the master key', async () => {
    const reload = await call('POST', '/config/reload', 'client');
    expect(reload.status).toBe(403);
  });

  it('accepts x-litellm-api-key as LiteLLM does', async () => {
    const res = await fetch(`${stack.url}/v1/models`, { headers: { 'x-litellm-api-key': MASTER } });
    expect(res.status).toBe(200);
  });
});
