import { existsSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashClientKey } from '../../src/config/client-key-hash.js';
import { deploymentYaml, startStack, UPSTREAM_KEY, type Stack } from './harness.js';

/**
 * The gateway attacked as an outsider and as a client key would attack it (issue 15). Each test is
 * written as the attack was run; each failed before its fix.
 */

const MASTER = 'sk-master-attacks-000000000000000000001';
const ALICE = 'sk-grk-alice-attacks-0000000000000000002';
const BOB = 'sk-grk-bob-attacks-000000000000000000003';

const A = 'groq/llama-3.3-70b-versatile';
const B = 'groq/openai/gpt-oss-120b';
const C = 'groq/llama-3.1-8b-instant';

const LEAKY = 'groq/leaky';
const BASE_PASSWORD = 'PASSWORD-in-api-base-0000000006';
const BASE_TOKEN = 'TOKEN-in-api-base-query-0000000007';

const yaml = `model_list:
${deploymentYaml(A, 'llama-3.3-70b-versatile')}${deploymentYaml(B, 'openai/gpt-oss-120b')}${deploymentYaml(C, 'llama-3.1-8b-instant')}  - model_name: ${LEAKY}
    litellm_params:
      model: openai/leaky-model
      api_key: os.environ/GROQ_API_KEY
      api_base: http://leakuser:${BASE_PASSWORD}@127.0.0.1:9/openai/v1?token=${BASE_TOKEN}
router_settings:
  timeout: 20
  num_retries: 0
litellm_settings:
  fallbacks:
    - ${A}: [${B}]
  default_fallbacks: [${C}]
general_settings:
  master_key: os.environ/ATTACKS_MASTER
  client_keys:
    - alias: alice
      key_hash: ${hashClientKey(ALICE)}
      key_preview: sk-...0002
      models: [${A}]
    - alias: bob
      key_hash: ${hashClientKey(BOB)}
      key_preview: sk-...0003
      models: [${B}, ${C}]
`;

let stack: Stack;
beforeEach(async () => {
  stack = await startStack({ yaml, env: { ATTACKS_MASTER: MASTER } });
});
afterEach(async () => {
  await stack?.close();
});

