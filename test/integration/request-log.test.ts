import { afterEach, describe, expect, it } from 'vitest';
import { hashClientKey } from '../../src/config/client-key-hash.js';
import { deploymentYaml, startStack, UPSTREAM_KEY, type Stack } from './harness.js';

const ALIAS = 'groq/llama-3.3-70b-versatile';
const MODEL = 'llama-3.3-70b-versatile';
const MASTER = 'sk-master-request-log-00000000000001';
const ALICE = 'sk-grk-alice-request-log-0000000000002';
/** Prompt text that must never reach the log. */
const SECRET_PROMPT = 'purple-elephant-prompt-7731';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function start(options: { logLevel?: 'debug' | 'info'; limits?: string } = {}): Promise<Stack> {
  stack = await startStack({
    yaml: `model_list:
${deploymentYaml(ALIAS, MODEL, '', options.limits)}
general_settings:
  master_key: os.environ/REQUEST_LOG_MASTER_KEY
  client_keys:
    - alias: alice
      key_hash: ${hashClientKey(ALICE)}
      key_preview: sk-...0002
`,
    env: { REQUEST_LOG_MASTER_KEY: MASTER },
    logFormat: 'json',
    logLevel: options.logLevel ?? 'info',
  });
  return stack;
}

type Line = Record<string, unknown> & { level: string; msg: string; request_id?: string };

const parsed = (s: Stack): Line[] => s.logs.map((line) => JSON.parse(line) as Line);
const requestLines = (s: Stack, id: string): Line[] => parsed(s).filter((l) => l.level === 'info' && l.request_id === id && 'outcome' in l);

