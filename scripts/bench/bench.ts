/**
 * `npm run bench`: what the gateway adds, measured against the bare upstream (the fake Groq in fast
 * mode) and a minimal node:http keep-alive proxy, in one run, alternating targets because these
 * machines are noisy. Prints one table and writes it as JSON to bench-results/.
 *
 * Every process is started here and stopped at the end; every load loop is bounded in count and time.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { TEST_REDIS_VARIABLE, testRedisUrl } from '../../test/support/redis-testing.js';
import { ensurePrograms } from '../../test/support/binaries.js';
import { startRedisServer, type RunningRedis } from '../../test/support/redis-server.js';
import { claimRedisDb, type ClaimedDb } from '../../test/multi/support.js';

const ROOT = join(import.meta.dirname, '../..');
const KEY = 'gsk_bench_key_0000000000000000';
const MODEL = 'llama-3.3-70b-versatile';
const QUICK = process.env.BENCH_QUICK === '1';
const SECONDS = QUICK ? 2 : 4;
const ROUNDS = QUICK ? 1 : 2;
const SEQUENTIAL = QUICK ? 300 : 1_200;
const MEMORY_REQUESTS = QUICK ? 20_000 : 100_000;
/**
 * Requests each target serves (half JSON, half streamed, at 50 connections) before anything is measured:
 * a count, not a time, so a slower machine warms the JIT as much as a fast one. Two seconds at ten
 * connections left the gateway cold on a slow machine: at one connection its first 3 s round after such a
 * warm-up ran at 1,129 req/s and the next nine at 2,329-2,716 (README, "Issue 20, sixth round").
 */
const WARMUP_REQUESTS = QUICK ? 4_000 : 20_000;

const children: ChildProcess[] = [];
const tempDirs: string[] = [];

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `node` on a script: TypeScript through tsx, or compiled JavaScript (`dist/`) as production runs it. */
export async function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<ChildProcess> {
  const loader = args[0]?.endsWith('.ts') === true ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  await untilReady(child, ready, args[0] ?? 'process', 20_000);
  return child;
}

/** Resolves once the child's output matches `ready`; rejects if it exits first or takes longer than `timeoutMs`. */
export function untilReady(child: ChildProcess, ready: RegExp, name: string, timeoutMs: number): Promise<void> {
  let output = '';
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${output}`)), timeoutMs);
    const onData = (data: Buffer) => {
      // Only the tail is searched: the start-up line is the last thing written before the wait ends.
      output = (output + data.toString()).slice(-4096);
      if (ready.test(output)) {
        clearTimeout(timer);
        // Keep draining the output (a full pipe would stall the process) without keeping it: a request log
        // line per request held in one string and searched again on every chunk cost this process (which
        // drives the load) time that grew with the square of the requests.
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited ${code}: ${output}`));
    });
  });
}

/**
 * The gateway's config for a run against the fake on `fakePort`: aliases `bench`, `bench-1`, … with one
 * deployment each and limits high enough never to refuse. Written to a temporary folder `stopAll` removes.
 */
export function gatewayConfig(fakePort: number, deployments: number, redisUrl?: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'groq-router-bench-')), 'litellm.config.yaml');
  tempDirs.push(join(file, '..'));
  const entries = Array.from(
    { length: deployments },
    (_, i) => `  - model_name: bench${i === 0 ? '' : `-${i}`}
    litellm_params:
      model: groq/${MODEL}
      api_key: os.environ/GROQ_API_KEY
      api_base: http://127.0.0.1:${fakePort}
      rpm: 1000000000
      tpm: 1000000000000
      rpd: null
      tpd: null
    model_info:
      id: bench-${i}
`,
  );
  const router = redisUrl === undefined ? '' : `router_settings:\n  redis_url: ${redisUrl}\n  gateway_instances: 2\n`;
  writeFileSync(file, `model_list:\n${entries.join('')}${router}`);
  return file;
}

async function startGateway(fakePort: number, deployments: number, redisUrl?: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = await startProcess(['dist/cli.js', '--config', gatewayConfig(fakePort, deployments, redisUrl), '--port', String(port)], { GROQ_API_KEY: KEY }, /listening on/);
  return { child, port };
}

export interface Target {
  readonly name: string;
  readonly url: string;
  readonly model: string;
  readonly headers: Record<string, string>;
}

export const body = (target: Target, stream: boolean) => JSON.stringify({ model: target.model, stream, messages: [{ role: 'user', content: 'Say hello' }] });