async function send(method: string, path: string, key: string | undefined, body?: string | object): Promise<{ status: number; text: string; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${stack.url}${path}`, { method, headers, body: typeof body === 'string' || body === undefined ? body : JSON.stringify(body) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const openBreakers = () => stack.gateway.gateway.current.table.deployments.filter((d) => d.breaker.state !== 'closed').map((d) => d.label);

describe('finding 1: a deeply nested body', () => {
  const nested = '['.repeat(100_000) + ']'.repeat(100_000);

  it.each([
    ['/v1/chat/completions', `{"model":"${A}","messages":[{"role":"user","content":"hi","extra":${nested}}]}`],
    ['/v1/chat/completions', `{"model":"${A}","messages":[{"role":"user","content":"hi"}],"tools":${nested}}`],
    ['/v1/responses', `{"model":"${A}","input":[{"role":"user","content":"hi"},${nested}]}`],
    ['/v1/responses', `{"model":"${A}","input":"hi","tools":${nested}}`],
  ])('%s: 400 at the door, nothing upstream, every breaker closed', async (path, body) => {
    expect(body.length).toBeLessThan(250_000);
    for (let i = 0; i < 3; i++) {
      const res = await send('POST', path, ALICE, body);
      expect(res.status, res.text).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ error: { type: 'invalid_request_error', code: 'json_too_deep' } });
      expect(res.headers.get('x-groq-router-upstream-calls')).toBeNull();
    }
    expect(stack.fake.callCount()).toBe(0);
    expect(openBreakers()).toEqual([]);
    // Other tenants are still served.
    expect((await send('POST', '/v1/chat/completions', BOB, { model: B, messages: [{ role: 'user', content: 'hi' }] })).status).toBe(200);
  });

  it('takes nesting up to the limit', async () => {
    const deep = '['.repeat(60) + ']'.repeat(60);
    const res = await send('POST', '/v1/chat/completions', ALICE, `{"model":"${A}","messages":[{"role":"user","content":"hi"}],"metadata_probe":${deep}}`);
    expect(res.text).not.toContain('json_too_deep');
  });
});

describe('finding 2: a config written in two steps', () => {
  it('never serves a request without a key while the first half is on disk, and says why', async () => {
    const file = stack.gateway.reloader['file'] as string;
    const full = yaml.replaceAll('FAKE_URL', stack.fake.url);
    // The first write ends before general_settings: valid YAML, no keys.
    const firstHalf = full.slice(0, full.indexOf('general_settings:'));
    const failuresBefore = stack.gateway.reloader.current.failures;
    writeFileSync(file, firstHalf);
    await until(() => stack.gateway.reloader.current.failures > failuresBefore);
    for (const path of ['/quota', '/health', '/v1/models']) expect((await send('GET', path, undefined)).status, path).toBe(401);
    expect((await send('POST', '/v1/chat/completions', undefined, { model: A, messages: [{ role: 'user', content: 'hi' }] })).status).toBe(401);
    expect(stack.logs.some((line) => line.includes('ERROR') && line.includes('authentication'))).toBe(true);
    const ready = JSON.parse((await send('GET', '/health/readiness', undefined)).text) as { last_reload: { ok: boolean; error: string } };
    expect(ready.last_reload.ok).toBe(false);
    expect(ready.last_reload.error).toMatch(/authentication/);
    const reload = await send('POST', '/config/reload', MASTER);
    expect(reload.status).toBe(400);
    expect(reload.text).toMatch(/authentication/);
    // The second write completes it.
    writeFileSync(file, full);
    await until(() => stack.gateway.reloader.current.lastFailure === undefined);
    expect(stack.gateway.reloader.current.lastFailure).toBeUndefined();
    expect((await send('GET', '/quota', undefined)).status).toBe(401);
  });

  it('logs what changed about keys, by alias and preview, never the key', async () => {
    const file = stack.gateway.reloader['file'] as string;
    const carol = 'sk-grk-carol-attacks-000000000000000004';
    const edited = yaml
      .replaceAll('FAKE_URL', stack.fake.url)
      .replace(/    - alias: bob[\s\S]*$/, `    - alias: carol\n      key_hash: ${hashClientKey(carol)}\n      key_preview: sk-...0004\n      models: [${C}]\n`)
      .replace(`models: [${A}]`, `models: [${A}, ${B}]`);
    writeFileSync(file, edited);
    const reload = await send('POST', '/config/reload', MASTER);
    expect(reload.status, reload.text).toBe(200);
    const changes = (JSON.parse(reload.text) as { changes: string[] }).changes.join('\n');
    expect(changes).toMatch(/client keys added: carol \(sk-\.\.\.0004\)/);
    expect(changes).toMatch(/client keys removed: bob \(sk-\.\.\.0003\)/);
    expect(changes).toMatch(/aliases of client key alice/);
    expect(stack.logs.some((line) => line.includes('client keys added: carol'))).toBe(true);
    expect(stack.logs.join('\n')).not.toContain(carol);
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe('finding 3: a client key and the aliases outside its list', () => {
  const hi = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }] });

  it('is never served by, and never spends, a fallback alias it may not use', async () => {
    stack.fake.fail('llama-3.3-70b-versatile', { status: 500 }, 1);
    const res = await send('POST', '/v1/chat/completions', ALICE, hi(A));
    expect(res.status).toBe(500);
    expect(res.text).toContain(`outside this key's aliases`);
    expect(res.text).toContain(B);
    expect(stack.fake.callCount('openai/gpt-oss-120b')).toBe(0);
    expect(stack.fake.callCount('llama-3.1-8b-instant')).toBe(0);
    const quota = JSON.parse((await send('GET', '/quota', MASTER)).text) as { budgets: Array<{ model: string; windows: { rpm: { used: number } } }> };
    for (const model of ['openai/gpt-oss-120b', 'llama-3.1-8b-instant']) expect(quota.budgets.find((b) => b.model === model)?.windows.rpm.used).toBe(0);
  });

  it('still falls back within its own aliases, and the master key along the whole chain', async () => {
    stack.fake.fail('openai/gpt-oss-120b', { status: 500 }, 1);
    const bob = await send('POST', '/v1/chat/completions', BOB, hi(B));
    expect(bob.status, bob.text).toBe(200);
    expect(bob.headers.get('x-litellm-model-group')).toBe(C);
    stack.fake.fail('llama-3.3-70b-versatile', { status: 500 }, 1);
    const master = await send('POST', '/v1/chat/completions', MASTER, hi(A));
    expect(master.headers.get('x-litellm-model-group')).toBe(B);
  });
});