async function chat(s: Stack, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}`, ...headers },
    body: JSON.stringify({ model: ALIAS, messages: [{ role: 'user', content: SECRET_PROMPT }], ...body }),
  });
  await res.text();
  return res;
}

describe('the request log', () => {
  it('writes one info line per request with its fields, and never a key or the prompt', async () => {
    const s = await start();
    const plain = await chat(s, {}, { 'x-request-id': 'req-plain-1' });
    const streamed = await chat(s, { stream: true, stream_options: { include_usage: true } }, { 'x-request-id': 'req-stream-1' });
    s.fake.fail(MODEL, { status: 429, retryAfter: 7 }, 1);
    const limited = await chat(s, {}, { 'x-request-id': 'req-429-1' });
    expect([plain.status, streamed.status, limited.status]).toEqual([200, 200, 429]);

    const [line] = requestLines(s, 'req-plain-1');
    expect(requestLines(s, 'req-plain-1')).toHaveLength(1);
    expect(line).toMatchObject({
      request_id: 'req-plain-1',
      client: 'alice',
      route: '/chat/completions',
      alias: ALIAS,
      status: 200,
      outcome: 'success',
      fallbacks: 0,
      retries: 0,
      upstream_calls: 1,
      attempts: [{ outcome: 'served', status: 200 }],
    });
    expect(typeof line?.time).toBe('string');
    expect(line?.deployment).toMatch(new RegExp(`^${ALIAS}/`));
    expect(line?.tokens_in).toBeGreaterThan(0);
    expect(line?.tokens_out).toBeGreaterThan(0);
    expect(line?.cost_usd).toBeGreaterThan(0);
    expect(line?.duration_ms).toBeGreaterThanOrEqual(0);
    expect(line?.ttfb_ms).toBeUndefined();

    const [stream] = requestLines(s, 'req-stream-1');
    expect(requestLines(s, 'req-stream-1')).toHaveLength(1);
    expect(stream).toMatchObject({ stream: true, status: 200, outcome: 'success' });
    expect(stream?.ttfb_ms).toBeGreaterThanOrEqual(0);
    expect(stream?.tokens_out).toBeGreaterThan(0);

    const [refused] = requestLines(s, 'req-429-1');
    expect(requestLines(s, 'req-429-1')).toHaveLength(1);
    expect(refused).toMatchObject({
      status: 429,
      outcome: 'upstream_rate_limited',
      rate_limit_source: 'upstream',
      error_code: 'rate_limit_exceeded',
      attempts: [{ outcome: 'rate_limit', status: 429 }],
    });

    for (const text of s.logs) {
      for (const secret of [SECRET_PROMPT, ALICE, MASTER, UPSTREAM_KEY]) expect(text).not.toContain(secret);
    }
    // Spend is counted per client key alias.
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/^litellm_spend_metric_total\{[^}]*api_key_alias="alice"[^}]*\} [0-9.e-]+$/m);
    expect(metrics).not.toMatch(/^litellm_spend_metric_total\{[^}]*api_key_alias="alice"[^}]*\} 0$/m);
  });

  it('writes one line for requests answered before routing, and none for scrapes and probes', async () => {
    const s = await start();
    const unauthorised = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'x-request-id': 'no-key-1' }, body: '{}' });
    expect(unauthorised.status).toBe(401);
    const listing = await fetch(`${s.url}/v1/models`, { headers: { 'x-request-id': 'models-1', authorization: `Bearer ${ALICE}` } });
    expect(listing.status).toBe(200);
    const malformed = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-request-id': 'malformed-1', authorization: `Bearer ${ALICE}` },
      body: '{not json',
    });
    expect(malformed.status).toBe(400);
    await fetch(`${s.url}/metrics`, { headers: { 'x-request-id': 'scrape-1' } });
    await fetch(`${s.url}/health/liveliness`, { headers: { 'x-request-id': 'probe-1' } });

    expect(requestLines(s, 'no-key-1')).toEqual([expect.objectContaining({ status: 401, outcome: 'client_error', client: 'anonymous', route: 'POST /v1/chat/completions' })]);
    expect(requestLines(s, 'models-1')).toEqual([expect.objectContaining({ status: 200, outcome: 'success', client: 'alice', route: 'GET /v1/models' })]);
    expect(requestLines(s, 'malformed-1')).toEqual([expect.objectContaining({ status: 400, outcome: 'client_error', route: '/chat/completions' })]);
    expect(parsed(s).filter((l) => l.request_id === 'scrape-1' || l.request_id === 'probe-1')).toEqual([]);
  });

  it('names the gateway as the source of a 429 it made from budgets', async () => {
    const s = await start({ limits: '\n      rpm: 1\n      tpm: 1000000\n      rpd: null\n      tpd: null' });
    expect((await chat(s, {}, { 'x-request-id': 'req-budget-1' })).status).toBe(200);
    expect((await chat(s, {}, { 'x-request-id': 'req-budget-2' })).status).toBe(429);
    expect(requestLines(s, 'req-budget-2')).toEqual([
      expect.objectContaining({ status: 429, outcome: 'gateway_refused', rate_limit_source: 'gateway', upstream_calls: 0, attempts: [expect.objectContaining({ outcome: 'refused' })] }),
    ]);
  });

  it('adds one debug line per upstream attempt at LOG_LEVEL=debug, with the request id', async () => {
    const s = await start({ logLevel: 'debug' });
    s.fake.fail(MODEL, { status: 500 }, 1);
    await chat(s, {}, { 'x-request-id': 'req-debug-1' });
    const attempts = parsed(s).filter((l) => l.level === 'debug' && l.request_id === 'req-debug-1' && l.msg === 'upstream attempt');
    // One 500, then the retry that served.
    expect(attempts.map((a) => a.outcome)).toEqual(['server_error', 'served']);
    expect(requestLines(s, 'req-debug-1')).toHaveLength(1);
  });

  it('writes nothing at debug level when the level is info', async () => {
    const s = await start();
    await chat(s, {}, { 'x-request-id': 'req-info-1' });
    expect(parsed(s).filter((l) => l.level === 'debug')).toEqual([]);
  });
});

describe('request ids', () => {
  it('are echoed as x-request-id and x-litellm-call-id on answers and errors, else generated', async () => {
    const s = await start();
    const ok = await chat(s, {}, { 'x-request-id': 'caller-chosen-42' });
    expect(ok.headers.get('x-request-id')).toBe('caller-chosen-42');
    expect(ok.headers.get('x-litellm-call-id')).toBe('caller-chosen-42');

    const streamed = await chat(s, { stream: true }, { 'x-request-id': 'caller-stream-43' });
    expect(streamed.headers.get('x-request-id')).toBe('caller-stream-43');

    const generated = await chat(s, {});
    const id = generated.headers.get('x-request-id') ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.headers.get('x-litellm-call-id')).toBe(id);
    expect(requestLines(s, id)).toHaveLength(1);

    const unauthorised = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'x-request-id': 'no-key-44' }, body: '{}' });
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.headers.get('x-request-id')).toBe('no-key-44');
    expect(unauthorised.headers.get('x-litellm-call-id')).toBe('no-key-44');

    const badRequest = await chat(s, { model: 'no-such-alias' }, { 'x-request-id': 'bad-alias-45' });
    expect(badRequest.status).toBeGreaterThanOrEqual(400);
    expect(badRequest.headers.get('x-request-id')).toBe('bad-alias-45');

    const unknownRoute = await fetch(`${s.url}/v1/nowhere`, { headers: { 'x-request-id': 'no-route-46', authorization: `Bearer ${ALICE}` } });
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.headers.get('x-request-id')).toBe('no-route-46');
  });

  it('replaces an id that could break a log line or a header', async () => {
    const s = await start();
    const res = await chat(s, {}, { 'x-request-id': 'two words' });
    expect(res.headers.get('x-request-id')).not.toBe('two words');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
