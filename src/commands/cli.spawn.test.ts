import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '../cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'groq-router-check-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the real entry point, as a user would, and collects its output and exit code. */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, GROQ_API_KEY: 'gsk_cli_check_key_0000000000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('groq-router check (spawned)', () => {
  it('exits 1 on a bad config, naming file:line:col and the key path', async () => {
    const file = writeConfig(
      'bad.yaml',
      `model_list:
  - model_name: ok
    litellm_params:
      model: groq/llama-3.1-8b-instant
router_settings:
  num_retries: three
`,
    );
    const { code, stdout, stderr } = await run(['check', '--config', file]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${file}:6:3: router_settings.num_retries: expected a non-negative integer, got "three"`);
  });

  it('exits 0 on a valid config, listing each alias with its chain in order', async () => {
    const file = writeConfig(
      'good.yaml',
      `model_list:
  - model_name: main
    litellm_params: {model: groq/llama-3.3-70b-versatile}
  - model_name: backup
    litellm_params: {model: groq/openai/gpt-oss-120b}
  - model_name: last
    litellm_params: {model: groq/llama-3.1-8b-instant}
litellm_settings:
  fallbacks: [{main: [backup]}]
  default_fallbacks: [last]
`,
    );
    const { code, stdout, stderr } = await run(['check', '--config', file]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`${file}: valid; 3 aliases, 3 deployments (3 configured), 0 warnings`);
    const aliases = [...stdout.matchAll(/^(\S+) {2}\(context window/gm)].map((m) => m[1]);
    expect(aliases).toEqual(['main', 'backup', 'last']);
    expect(stdout).toMatch(/^ {2}chain +main -> backup -> last$/m);
    expect(stdout).toMatch(/^ {2}chain +backup -> last$/m);
    expect(stdout).not.toContain('gsk_cli_check_key_0000000000');
  });
});
