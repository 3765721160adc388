import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startGateway, type RunningGateway } from '../../src/server.js';

const config = (alias: string) => `model_list:\n  - model_name: ${alias}\n    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: os.environ/GROQ_API_KEY}\n`;

let gateway: RunningGateway | undefined;
let dir: string | undefined;
let unblocker: ChildProcess | undefined;
const logs: string[] = [];
afterEach(async () => {
  unblocker?.kill('SIGKILL');
  unblocker = undefined;
  await gateway?.close();
  gateway = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  logs.length = 0;
});

async function start(configFile: string): Promise<RunningGateway> {
  gateway = await startGateway({
    configFile,
    port: 0,
    host: '127.0.0.1',
    env: { GROQ_API_KEY: 'gsk_reload_watch_key_0000000000' },
    log: createLogger('debug', (line) => logs.push(line)),
  });
  return gateway;
}

const aliases = (g: RunningGateway) => [...g.gateway.current.table.groups.keys()];

describe('reload watch', () => {
  it('a Kubernetes ConfigMap update (the ..data symlink swapped to a new directory) reloads', async () => {
    dir = mkdtempSync(join(tmpdir(), 'groq-router-configmap-'));
    const root = dir;
    mkdirSync(join(root, '..2026_11_30_a'));
    writeFileSync(join(root, '..2026_11_30_a', 'litellm.config.yaml'), config('before'));
    symlinkSync('..2026_11_30_a', join(root, '..data'));
    symlinkSync('..data/litellm.config.yaml', join(root, 'litellm.config.yaml'));
    const g = await start(join(root, 'litellm.config.yaml'));
    expect(aliases(g)).toEqual(['before']);

    // What the kubelet does: a new timestamped directory, a new link beside the old, renamed over it.
    mkdirSync(join(root, '..2026_11_30_b'));
    writeFileSync(join(root, '..2026_11_30_b', 'litellm.config.yaml'), config('after'));
    symlinkSync('..2026_11_30_b', join(root, '..data_tmp'));
    renameSync(join(root, '..data_tmp'), join(root, '..data'));
    rmSync(join(root, '..2026_11_30_a'), { recursive: true });

    await expect.poll(() => aliases(g), { timeout: 5_000 }).toEqual(['after']);
  });

  it('a config path that becomes a FIFO is refused without blocking the event loop', async () => {
    dir = mkdtempSync(join(tmpdir(), 'groq-router-fifo-'));
    const file = join(dir, 'litellm.config.yaml');
    writeFileSync(file, config('before'));
    const g = await start(file);

    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    // Should a read block on the FIFO, this writer frees it (and every later read) after a while, so
    // the test ends either way; the marker says whether it had to.
    const opened = join(dir, 'writer-opened-the-fifo');
    unblocker = spawn('sh', ['-c', 'sleep 8; : > "$2"; while :; do : > "$1"; sleep 1; done', 'sh', file, opened], { stdio: 'ignore' });
    renameSync(fifo, file);

    await expect.poll(() => logs.some((line) => line.includes('not a regular file')), { timeout: 5_000 }).toBe(true);
    const alive = await fetch(`${g.url}/health/liveliness`);
    expect(alive.status).toBe(200);
    // Answered before any writer opened the FIFO: nothing waited on it.
    expect(existsSync(opened)).toBe(false);
    expect(aliases(g)).toEqual(['before']);
  });
});
