import { createServer, type Server, type Socket } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, UNLIMITED, type Stack } from './harness.js';

const PRIMARY = 'groq/llama-3.3-70b-versatile';
const FALLBACK = 'groq/openai/gpt-oss-120b';
const PRIMARY_MODEL = 'llama-3.3-70b-versatile';
const FALLBACK_MODEL = 'openai/gpt-oss-120b';
const messages = [{ role: 'user' as const, content: 'Say hello' }];

let stack: Stack | undefined;
const servers: Server[] = [];
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A port where nothing listens: connections are refused. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An upstream that accepts and drops every connection, counting them. */
async function droppingServer(): Promise<{ url: string; connections: () => number }> {
  let count = 0;
  const server = createServer((socket: Socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, connections: () => count };
}

async function start(yamlBody: string, settings = ''): Promise<Stack> {
  stack = await startStack({ yaml: `model_list:\n${yamlBody}${settings}` });
  return stack;
}

const twoGroups = (primaryExtra = '') =>
  deploymentYaml(PRIMARY, PRIMARY_MODEL, primaryExtra) +
  deploymentYaml(FALLBACK, FALLBACK_MODEL) +
  `litellm_settings:\n  fallbacks:\n    - ${PRIMARY}: [${FALLBACK}]\n`;

async function health(s: Stack) {
  return (await (await fetch(`${s.url}/health`)).json()) as {
    healthy_endpoints: Array<{ model_name: string; breaker: { state: string } }>;
    unhealthy_endpoints: Array<{ model_name: string; error: string; breaker: { state: string; reason: string; closes_in_s: number } }>;
  };
}

describe('breakers', () => {
  it('trips a dead deployment (connection refused) after allowed_fails and stops calling it', async () => {
    const port = await refusedPort();
    const s = await start(
      `  - model_name: ${PRIMARY}\n    litellm_params:\n      model: groq/${PRIMARY_MODEL}\n      api_key: os.environ/GROQ_API_KEY\n      api_base: http://127.0.0.1:${port}${UNLIMITED}\n` +
        deploymentYaml(FALLBACK, FALLBACK_MODEL),
      `router_settings:\n  allowed_fails: 2\n  cooldown_time: 30\nlitellm_settings:\n  fallbacks:\n    - ${PRIMARY}: [${FALLBACK}]\n`,
    );
    for (let i = 0; i < 6; i++) {
      const { data, response } = await s.openai().chat.completions.create({ model: PRIMARY, messages }).withResponse();
      expect(data.choices[0]?.message.content).toBe('Hello from openai/gpt-oss-120b');
      expect(response.headers.get('x-litellm-model-group')).toBe(FALLBACK);
      // Three refused connections trip it (more than allowed_fails: 2); after that it is not called.
      expect(response.headers.get('x-groq-router-upstream-calls')).toBe(i < 3 ? '2' : '1');
    }
    const { unhealthy_endpoints } = await health(s);
    expect(unhealthy_endpoints).toEqual([
      expect.objectContaining({ model_name: PRIMARY, breaker: expect.objectContaining({ state: 'open', reason: expect.stringContaining('connection') }) }),
    ]);
    expect(unhealthy_endpoints[0]?.breaker.closes_in_s).toBeGreaterThan(25);
  });

  it('trips a single-deployment group too, answering 503 with retry-after and the real upstream error', async () => {
    const dropping = await droppingServer();
    const s = await start(
      `  - model_name: solo\n    litellm_params:\n      model: groq/${PRIMARY_MODEL}\n      api_key: os.environ/GROQ_API_KEY\n      api_base: ${dropping.url}${UNLIMITED}\n`,
      'router_settings:\n  allowed_fails: 1\n  num_retries: 0\n  cooldown_time: 20\n',
    );
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'solo', messages }) });
      expect(res.status).toBe(502);
    }
    const res = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'solo', messages }) });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(15);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/ejected for \d+ s after connection/);
    expect(dropping.connections()).toBe(2);
  });

  it('keeps a 500-storm to allowed_fails + 1 calls to the failing deployment', async () => {
    const s = await start(twoGroups(), `router_settings:\n  allowed_fails: 3\n  cooldown_time: 30\n`);
    s.fake.fail(PRIMARY_MODEL, { status: 500 });
    for (let i = 0; i < 10; i++) {
      const completion = await s.openai().chat.completions.create({ model: PRIMARY, messages });
      expect(completion.choices[0]?.message.content).toBe('Hello from openai/gpt-oss-120b');
    }
    expect(s.fake.callCount(PRIMARY_MODEL)).toBe(4);
    expect(s.fake.callCount(FALLBACK_MODEL)).toBe(10);
  });

  it('ejects a deployment for a 429’s retry-after: 7 without calling it meanwhile', async () => {
    const s = await start(twoGroups());
    s.fake.fail(PRIMARY_MODEL, { status: 429, retryAfter: 7 }, 1);
    for (let i = 0; i < 3; i++) {
      const { response } = await s.openai().chat.completions.create({ model: PRIMARY, messages }).withResponse();
      expect(response.headers.get('x-litellm-model-group')).toBe(FALLBACK);
      expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    }
    expect(s.fake.callCount(PRIMARY_MODEL)).toBe(1);
    const { unhealthy_endpoints } = await health(s);
    const closesIn = unhealthy_endpoints[0]?.breaker.closes_in_s ?? 0;
    expect(closesIn).toBeGreaterThan(6);
    expect(closesIn).toBeLessThanOrEqual(7);
  });

  it('moves past a hanging deployment after its timeout and counts it', async () => {
    const s = await start(twoGroups('\n      timeout: 1'));
    s.fake.fail(PRIMARY_MODEL, { kind: 'hang' }, 1);
    const { data, response } = await s.openai().chat.completions.create({ model: PRIMARY, messages }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from openai/gpt-oss-120b');
    expect(response.headers.get('x-groq-router-upstream-calls')).toBe('2');
    expect(s.fake.callCount(PRIMARY_MODEL)).toBe(1);
  });

  it('ends a stream cut mid-way with one error frame, calls nobody else, and counts it against the deployment', async () => {
    const s = await start(twoGroups(), `router_settings:\n  allowed_fails: 0\n`);
    s.fake.fail(PRIMARY_MODEL, { kind: 'midstream-reset', afterChunks: 2 }, 1);
    const stream = await s.openai().chat.completions.create({ model: PRIMARY, messages, stream: true });
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toBeInstanceOf(OpenAI.APIError);
    expect('Hello from llama-3.3-70b-versatile'.startsWith(text)).toBe(true);
    expect(s.fake.callCount(FALLBACK_MODEL)).toBe(0);
    const { unhealthy_endpoints } = await health(s);
    expect(unhealthy_endpoints[0]).toMatchObject({ model_name: PRIMARY, breaker: { state: 'open' } });
  });
});

