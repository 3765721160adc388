import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGroq, type FakeGroq } from '../fake-groq/server.js';

const CLI = join(import.meta.dirname, '../../src/cli.ts');
let dir: string;
let fake: FakeGroq;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'groq-router-cli-'));
  fake = await startFakeGroq();
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, GROQ_API_KEY: 'gsk_cli_test_key_0000000000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('groq-router CLI', () => {
  it('refuses a bad config with file:line:column, the key path and what was expected, exiting non-zero', async () => {
    const file = writeConfig(
      'bad.yaml',
      `model_list:
  - model_name: groq/llama-3.3-70b-versatile
    litellm_params:
      model: groq/llama-3.3-70b-versatile
  - model_name: broken
    litellm_params:
      model: gpt4
router_settings:
  num_retries: three
`,
    );
    const { output, exited } = run(['--config', file, '--port', '0']);
    expect(await exited).toBe(1);
    expect(output()).toContain(`${file}:7:7: model_list[1].litellm_params.model`);
    expect(output()).toContain('expected "groq/<model>" or "openai/<model>"');
    expect(output()).toMatch(/bad\.yaml:9:\d+: router_settings\.num_retries/);
  });

  it('refuses a YAML syntax error with its position', async () => {
    const file = writeConfig('syntax.yaml', 'model_list:\n  - model_name: [unclosed\n');
    const { output, exited } = run(['--config', file]);
    expect(await exited).toBe(1);
    expect(output()).toMatch(/syntax\.yaml:\d+:\d+/);
  });

  it('refuses a missing config file by name', async () => {
    const { output, exited } = run(['--config', join(dir, 'missing.yaml')]);
    expect(await exited).toBe(1);
    expect(output()).toContain('missing.yaml');
  });

  it('starts on 127.0.0.1 and serves a chat', async () => {
    const file = writeConfig(
      'good.yaml',
      `model_list:
  - model_name: groq/llama-3.3-70b-versatile
    litellm_params:
      model: groq/llama-3.3-70b-versatile
      api_key: os.environ/GROQ_API_KEY
      api_base: ${fake.url}/openai/v1
`,
    );
    const { output, child } = run(['--config', file, '--port', '0']);
    const deadline = Date.now() + 15_000;
    let url: string | undefined;
    while (url === undefined && Date.now() < deadline) {
      url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1];
      if (url === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(url, output()).toBeDefined();
    const res = await fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'groq/llama-3.3-70b-versatile', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    child.kill('SIGTERM');
  });

  it('reaches Groq through GROQ_BASE_URL given with /openai/v1 and a trailing slash', async () => {
    const file = writeConfig('base-url.yaml', 'model_list:\n  - model_name: fast\n    litellm_params:\n      model: groq/llama-3.1-8b-instant\n');
    const { output } = run(['--config', file, '--port', '0'], { GROQ_BASE_URL: `${fake.url}/openai/v1/` });
    const url = await listeningUrl(output);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('names a busy port and how to choose another in one line', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const file = writeConfig('busy.yaml', 'model_list:\n  - model_name: fast\n    litellm_params:\n      model: groq/llama-3.1-8b-instant\n');
      const { output, exited } = run(['--config', file, '--port', String(port)]);
      expect(await exited).toBe(1);
      const lines = output().trim().split('\n');
      expect(lines.at(-1)).toBe(`groq-router: port ${port} on 127.0.0.1 is already in use; start on another with --port N or PORT=N`);
      expect(output()).not.toMatch(/^\s+at /m);
      expect(output()).not.toContain('Usage:');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('warns once about unset key variables, naming each and the models they leave unusable', async () => {
    const entry = (alias: string, model: string) => `  - model_name: ${alias}\n    litellm_params:\n      model: groq/${model}\n`;
    const file = writeConfig('no-key.yaml', `model_list:\n${entry('a', 'llama-3.1-8b-instant')}${entry('b', 'llama-3.3-70b-versatile')}${entry('c', 'openai/gpt-oss-20b')}`);
    const { output } = run(['--config', file, '--port', '0'], { GROQ_API_KEY: '' });
    await listeningUrl(output);
    const warnings = output().split('\n').filter((line) => line.includes('WARN'));
    expect(warnings, output()).toHaveLength(1);
    expect(warnings[0]).toContain('GROQ_API_KEY (leaves 3 unusable: a, b, c)');
  });
});

async function listeningUrl(output: () => string): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1];
    if (url !== undefined) return url;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the gateway did not start:\n${output()}`);
}
