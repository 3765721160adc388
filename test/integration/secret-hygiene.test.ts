import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashClientKey } from '../../src/config/client-key-hash.js';
import { deploymentYaml, startStack, UPSTREAM_KEY, type Stack } from './harness.js';

const MASTER = 'sk-master-hygiene-RECOGNISABLE-000000001';
const CLIENT = 'sk-grk-client-hygiene-RECOGNISABLE-00002';
const BAD_UPSTREAM = 'gsk_bad_upstream_RECOGNISABLE_000000003';
const SECRETS = [MASTER, CLIENT, BAD_UPSTREAM, UPSTREAM_KEY];

let stack: Stack;
const seen: string[] = [];

beforeAll(async () => {
  stack = await startStack({
    yaml: `model_list:
${deploymentYaml('good', 'llama-3.3-70b-versatile')}  - model_name: bad-key
    litellm_params:
      model: groq/llama-3.1-8b-instant
      api_key: os.environ/BAD_UPSTREAM_KEY
      api_base: FAKE_URL
litellm_settings:
  fallbacks:
    - bad-key: [good]
general_settings:
  master_key: os.environ/HYGIENE_MASTER
  client_keys:
    - alias: hygiene
      key_hash: ${hashClientKey(CLIENT)}
`,
    env: { HYGIENE_MASTER: MASTER, BAD_UPSTREAM_KEY: BAD_UPSTREAM },
    fake: { keys: [UPSTREAM_KEY] },
  });
});
afterAll(async () => {
  await stack?.close();
});

/** Records everything a caller can see of an answer: status line, headers and body. */
async function visit(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(`${stack.url}${path}`, init);
  const body = await res.clone().text();
  seen.push(`${res.status} ${path}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${body}`);
  return res;
}

const post = (path: string, body: unknown, key = MASTER) =>
  visit(path, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const get = (path: string, key = MASTER) => visit(path, { headers: { authorization: `Bearer ${key}` } });

describe('secret hygiene', () => {
  it('never shows an upstream, master or client key in answers, logs or metrics', async () => {
    const messages = [{ role: 'user', content: 'hi' }];
    await post('/v1/chat/completions', { model: 'good', messages });
    await post('/v1/chat/completions', { model: 'good', messages }, CLIENT);
    // The bad key's deployment is refused upstream (401), trips, and its alias falls back.
    await post('/v1/chat/completions', { model: 'bad-key', messages });
    await post('/v1/chat/completions', { model: 'bad-key', messages, stream: true });
    stack.fake.fail('llama-3.3-70b-versatile', { status: 500 }, 3);
    await post('/v1/chat/completions', { model: 'good', messages });
    await post('/v1/chat/completions', { model: 'nope', messages });
    await post('/v1/chat/completions', '{not json');
    await visit('/v1/models', { headers: { authorization: `Bearer ${MASTER}x` } });
    await visit('/v1/models', { headers: { 'x-litellm-api-key': CLIENT.slice(0, -1) } });
    for (const path of ['/v1/models', '/v1/model/info', '/model_group/info', '/health', '/health/readiness', '/quota', '/metrics']) await get(path);
    // A reload of a file that carries a raw key where a hash belongs is refused without echoing it.
    const file = stack.gateway.reloader['file'] as string;
    writeFileSync(file, `model_list:\n${deploymentYaml('good', 'llama-3.3-70b-versatile').replaceAll('FAKE_URL', stack.fake.url)}general_settings:\n  client_keys:\n    - alias: oops\n      key: ${CLIENT}\n`);
    await post('/config/reload', {});
    await get('/health/readiness');
    await get('/metrics');

    expect(seen.length).toBeGreaterThan(15);
    expect(stack.logs.some((line) => line.includes('misconfigured'))).toBe(true);
    for (const secret of SECRETS) {
      for (const answer of seen) expect(answer.includes(secret), `${secret.slice(0, 8)}… in ${answer.slice(0, 200)}`).toBe(false);
      for (const line of stack.logs) expect(line.includes(secret), `${secret.slice(0, 8)}… in log: ${line}`).toBe(false);
    }
  });
});