async function load(target: Target, connections: number, stream: boolean, seconds: number): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', ...target.headers },
    body: body(target, stream),
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function warmUp(target: Target): Promise<void> {
  for (const stream of [false, true]) {
    const result = await autocannon({ url: target.url, method: 'POST', connections: 50, amount: WARMUP_REQUESTS / 2, timeout: 30, headers: { 'content-type': 'application/json', ...target.headers }, body: body(target, stream) });
    // A target failing its warm-up would be measured failing: stop here and say so.
    if (result.errors + result.non2xx > 0) throw new Error(`${target.name} failed ${result.errors + result.non2xx} of its warm-up requests`);
  }
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });

/** One connection, one request at a time: latency to the first byte and to the end, in ms, exactly. */
export async function sequential(target: Target, stream: boolean, count: number): Promise<{ firstByte: number[]; total: number[] }> {
  const firstByte: number[] = [];
  const total: number[] = [];
  const payload = body(target, stream);
  const url = new URL(target.url);
  const deadline = performance.now() + 60_000;
  for (let i = 0; i < count && performance.now() < deadline; i++) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...target.headers } },
        (res) => {
          let first = true;
          res.on('data', () => {
            if (first) firstByte.push(performance.now() - started);
            first = false;
          });
          res.on('end', () => {
            total.push(performance.now() - started);
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
  return { firstByte, total };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export const median = (values: number[]) => percentile(values, 50);

/** CPU seconds (user + system) the process has used so far, from /proc in 10 ms ticks. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMb(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round(kb / 1024);
}

/** The Redis logical database the `gateway + Redis` target keeps its budgets in; flushed at the end. */
let redisDb: ClaimedDb | undefined;
let redisServer: RunningRedis | undefined;

async function main(): Promise<void> {
  // The gateway is measured as it runs in production (`node dist/cli.js`, as the Dockerfile starts it),
  // not through tsx, whose loader adds memory and start-up work of its own.
  buildGateway();
  // A logical database of its own (claimed as the multi-instance tests do), so no other run's budgets mix in.
  // A redis-server of its own on an ephemeral port, stopped at the end: never a Redis someone else runs.
  redisServer = await startRedisServer(ensurePrograms(['redis-server'])['redis-server'] as string);
  process.env[TEST_REDIS_VARIABLE] = `${redisServer.host}:${redisServer.port}`;
  redisDb = await claimRedisDb();
  const fakePort = await freePort();
  const proxyPort = await freePort();
  await startProcess(['test/fake-groq/cli.ts', '--port', String(fakePort), '--fast'], {}, /127\.0\.0\.1/);
  await startProcess(['scripts/bench/minimal-proxy.ts', String(proxyPort), String(fakePort)], {}, /minimal proxy/);
  const gateway = await startGateway(fakePort, 1);
  const redisGateway = await startGateway(fakePort, 1, testRedisUrl(redisDb.db));
  const auth = { authorization: `Bearer ${KEY}` };
  const allTargets: Target[] = [
    { name: 'direct', url: `http://127.0.0.1:${fakePort}/openai/v1/chat/completions`, model: MODEL, headers: auth },
    { name: 'minimal proxy', url: `http://127.0.0.1:${proxyPort}/v1/chat/completions`, model: MODEL, headers: auth },
    { name: 'gateway', url: `http://127.0.0.1:${gateway.port}/v1/chat/completions`, model: 'bench', headers: {} },
    { name: 'gateway + Redis', url: `http://127.0.0.1:${redisGateway.port}/v1/chat/completions`, model: 'bench', headers: {} },
  ];

  for (const target of allTargets) await warmUp(target);

  const rows: Array<Record<string, unknown>> = [];
  for (const stream of [false, true]) {
    // The Redis target is measured for json only (its cost is per request, not per byte).
    const targets = stream ? allTargets.filter((t) => t.name !== 'gateway + Redis') : allTargets;
    // One connection: exact per-request latencies, alternating targets in slices.
    const samples = new Map<string, { firstByte: number[]; total: number[] }>(targets.map((t) => [t.name, { firstByte: [], total: [] }]));
    const slice = Math.ceil(SEQUENTIAL / 4);
    for (let round = 0; round < 4; round++) {
      for (const target of targets) {
        const { firstByte, total } = await sequential(target, stream, slice);
        samples.get(target.name)?.firstByte.push(...firstByte);
        samples.get(target.name)?.total.push(...total);
      }
    }
    const direct = samples.get('direct') as { firstByte: number[]; total: number[] };
    const inMemory = samples.get('gateway') as { firstByte: number[]; total: number[] };
    for (const target of targets) {
      const s = samples.get(target.name) as { firstByte: number[]; total: number[] };
      rows.push({
        mode: stream ? 'stream' : 'json',
        connections: 1,
        target: target.name,
        'req/s': Math.round(1000 / median(s.total)),
        'p50 ms': round(median(s.total)),
        'p99 ms': round(percentile(s.total, 99)),
        'added p50 ms': round(median(s.total) - median(direct.total)),
        'TTFB p50 ms': round(median(s.firstByte)),
        'added TTFB p50 ms': round(median(s.firstByte) - median(direct.firstByte)),
        // What sharing budgets through Redis adds per request over the in-memory gateway.
        ...(target.name.startsWith('gateway') ? { 'vs gateway p50 ms': round(median(s.total) - median(inMemory.total)) } : {}),
      });
    }

    // Fifty connections: throughput, alternating targets round by round.
    const runs = new Map<string, Array<{ rps: number; p50: number; p99: number; errors: number }>>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of targets) runs.get(target.name)?.push(await load(target, 50, stream, SECONDS));
    }
    const proxyRps = median((runs.get('minimal proxy') ?? []).map((r) => r.rps));
    const directP50 = median((runs.get('direct') ?? []).map((r) => r.p50));
    const gatewayP50 = median((runs.get('gateway') ?? []).map((r) => r.p50));
    const gatewayRps = median((runs.get('gateway') ?? []).map((r) => r.rps));
    for (const target of targets) {
      const r = runs.get(target.name) ?? [];
      const rps = median(r.map((x) => x.rps));
      rows.push({
        mode: stream ? 'stream' : 'json',
        connections: 50,
        target: target.name,
        'req/s': Math.round(rps),
        'p50 ms': round(median(r.map((x) => x.p50))),
        'p99 ms': round(median(r.map((x) => x.p99))),
        'added p50 ms': round(median(r.map((x) => x.p50)) - directP50),
        'x minimal proxy': round(rps / proxyRps),
        // Added cost per request at saturation: p50 difference, and the difference of reciprocal throughputs.
        ...(target.name.startsWith('gateway') ? { 'vs gateway p50 ms': round(median(r.map((x) => x.p50)) - gatewayP50), 'vs gateway µs/req': Math.round(1e6 / rps - 1e6 / gatewayRps) } : {}),
        errors: r.reduce((sum, x) => sum + x.errors, 0),
      });
    }
  }
  const rssAfterMain = rssMb(gateway.child);
  // Numbers of a gateway that fell back to its local budgets would not be Redis's: say which they were.
  const readiness = (await (await fetch(`http://127.0.0.1:${redisGateway.port}/health/readiness`)).json()) as { budgets?: unknown };
  const redisBudgets = JSON.stringify(readiness.budgets);
  redisGateway.child.kill('SIGTERM');

  // Scale: the same load on one alias, with 1, 10 and 200 deployments in the config (before the long
  // memory run, so every row meets the same fake upstream).
  const scale: Array<Record<string, unknown>> = [];
  for (const deployments of [1, 10, 200]) {
    const g = await startGateway(fakePort, deployments);
    const target: Target = { name: 'gateway', url: `http://127.0.0.1:${g.port}/v1/chat/completions`, model: 'bench', headers: {} };
    // A fresh process: let the JIT warm up before measuring.
    await warmUp(target);
    const r = await load(target, 50, false, SECONDS);
    scale.push({ deployments, 'req/s': Math.round(r.rps), 'p50 ms': r.p50, 'RSS MB': rssMb(g.child) });
    g.child.kill('SIGTERM');
  }

  // Memory: RSS after 10k and after the full count, at 50 connections.
  const gatewayTarget = allTargets[2] as Target;
  const drive = async (amount: number) =>
    autocannon({ url: gatewayTarget.url, method: 'POST', connections: 50, amount, timeout: 30, headers: { 'content-type': 'application/json' }, body: body(gatewayTarget, false) });
  await drive(10_000);
  const rssAt10k = rssMb(gateway.child);
  await drive(MEMORY_REQUESTS - 10_000);
  const rssAtEnd = rssMb(gateway.child);

  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version };
  const memory = { 'RSS MB after the runs above': rssAfterMain, 'RSS MB after 10k requests': rssAt10k, [`RSS MB after ${MEMORY_REQUESTS / 1000}k requests`]: rssAtEnd };
  console.log(`\nmachine: ${JSON.stringify(machine)}\n`);
  console.table(rows);
  console.log(`gateway + Redis (db ${redisDb.db}) at the end of its runs: budgets ${redisBudgets}`);
  console.table([memory]);
  console.table(scale);
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  const file = join(ROOT, 'bench-results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ machine, rows, redisBudgets, memory, scale }, null, 2));
  console.log(`written to ${file}`);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Stops every process `startProcess` started and removes the temporary configs. */
export function stopAll(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  keepAlive.destroy();
}

/** Compiles src/ to dist/ once: the gateway is measured as production runs it (`node dist/cli.js`). */
export function buildGateway(): void {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

// Importable (bench:agents reuses the process helpers above) without running this benchmark.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await main();
  } finally {
    stopAll();
    await redisDb?.release();
    await redisServer?.stop();
  }
}
