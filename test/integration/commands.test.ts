/** `groq-router status` against a running gateway, and `groq-router doctor` against the fake Groq. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/commands/doctor.js';
import { runStatus } from '../../src/commands/status.js';
import { captureIo } from '../support/capture-io.js';
import { testRedisUrl } from '../support/redis-testing.js';
import { startFakeGroq, type FakeGroq } from '../fake-groq/server.js';
import { deploymentYaml, startStack, UPSTREAM_KEY, type Stack } from './harness.js';

const MASTER = 'sk-commands-master-key-0123456789';
const BAD_KEY = 'gsk_commands_bad_key_0000000000000wxyz';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('groq-router status', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      yaml: `model_list:\n${deploymentYaml('fast', 'llama-3.1-8b-instant')}${deploymentYaml('big', 'llama-3.3-70b-versatile', '', '\n      rpm: 1\n      tpm: 100000\n      rpd: null\n      tpd: null')}litellm_settings:\n  fallbacks:\n    - big: [fast]\ngeneral_settings:\n  master_key: os.environ/MASTER\n`,
      env: { MASTER },
    });
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'big', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('prints aliases with chains and budgets as bars', async () => {
    const io = captureIo();
    expect(await runStatus(['--url', stack.url, '--key', MASTER], io)).toBe(0);
    const out = io.stdout();
    expect(out).toContain(`at ${stack.url}: healthy`);
    expect(out).toMatch(/^ {2}big {2}chain big -> fast$/m);
    expect(out).toMatch(/^ {2}fast {2}chain fast$/m);
    expect(out).toMatch(/RPM +\[#{20}\] 1 \/ 1 used, 0 left/);
    expect(out).toMatch(/serving +groq\/llama-3\.1-8b-instant/);
  });

  it('--json prints GET /status as data', async () => {
    const io = captureIo();
    expect(await runStatus(['--url', `${stack.url}/`, '--key', MASTER, '--json'], io)).toBe(0);
    const data = JSON.parse(io.stdout()) as { aliases: Array<{ alias: string; chain: string[] }>; requests: unknown[] };
    expect(data.aliases.map((a) => a.alias)).toEqual(['fast', 'big']);
    expect(data.aliases[1]?.chain).toEqual(['big', 'fast']);
    expect(data.requests.length).toBe(1);
  });

  it('says in one line when the key is refused or the gateway is not there', async () => {
    const refused = captureIo();
    expect(await runStatus(['--url', stack.url, '--key', 'sk-wrong'], refused)).toBe(1);
    expect(refused.stderr()).toContain('refused the key (401); pass --key or set GROQ_ROUTER_KEY');
    const port = await closedPort();
    const away = captureIo();
    expect(await runStatus(['--url', `http://127.0.0.1:${port}`], away)).toBe(1);
    expect(away.stderr()).toContain(`cannot reach the gateway at http://127.0.0.1:${port}`);
  });
});

describe('groq-router doctor', () => {
  let fake: FakeGroq;
  let dir: string;
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    fake = await startFakeGroq({ keys: [UPSTREAM_KEY] });
    dir = mkdtempSync(join(tmpdir(), 'groq-router-doctor-'));
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await fake?.close();
    await new Promise((resolve) => busy.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const entry = (alias: string, key: string, base: string) =>
    `  - model_name: ${alias}\n    litellm_params:\n      model: groq/llama-3.1-8b-instant\n      api_key: os.environ/${key}\n      api_base: ${base}\n`;

  it('names a wrong key by its preview, an unreachable base, a busy port; checks Redis; exits 1', async () => {
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `model_list:\n${entry('good', 'GOOD_KEY', `${fake.url}/openai/v1/`)}${entry('wrong-key', 'BAD_KEY', fake.url)}${entry('nowhere', 'GOOD_KEY', unreachable)}${entry('unset', 'NOT_SET_ANYWHERE', fake.url)}router_settings:\n  redis_url: ${testRedisUrl()}\n`,
    );
    const io = captureIo();
    const code = await runDoctor(['--config', file, '--port', String(busyPort)], io, { env: { GOOD_KEY: UPSTREAM_KEY, BAD_KEY } });
    const out = io.stdout();
    expect(code, out).toBe(1);
    expect(out).toMatch(/^✓ Node \d+/m);
    expect(out).toMatch(/^✓ config .*bad\.yaml: 4 deployments, 1 without a key/m);
    expect(out).toContain(`✓ key gsk_...6789 at ${fake.url}: accepted`);
    expect(out).toContain(`✗ key gsk_...wxyz at ${fake.url}: refused (401)`);
    expect(out).toContain(`✗ base URL ${unreachable} is unreachable (`);
    expect(out).toContain('✗ api_key: environment variable NOT_SET_ANYWHERE is not set (unset)');
    expect(out).toMatch(/^✓ Redis 7\.\S+ at 127\.0\.0\.1:\d+, maxmemory-policy \S+$/m);
    expect(out).toContain(`✗ port ${busyPort} on 127.0.0.1 is not free`);
    expect(out).not.toContain(UPSTREAM_KEY);
    expect(out).not.toContain(BAD_KEY);
  });

  it('reports a port that is no port as a failed check, not a crash', async () => {
    const file = join(dir, 'port.yaml');
    writeFileSync(file, `model_list:\n${entry('good', 'GOOD_KEY', fake.url)}`);
    const io = captureIo();
    expect(await runDoctor(['--config', file, '--port', 'x'], io, { env: { GOOD_KEY: UPSTREAM_KEY } })).toBe(1);
    expect(io.stdout()).toContain('✗ --port must be an integer from 0 to 65535, got x');
  });

  it('exits 0 when every check passes', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, `model_list:\n${entry('good', 'GOOD_KEY', fake.url)}`);
    const io = captureIo();
    expect(await runDoctor(['--config', file, '--port', String(await closedPort())], io, { env: { GOOD_KEY: UPSTREAM_KEY } }), io.stdout()).toBe(0);
    expect(io.stdout()).toContain('All checks passed.');
  });

  it('fails on a base URL of the wrong form and an invalid config', async () => {
    const form = join(dir, 'form.yaml');
    writeFileSync(form, `model_list:\n${entry('good', 'GOOD_KEY', `${fake.url}/v1`)}`);
    const io = captureIo();
    expect(await runDoctor(['--config', form, '--port', '0'], io, { env: { GOOD_KEY: UPSTREAM_KEY } })).toBe(1);
    expect(io.stdout()).toContain(`✗ base URL ${fake.url}/v1 has path /v1; Groq's base is https://api.groq.com, with or without /openai/v1`);
    const invalid = join(dir, 'invalid.yaml');
    writeFileSync(invalid, 'model_list: 3\n');
    const bad = captureIo();
    expect(await runDoctor(['--config', invalid, '--port', '0'], bad, { env: {} })).toBe(1);
    expect(bad.stdout()).toContain('✗ config is invalid');
  });
});
