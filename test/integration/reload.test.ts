import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayState } from '../../src/gateway.js';
import { startStack, UNLIMITED, type Stack } from './harness.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const deployment = (alias: string, model: string, id: string, extra = UNLIMITED) =>
  `  - model_name: ${alias}\n    litellm_params:\n      model: groq/${model}\n      api_key: os.environ/GROQ_API_KEY\n      api_base: FAKE_URL${extra}\n    model_info:\n      id: ${id}\n`;

const backup = deployment('backup', 'llama-3.1-8b-instant', 'shared-8b', '\n      rpm: 1000\n      tpm: 100000000\n      rpd: null\n      tpd: null');
const spare = deployment('spare', 'openai/gpt-oss-20b', 'spare-20b');
/** Version A: `coder` is served by deployment a-70b and falls back to backup, then spare. */
const versionA = (url: string) =>
  `model_list:\n${deployment('coder', 'llama-3.3-70b-versatile', 'a-70b')}${backup}${spare}litellm_settings:\n  fallbacks:\n    - coder: [backup, spare]\n`.replaceAll('FAKE_URL', url);
/** Version B: a-70b is gone for a new b-120b, and the chain is reordered: spare before backup. */
const versionB = (url: string) =>
  `model_list:\n${deployment('coder', 'openai/gpt-oss-120b', 'b-120b')}${backup}${spare}litellm_settings:\n  fallbacks:\n    - coder: [spare, backup]\n`.replaceAll('FAKE_URL', url);
const broken = 'model_list:\n  - model_name: coder\n    litellm_params: [this is: not a map\n';

function idsOf(state: GatewayState): Set<string> {
  return new Set(state.table.deployments.map((d) => d.id));
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe('editing the routing file while traffic flows', () => {
  it('serves every request, each from the table it started on, through twenty rewrites good and bad', async () => {
    stack = await startStack({ yaml: versionA('FAKE_URL'), fake: { latencyMs: 60, chunkDelayMs: 10 } });
    const s = stack;
    const file = s.gateway.reloader['file'] as string;
    const url = s.fake.url;
    const results: Array<{ status: number; id: string | null; complete: boolean; allowed: Set<string> }> = [];
    let writing = true;

    const client = async (stream: boolean) => {
      while (writing) {
        const before = s.gateway.gateway.current;
        const res = await fetch(`${s.url}/v1/chat/completions`, {
          method: 'POST',
          body: JSON.stringify({ model: 'coder', stream, messages: [{ role: 'user', content: 'hi' }] }),
        });
        const text = await res.text();
        const after = s.gateway.gateway.current;
        results.push({
          status: res.status,
          id: res.headers.get('x-litellm-model-id'),
          complete: stream ? text.trimEnd().endsWith('data: [DONE]') : text.includes('"chat.completion"'),
          // The table current when the request was sent, or the one it found on arrival.
          allowed: new Set([...idsOf(before), ...idsOf(after)]),
        });
      }
    };
    const clients = [client(false), client(true), client(false), client(true)];

    // Budgets carry over: the backup's count before the rewrites must survive them.
    await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'backup', messages: [{ role: 'user', content: 'hi' }] }) });
    const quota = async () =>
      ((await (await fetch(`${s.url}/quota`)).json()) as { budgets: Array<{ model: string; windows: { rpm: { used: number } } }> }).budgets.find(
        (b) => b.model === 'llama-3.1-8b-instant',
      )?.windows.rpm.used ?? 0;
    const usedBefore = await quota();
    expect(usedBefore).toBeGreaterThanOrEqual(1);

    for (let i = 0; i < 20; i++) {
      const good = i % 2 === 0;
      const text = good ? (i % 4 === 0 ? versionB(url) : versionA(url)) : broken;
      const loadsBefore = s.gateway.reloader.current.failures;
      const loadedBefore = s.gateway.gateway.current.loadedAt;
      if (i % 3 === 0) {
        // Save by rename, as many editors do.
        writeFileSync(join(file, '..', 'next.yaml'), text);
        renameSync(join(file, '..', 'next.yaml'), file);
      } else {
        writeFileSync(file, text);
      }
      await until(() => (good ? s.gateway.gateway.current.loadedAt !== loadedBefore : s.gateway.reloader.current.failures > loadsBefore));
    }
    writing = false;
    await Promise.all(clients);

    expect(results.length).toBeGreaterThan(40);
    const failures = results.filter((r) => r.status !== 200 || !r.complete);
    expect(failures).toEqual([]);
    for (const r of results) expect(r.allowed.has(r.id as string)).toBe(true);
    // Ten broken versions were refused and the gateway said so.
    expect(s.gateway.reloader.current.failures).toBe(10);
    expect(s.logs.some((line) => line.includes('config reload (file) failed') && /:\d+:\d+/.test(line))).toBe(true);
    expect(s.logs.some((line) => line.includes('chain of coder'))).toBe(true);
    expect(await quota()).toBeGreaterThanOrEqual(usedBefore);
  }, 60_000);

  it('keeps the old table after a bad edit and reports it in readiness, with the error’s position', async () => {
    stack = await startStack({ yaml: versionA('FAKE_URL') });
    const s = stack;
    const file = s.gateway.reloader['file'] as string;
    writeFileSync(file, versionA(s.fake.url).replace('model: groq/llama-3.3-70b-versatile', 'model: gpt4'));
    await until(() => s.gateway.reloader.current.failures === 1);
    const readiness = (await (await fetch(`${s.url}/health/readiness`)).json()) as { status: string; last_reload: { ok: boolean; error: string } };
    expect(readiness.status).toBe('healthy');
    expect(readiness.last_reload.ok).toBe(false);
    expect(readiness.last_reload.error).toMatch(/litellm\.config\.yaml:\d+:\d+: model_list\[0\]\.litellm_params\.model/);
    const res = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'coder', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-litellm-model-id')).toBe('a-70b');
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/groq_router_config_reloads_total\{result="failure"\} 1/);
  });

  it('reloads on POST /config/reload and answers a bad file with a 400 naming the position', async () => {
    stack = await startStack({ yaml: versionA('FAKE_URL') });
    const s = stack;
    s.gateway.reloader.close();
    const file = s.gateway.reloader['file'] as string;
    writeFileSync(file, versionB(s.fake.url));
    const ok = await fetch(`${s.url}/config/reload`, { method: 'POST' });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { changes: string[] };
    expect(body.changes.join('\n')).toContain('deployments removed (draining)');
    expect(body.changes.join('\n')).toContain('a-70b');
    writeFileSync(file, broken);
    const bad = await fetch(`${s.url}/config/reload`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/litellm\.config\.yaml:\d+:\d+/);
    const res = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'coder', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.headers.get('x-litellm-model-id')).toBe('b-120b');
  });
});