describe('finding 7: what a client key sees of the gateway', () => {
  it('sees only its aliases in /health, /quota and /model_group/info', async () => {
    const health = JSON.parse((await send('GET', '/health', ALICE)).text) as Record<string, Array<{ model_name: string }>>;
    const shown = [...(health.healthy_endpoints ?? []), ...(health.unhealthy_endpoints ?? [])].map((e) => e.model_name);
    expect(shown).toEqual([A]);
    const quota = JSON.parse((await send('GET', '/quota', ALICE)).text) as { budgets: Array<{ model: string; deployments: Array<{ model_name: string }> }> };
    expect(quota.budgets.map((b) => b.model)).toEqual(['llama-3.3-70b-versatile']);
    expect(quota.budgets.flatMap((b) => b.deployments.map((d) => d.model_name))).toEqual([A]);
    const groups = JSON.parse((await send('GET', '/model_group/info', ALICE)).text) as { data: Array<{ model_group: string }> };
    expect(groups.data.map((g) => g.model_group)).toEqual([A]);
    // The operator still sees everything.
    const all = JSON.parse((await send('GET', '/quota', MASTER)).text) as { budgets: unknown[] };
    expect(all.budgets).toHaveLength(4);
  });

  it('keeps /metrics to the master key when require_auth_for_metrics_endpoint is set', async () => {
    const file = stack.gateway.reloader['file'] as string;
    writeFileSync(file, yaml.replaceAll('FAKE_URL', stack.fake.url).replace('general_settings:\n', 'general_settings:\n  require_auth_for_metrics_endpoint: true\n'));
    expect((await send('POST', '/config/reload', MASTER)).status).toBe(200);
    expect((await send('GET', '/metrics', undefined)).status).toBe(401);
    expect((await send('GET', '/metrics', ALICE)).status).toBe(403);
    expect((await send('GET', '/metrics', MASTER)).status).toBe(200);
  });
});

describe('finding 4: an upstream retry-after of 31 years', () => {
  const hi = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }] });
  const deploymentOf = (alias: string) => stack.gateway.gateway.current.table.deployments.find((d) => d.alias === alias);

  it('ejects a deployment no longer than the window the limit concerns, and tells clients no more', async () => {
    // The fake's 429 names a per-minute limit (RPM).
    stack.fake.fail('llama-3.1-8b-instant', { status: 429, retryAfter: 999_999_999 }, 1);
    const res = await send('POST', '/v1/chat/completions', MASTER, hi(C));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    const deployment = deploymentOf(C);
    expect(deployment?.breaker.retryAfterMs).toBeLessThanOrEqual(60_000);
    const budget = deployment?.budget;
    if (budget !== undefined) expect((await stack.gateway.gateway.quota.snapshot(budget)).blockedUntil).toBeLessThanOrEqual(Date.now() + 60_000);
    const again = await send('POST', '/v1/chat/completions', MASTER, hi(C));
    expect(Number(again.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    const health = JSON.parse((await send('GET', '/health', MASTER)).text) as { unhealthy_endpoints: Array<{ model_name: string; breaker: { closes_in_s: number } }> };
    expect(health.unhealthy_endpoints.find((e) => e.model_name === C)?.breaker.closes_in_s).toBeLessThanOrEqual(60);
  });

  it('caps a day limit at 24 hours', async () => {
    const dayBody = {
      error: {
        message: 'Rate limit reached for model `llama-3.1-8b-instant` on requests per day (RPD): Limit 14400, Used 14400, Requested 1.',
        type: 'requests',
        code: 'rate_limit_exceeded',
      },
    };
    stack.fake.fail('llama-3.1-8b-instant', { status: 429, retryAfter: 999_999_999, body: dayBody }, 1);
    await send('POST', '/v1/chat/completions', MASTER, hi(C));
    const ejectionMs = deploymentOf(C)?.breaker.retryAfterMs ?? 0;
    expect(ejectionMs).toBeGreaterThan(60_000);
    expect(ejectionMs).toBeLessThanOrEqual(24 * 3_600_000);
  });

  it('ends an ejection taken from the upstream when a reload changes that deployment', async () => {
    stack.fake.fail('llama-3.1-8b-instant', { status: 401 }, 1);
    await send('POST', '/v1/chat/completions', MASTER, hi(C));
    expect(deploymentOf(C)?.breaker.state).toBe('open');
    // The operator fixes the key; the deployment keeps its id.
    const file = stack.gateway.reloader['file'] as string;
    const fixed = yaml
      .replaceAll('FAKE_URL', stack.fake.url)
      .replace(/(model: groq\/llama-3\.1-8b-instant\n\s+api_key: )os\.environ\/GROQ_API_KEY/, '$1os.environ/FIXED_KEY')
      .replace('router_settings:', 'environment_variables:\n  FIXED_KEY: gsk_fixed_attacks_key_000000000000005\nrouter_settings:');
    expect(fixed).toContain('FIXED_KEY');
    const id = deploymentOf(C)?.id;
    writeFileSync(file, fixed);
    expect((await send('POST', '/config/reload', MASTER)).status).toBe(200);
    expect(deploymentOf(C)?.id).toBe(id);
    expect(deploymentOf(C)?.breaker.state).toBe('closed');
    expect((await send('POST', '/v1/chat/completions', MASTER, hi(C))).status).toBe(200);
  });
});

