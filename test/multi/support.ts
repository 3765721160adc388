/**
 * Support for the multi-instance tests: a Redis logical database claimed for one test file, gateway
 * processes spawned through the CLI, a cuttable TCP proxy in front of Redis and bounded load.
 * No test framework is imported here; callers stop what they start in afterAll.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { connectTestRedis, testRedis } from '../support/redis-testing.js';

const CLI = join(import.meta.dirname, '../../src/cli.ts');

/** Same key as the integration harness: the fake Groq accepts any `gsk_` key. */
export const UPSTREAM_KEY = 'gsk_multi_instance_upstream_key_0123456789';

// ---------------------------------------------------------------------------------------------------
// Redis: one logical database per test file, claimed in DB 0 so parallel files and runs never share.

export interface ClaimedDb {
  readonly db: number;
  /** A client on the claimed database. */
  readonly client: Redis;
  /** Flushes the database, drops the claim and disconnects. Idempotent. */
  release(): Promise<void>;
}

const LOCK_PREFIX = 'groq-router-test:multi-db-lock:';

/**
 * Claims one of Redis's logical databases 1..15 (a lock key in DB 0 with a 5-minute expiry, so a
 * crashed run frees it) and flushes it. Throws with instructions when Redis is not running.
 */
export async function claimRedisDb(): Promise<ClaimedDb> {
  const admin = await connectTestRedis();
  const token = randomUUID();
  const order = Array.from({ length: 15 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
  let db: number | undefined;
  try {
    for (const candidate of order) {
      if ((await admin.set(`${LOCK_PREFIX}${candidate}`, token, 'PX', 300_000, 'NX')) === 'OK') {
        db = candidate;
        break;
      }
    }
  } catch (error) {
    admin.disconnect();
    throw error;
  }
  if (db === undefined) {
    admin.disconnect();
    throw new Error(`every Redis logical database 1..15 at ${testRedis().host}:${testRedis().port} is claimed by another test run (keys ${LOCK_PREFIX}*); wait 5 minutes or delete them`);
  }
  const client = await connectTestRedis({ db });
  await client.flushdb();
  let released: Promise<void> | undefined;
  const claimed = db;
  return {
    db: claimed,
    client,
    release: () => {
      released ??= (async () => {
        try {
          await client.flushdb();
          // Delete the lock only if it is still ours.
          await admin.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, `${LOCK_PREFIX}${claimed}`, token);
        } finally {
          client.disconnect();
          admin.disconnect();
        }
      })();
      return released;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Config files.

export interface TempDir {
  readonly path: string;
  write(name: string, text: string): string;
  remove(): void;
}

export function tempDir(): TempDir {
  const path = mkdtempSync(join(tmpdir(), 'groq-router-multi-'));
  return {
    path,
    write: (name, text) => {
      const file = join(path, name);
      writeFileSync(file, text);
      return file;
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** One alias on one Groq model at the fake, with the given request limit per minute; tokens never bind. */
export function multiConfig(options: { fakeUrl: string; model: string; alias: string; rpm: number; redisUrl?: string; instances?: number }): string {
  const router: string[] = [];
  if (options.redisUrl !== undefined) router.push(`  redis_url: ${options.redisUrl}`, `  gateway_instances: ${options.instances ?? 2}`);
  // No retries: a 429 from upstream must reach the test as it is, not be hidden by a second attempt.
  router.push('  num_retries: 0');
  return `model_list:
  - model_name: ${options.alias}
    litellm_params:
      model: groq/${options.model}
      api_key: os.environ/GROQ_API_KEY
      api_base: ${options.fakeUrl}/openai/v1
      rpm: ${options.rpm}
      tpm: 100000000
      rpd: null
      tpd: null
  - model_name: ${WARMUP_ALIAS}
    litellm_params:
      model: groq/${WARMUP_MODEL}
      api_key: os.environ/GROQ_API_KEY
      api_base: ${options.fakeUrl}/openai/v1
      rpm: 100000
      tpm: 100000000
      rpd: null
      tpd: null
router_settings:
${router.join('\n')}
`;
}

/** An alias on another model (its own budget) that warm-up traffic goes to. */
export const WARMUP_ALIAS = 'warmup';
const WARMUP_MODEL = 'llama-3.3-70b-versatile';

/**
 * Runs each gateway's request path and every Redis script once or more (reserve, settle, observe through
 * chats on the warm-up alias; snapshot through /quota), then waits (at most 15 s) until no gateway is
 * degraded. A gateway fresh from start-up is slow on its first requests; on a busy machine one of its
 * first Redis calls may take longer than the 50 ms bound, and it then serves from its local share for
 * a second. Measurements start from warm gateways sharing their budgets.
 */
export async function warmUp(urls: readonly string[]): Promise<void> {
  await drive(urls, WARMUP_ALIAS, 10 * urls.length, 4, 15_000);
  const shared = await eventually(async () => {
    const states = await Promise.all(
      urls.map(async (url) => {
        await getJson(`${url}/quota`);
        return ((await getJson(`${url}/health/readiness`)) as { budgets: { degraded?: boolean } }).budgets.degraded;
      }),
    );
    return states.every((degraded) => degraded !== true);
  }, 15_000);
  if (!shared) throw new Error('after warm-up, a gateway still serves from its local share of the budgets (Redis unreachable?)');
}

// ---------------------------------------------------------------------------------------------------
// Gateway processes.

export interface GatewayProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM, then SIGKILL after 3 s; resolves when the process has exited. Idempotent. */
  stop(): Promise<void>;
}

/** Spawns `src/cli.ts --config FILE --port 0` and waits (at most 20 s) for its `listening on` line. */
export async function spawnGateway(configFile: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--config', configFile, '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, GROQ_API_KEY: UPSTREAM_KEY, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
  const deadline = Date.now() + 20_000;
  let url: string | undefined;
  while (url === undefined) {
    url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (url !== undefined) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`gateway did not start (exit ${child.exitCode}):\n${output}`);
    }
    await sleep(50);
  }
  return { url, child, output: () => output, stop };
}

// ---------------------------------------------------------------------------------------------------
// A TCP proxy in front of Redis that a test can cut, in a process of its own (redis-proxy.ts): in the
// test's process its forwarding would wait on the test's own work, and the gateways would see a slow
// Redis that is not there.

export type ProxyMode = 'pass' | 'blackhole' | 'refuse';

export interface RedisProxy {
  readonly port: number;
  /** Switches the mode (see redis-proxy.ts) and resolves once the proxy has applied it. */
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

export async function startRedisProxy(target: { host: string; port: number } = testRedis()): Promise<RedisProxy> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'redis-proxy.ts'), target.host, String(target.port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: Array<{ pattern: RegExp; from: number; resolve: () => void }> = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(output.slice(waiter.from))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
    check();
  });
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waitFor = (pattern: RegExp, from: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis proxy: no "${what}" within 10 s:\n${output}`)), 10_000);
      waiters.push({ pattern, from, resolve: () => (clearTimeout(timer), resolve()) });
      check();
    });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await Promise.race([waitFor(/redis proxy listening on \d+/, 0, 'listening'), exited.then(() => Promise.reject(new Error(`redis proxy exited:\n${output}`)))]);
  } catch (error) {
    await stop();
    throw error;
  }
  const port = Number(/redis proxy listening on (\d+)/.exec(output)?.[1]);
  return {
    port,
    setMode: async (mode) => {
      const from = output.length;
      child.stdin?.write(`${mode}\n`);
      await waitFor(new RegExp(`^mode ${mode}$`, 'm'), from, `mode ${mode}`);
    },
    close: stop,
  };
}

// ---------------------------------------------------------------------------------------------------
// Requests.

export interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly ms: number;
  readonly body: string;
}

/** One chat request; never waits longer than `timeoutMs` (status 0 then, with the error as body). */
export async function chat(baseUrl: string, model: string, timeoutMs = 10_000): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.text();
    return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: performance.now() - started, body };
  } catch (error) {
    return { status: 0, retryAfter: null, ms: performance.now() - started, body: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * `count` requests spread round-robin over `urls`, at most `concurrency` in flight, stopping (not
 * starting new ones) after `budgetMs`. Answers in the order they were started.
 */
export async function drive(urls: readonly string[], model: string, count: number, concurrency: number, budgetMs: number): Promise<Array<Answer & { readonly gateway: number }>> {
  const answers: Array<Answer & { readonly gateway: number }> = [];
  const deadline = Date.now() + budgetMs;
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      const i = next++;
      const gateway = i % urls.length;
      answers[i] = { ...(await chat(urls[gateway] as string, model)), gateway };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return answers.filter((a) => a !== undefined);
}

export async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function getText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return res.text();
}

/** Polls `check` every 100 ms until it returns true or `ms` passes; returns whether it did. */
export async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