describe('retries', () => {
  it('retries a single deployment after a backoff when nothing else can serve', async () => {
    const s = await start(deploymentYaml('solo', PRIMARY_MODEL), 'router_settings:\n  num_retries: 2\n');
    s.fake.fail(PRIMARY_MODEL, { status: 503 }, 1);
    const { data, response } = await s.openai().chat.completions.create({ model: 'solo', messages }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from llama-3.3-70b-versatile');
    expect(response.headers.get('x-litellm-attempted-retries')).toBe('1');
    expect(s.fake.callCount(PRIMARY_MODEL)).toBe(2);
    // The retry waited its backoff (at least a quarter second) before calling again.
    const [first, second] = s.fake.calls;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(250);
  });

  it('honours retry_policy per error class, and never retries the caller’s own errors', async () => {
    const s = await start(deploymentYaml('solo', PRIMARY_MODEL), 'router_settings:\n  num_retries: 3\n  retry_policy:\n    InternalServerErrorRetries: 0\n');
    s.fake.fail(PRIMARY_MODEL, { status: 500 }, 1);
    const res = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'solo', messages }) });
    expect(res.status).toBe(500);
    expect(s.fake.callCount(PRIMARY_MODEL)).toBe(1);
    s.fake.fail(PRIMARY_MODEL, { status: 400 }, 1);
    expect((await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'solo', messages }) })).status).toBe(400);
    expect(s.fake.callCount(PRIMARY_MODEL)).toBe(2);
  });

  it('stops retrying at the request deadline and bounds the calls', async () => {
    const s = await start(deploymentYaml('solo', PRIMARY_MODEL), 'router_settings:\n  num_retries: 10\n  allowed_fails: 100\n  timeout: 2\n');
    s.fake.fail(PRIMARY_MODEL, { status: 500 });
    const res = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'solo', messages }) });
    expect(res.status).toBe(500);
    // Ten retries would back off for more than the 2 s deadline in all; the deadline cut them short.
    const calls = Number(res.headers.get('x-groq-router-upstream-calls'));
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThan(11);
    expect(s.fake.callCount(PRIMARY_MODEL)).toBe(calls);
  });

  it('does not restart the retry budget on fallback', async () => {
    const s = await start(twoGroups(), 'router_settings:\n  num_retries: 1\n  allowed_fails: 100\n');
    s.fake.fail(PRIMARY_MODEL, { status: 500 });
    s.fake.fail(FALLBACK_MODEL, { status: 500 });
    const res = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: PRIMARY, messages }) });
    expect(res.status).toBe(500);
    // Two passes of the two-deployment chain: (1 + num_retries) x 2.
    expect(res.headers.get('x-groq-router-upstream-calls')).toBe('4');
    expect(s.fake.callCount()).toBe(4);
  });
});

describe('a caller that goes away', () => {
  it('aborts the upstream stream and gives the reservation back', async () => {
    stack = await startStack({ yaml: `model_list:\n${deploymentYaml(PRIMARY, PRIMARY_MODEL, '', '\n      tpm: 100000')}`, fake: { chunkDelayMs: 200 } });
    const s = stack;
    const controller = new AbortController();
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: PRIMARY, messages, stream: true, max_tokens: 5_000 }),
      signal: controller.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    const tpmUsed = async () =>
      ((await (await fetch(`${s.url}/quota`)).json()) as { budgets: Array<{ windows: { tpm: { used: number } } }> }).budgets[0]?.windows.tpm.used;
    const deadline = Date.now() + 3_000;
    while ((await tpmUsed()) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await tpmUsed()).toBe(0);
  });
});