describe('findings 5 and 6: secrets at every exit', () => {
  const SECRETS = [UPSTREAM_KEY, MASTER, ALICE, BOB, BASE_PASSWORD, BASE_TOKEN];
  const seen: string[] = [];
  const look = async (method: string, path: string, key: string | undefined, body?: object) => {
    const res = await send(method, path, key, body);
    seen.push(`${res.status} ${path}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${res.text}`);
    return res;
  };
  const echo = `Invalid API Key ${UPSTREAM_KEY}; also ${MASTER}, ${ALICE}, ${BASE_PASSWORD} and ${BASE_TOKEN}`;
  const hi = (model: string, stream = false) => ({ model, stream, messages: [{ role: 'user', content: 'hi' }] });

  it('never shows a configured secret, even when the upstream echoes it', async () => {
    // An upstream 401 that echoes the key (and every other secret) rests the deployment for 15 minutes.
    stack.fake.fail('llama-3.1-8b-instant', { status: 401, body: { error: { message: echo, type: 'invalid_request_error', code: 'invalid_api_key' } } }, 1);
    expect((await look('POST', '/v1/chat/completions', BOB, hi(C))).status).toBe(502);
    // The caller's own error, relayed as the upstream worded it.
    stack.fake.fail('openai/gpt-oss-120b', { status: 400, body: { error: { message: echo, type: 'invalid_request_error' } } }, 1);
    expect((await look('POST', '/v1/chat/completions', BOB, hi(B))).status).toBe(400);
    // A stream that fails after its first byte with an error event that echoes them.
    stack.fake.fail('openai/gpt-oss-120b', { kind: 'midstream-error', afterChunks: 2, error: { message: echo, type: 'api_error' } }, 1);
    await look('POST', '/v1/chat/completions', BOB, hi(B, true));
    for (const path of ['/health', '/quota', '/v1/model/info', '/model_group/info', '/metrics']) {
      await look('GET', path, MASTER);
      await look('GET', path, BOB);
    }
    expect(seen.some((answer) => answer.includes('[redacted]'))).toBe(true);
    expect(stack.logs.some((line) => line.includes('misconfigured') && line.includes('[redacted]'))).toBe(true);
    for (const secret of SECRETS) {
      for (const answer of seen) expect(answer.includes(secret), `${secret.slice(0, 12)}… in ${answer.slice(0, 300)}`).toBe(false);
      for (const line of stack.logs) expect(line.includes(secret), `${secret.slice(0, 12)}… in log: ${line}`).toBe(false);
    }
    // api_base is shown, without its userinfo or query.
    const info = JSON.parse((await send('GET', '/v1/model/info', MASTER)).text) as { data: Array<{ model_name: string; litellm_params: { api_base?: string } }> };
    expect(info.data.find((d) => d.model_name === LEAKY)?.litellm_params.api_base).toBe('http://127.0.0.1:9/openai/v1');
  });
});

