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

  it('takes out an upstream key the upstream echoes: in an answer, its headers, a stream, an error code, a breaker reason', async () => {
    seen.length = 0;
    const model = 'llama-3.3-70b-versatile';
    const messages = [{ role: 'user', content: 'hi' }];
    const completion = { id: 'x', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message: { role: 'assistant', content: `your key is ${UPSTREAM_KEY}` }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
    stack.fake.fail(model, { status: 200, body: completion, headers: { 'x-ratelimit-limit-requests': UPSTREAM_KEY } }, 1);
    const answered = await post('/v1/chat/completions', { model: 'good', messages });
    expect(answered.status).toBe(200);
    const chunk = { id: 'x', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: { content: UPSTREAM_KEY }, finish_reason: null }] };
    const sse = `: auth Bearer ${UPSTREAM_KEY}\n\nid: ${UPSTREAM_KEY}\ndata: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`;
    stack.fake.fail(model, { status: 200, body: sse, headers: { 'content-type': 'text/event-stream' } }, 1);
    const streamed = await post('/v1/chat/completions', { model: 'good', messages, stream: true });
    expect(streamed.status).toBe(200);
    stack.fake.fail(model, { status: 400, body: { error: { message: `bad request for ${UPSTREAM_KEY}`, type: 'invalid_request_error', code: UPSTREAM_KEY } } }, 1);
    expect((await post('/v1/chat/completions', { model: 'good', messages })).status).toBe(400);
    // A refused key ejects the deployment with the upstream's words as the reason, shown on /health and /status.
    stack.fake.fail(model, { status: 401, body: { error: { message: `Invalid API Key: ${UPSTREAM_KEY}`, type: 'invalid_request_error', code: 'invalid_api_key' } } }, 1);
    await post('/v1/chat/completions', { model: 'good', messages });
    for (const path of ['/health', '/health/readiness', '/status', '/metrics']) await get(path);

    expect(seen.some((answer) => answer.includes('[redacted]'))).toBe(true);
    expect(seen.some((answer) => answer.startsWith('503 /health/readiness'))).toBe(true);
    for (const answer of seen) expect(answer.includes(UPSTREAM_KEY), `upstream key in ${answer.slice(0, 300)}`).toBe(false);
    for (const line of stack.logs) expect(line.includes(UPSTREAM_KEY), `upstream key in log: ${line}`).toBe(false);
  });
});
