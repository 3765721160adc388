import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
});