describe('finding 3: files and batches between tenants', () => {
  const line = (customId: string, model: string) =>
    JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: 'hi' }] } });
  async function upload(key: string, lines: string[]): Promise<{ status: number; text: string; id?: string }> {
    const form = new FormData();
    form.set('purpose', 'batch');
    form.set('file', new Blob([`${lines.join('\n')}\n`]), 'requests.jsonl');
    const res = await fetch(`${stack.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    const text = await res.text();
    return { status: res.status, text, id: res.ok ? (JSON.parse(text) as { id: string }).id : undefined };
  }
  const batchOf = (fileId: string) => ({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' });

  it('checks batch lines against the key\'s aliases, mapping an alias to its Groq model', async () => {
    const ok = await upload(ALICE, [line('one', A), line('two', 'llama-3.3-70b-versatile')]);
    expect(ok.status, ok.text).toBe(200);
    const stored = stack.fake.files(UPSTREAM_KEY).at(-1)?.content.toString() ?? '';
    expect(stored.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { body: { model: string } }).body.model)).toEqual([
      'llama-3.3-70b-versatile',
      'llama-3.3-70b-versatile',
    ]);
    for (const model of [B, 'openai/gpt-oss-120b', 'llama-3.1-8b-instant']) {
      const refused = await upload(ALICE, [line('one', A), line('two', model)]);
      expect(refused.status, model).toBe(403);
      expect(refused.text).toContain('line 2');
      expect(refused.text).toContain(model);
    }
  });

  it('keeps a key\'s files and batches to that key and the master key', async () => {
    const file = await upload(ALICE, [line('one', A)]);
    const fileId = file.id as string;
    const batch = await send('POST', '/v1/batches', ALICE, batchOf(fileId));
    expect(batch.status, batch.text).toBe(200);
    const batchId = (JSON.parse(batch.text) as { id: string }).id;
    const bobFile = await upload(BOB, [line('one', B)]);

    // Bob cannot see, read, delete or use Alice's.
    const ids = (res: { text: string }) => (JSON.parse(res.text) as { data: Array<{ id: string }> }).data.map((f) => f.id);
    expect(ids(await send('GET', '/v1/files', BOB))).toEqual([bobFile.id]);
    expect(ids(await send('GET', '/v1/batches', BOB))).toEqual([]);
    expect((await send('GET', `/v1/files/${fileId}`, BOB)).status).toBe(404);
    expect((await send('GET', `/v1/files/${fileId}/content`, BOB)).status).toBe(404);
    expect((await send('DELETE', `/v1/files/${fileId}`, BOB)).status).toBe(404);
    expect((await send('POST', '/v1/batches', BOB, batchOf(fileId))).status).toBe(404);
    expect((await send('GET', `/v1/batches/${batchId}`, BOB)).status).toBe(404);
    expect((await send('POST', `/v1/batches/${batchId}/cancel`, BOB)).status).toBe(404);
    expect(stack.fake.files(UPSTREAM_KEY).map((f) => f.id)).toContain(fileId);

    // Alice sees her own only; the master key sees everything.
    expect(ids(await send('GET', '/v1/files', ALICE))).toEqual([fileId]);
    expect(ids(await send('GET', '/v1/batches', ALICE))).toEqual([batchId]);
    expect((await send('GET', `/v1/files/${fileId}/content`, ALICE)).status).toBe(200);
    expect(ids(await send('GET', '/v1/files', MASTER)).sort()).toEqual([fileId, bobFile.id].sort());
    expect((await send('GET', `/v1/batches/${batchId}`, MASTER)).status).toBe(200);
  });
});

describe('defences that already held, kept held', () => {
  /** A raw HTTP request: no client library normalising the path or merging headers. */
  function raw(method: string, path: string, headers: Array<[string, string]>, body?: string): Promise<{ status: number; text: string }> {
    const url = new URL(stack.url);
    return new Promise((resolve, reject) => {
      const flat = headers.flat();
      if (body !== undefined) flat.push('content-type', 'application/json', 'content-length', String(Buffer.byteLength(body)));
      const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: flat }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it.each([
    '/v1/../quota',
    '/v1/%2e%2e/quota',
    '//quota',
    '/health/liveliness/../../quota',
    '/health/readiness/..%2f..%2fquota',
    '/health/liveliness%2f..%2f..%2fquota',
    '/quota%00',
    '/QUOTA',
    '/health/readiness?x=/quota',
  ])('path trick %s never reaches an authenticated route without a key', async (path) => {
    const res = await raw('GET', path, []);
    if (res.status === 200) expect(res.text).not.toMatch(/budgets|healthy_endpoints/);
    else expect([401, 404, 400]).toContain(res.status);
  });

  it('duplicated or mixed key headers never grant more than the weakest key', async () => {
    for (const headers of [
      [['authorization', `Bearer ${ALICE}`], ['authorization', `Bearer ${MASTER}`]],
      [['authorization', `Bearer ${ALICE}`], ['x-litellm-api-key', 'wrong']],
      [['x-litellm-api-key', ALICE], ['authorization', `Bearer ${MASTER}`]],
      [['authorization', `Bearer ${ALICE}, Bearer ${MASTER}`]],
    ] as Array<Array<[string, string]>>) {
      const res = await raw('POST', '/config/reload', headers);
      expect(res.status, JSON.stringify(headers.map(([name]) => name))).not.toBe(200);
    }
  });

  it('SSRF fields in a body never move the upstream', async () => {
    const res = await send('POST', '/v1/chat/completions', ALICE, {
      model: A,
      messages: [{ role: 'user', content: 'hi' }],
      api_base: 'http://169.254.169.254/latest',
      base_url: 'http://169.254.169.254/latest',
      api_key: 'gsk_attacker',
      extra_headers: { host: '169.254.169.254' },
    });
    expect([200, 400]).toContain(res.status);
    if (res.status === 200) expect(stack.fake.callCount('llama-3.3-70b-versatile')).toBe(1);
    const forwarded = await raw('POST', '/v1/chat/completions', [['authorization', `Bearer ${ALICE}`], ['x-forwarded-host', '169.254.169.254'], ['host', '169.254.169.254']], JSON.stringify({ model: A, messages: [{ role: 'user', content: 'hi' }] }));
    expect(forwarded.status).toBe(200);
    expect(stack.fake.calls.every((call) => call.keyPreview !== undefined)).toBe(true);
  });

  it('prototype keys in a body pollute nothing', async () => {
    const body = `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"model":"${A}","messages":[{"role":"user","content":"hi","__proto__":{"polluted":true}}]}`;
    const res = await send('POST', '/v1/chat/completions', ALICE, body);
    expect([200, 400]).toContain(res.status);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('multipart abuse is refused with a clear error', async () => {
    const many = new FormData();
    for (let i = 0; i < 200; i++) many.append(`field${i}`, 'x');
    many.set('file', new Blob(['x']), 'a.jsonl');
    const manyFields = await fetch(`${stack.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${MASTER}` }, body: many });
    expect(manyFields.status).toBe(400);
    const noFile = new FormData();
    noFile.set('purpose', 'batch');
    expect((await fetch(`${stack.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${MASTER}` }, body: noFile })).status).toBe(400);
    const traversal = new FormData();
    traversal.set('purpose', 'batch');
    traversal.set('file', new Blob([`{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"${A}","messages":[]}}\n`]), '../../../../tmp/escaped.jsonl');
    const escaped = await fetch(`${stack.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${ALICE}` }, body: traversal });
    expect(escaped.status).toBeLessThan(500);
    expect(existsSync('/tmp/escaped.jsonl')).toBe(false);
    const notMultipart = await send('POST', '/v1/files', MASTER, { file: 'x' });
    expect(notMultipart.status).toBe(400);
  });
});
