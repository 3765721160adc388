/**
 * What a microsecond of a proxy's own work costs a request at one connection on this machine: the bare
 * proxy of `npm run bench` (`minimal-proxy.ts`) with 0, 50, 100, 150 and 200 µs of busy CPU per request
 * on the request's path, and 100 µs after its answer is written, beside the gateway, each measured as
 * `npm run bench` measures one connection (sequential requests, alternating targets in slices, p50 added
 * to the bare fake Groq's), with each target's CPU per request from /proc.
 *
 * It tells how much of the gateway's added latency is its own work on the path and how much is the
 * machine: on a virtual machine whose idle vCPU must be woken, a request's latency at one connection
 * is not its CPU time (README, "Issue 20, tenth round").
 *
 * Usage: tsx scripts/bench/latency-floor.ts [--requests 2000]   (builds dist/ first)
 */
import type { ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { body, buildGateway, cpuSeconds, freePort, gatewayConfig, median, sequential, startProcess, stopAll, type Target } from './bench.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '2000' } } });
const KEY = 'gsk_bench_key_0000000000000000';
const MODEL = 'llama-3.3-70b-versatile';
const SLICES = 8;
/** [name, work µs, where]: the proxies started beside the gateway. */
const PROXIES: ReadonlyArray<readonly [string, number, 'before' | 'after']> = [
  ['proxy', 0, 'before'],
  ['proxy + 50 µs', 50, 'before'],
  ['proxy + 100 µs', 100, 'before'],
  ['proxy + 150 µs', 150, 'before'],
  ['proxy + 200 µs', 200, 'before'],
  ['proxy + 100 µs after the answer', 100, 'after'],
];

async function main(): Promise<void> {
  buildGateway();
  const fakePort = await freePort();
  const fake = await startProcess(['test/fake-groq/cli.ts', '--port', String(fakePort), '--fast'], {}, /127\.0\.0\.1/);
  const auth = { authorization: `Bearer ${KEY}` };
  const targets: Array<Target & { child: ChildProcess }> = [{ name: 'direct', url: `http://127.0.0.1:${fakePort}/openai/v1/chat/completions`, model: MODEL, headers: auth, child: fake }];
  for (const [name, workUs, where] of PROXIES) {
    const port = await freePort();
    const child = await startProcess(['scripts/bench/minimal-proxy.ts', String(port), String(fakePort), String(workUs), where], {}, /minimal proxy/);
    targets.push({ name, url: `http://127.0.0.1:${port}/v1/chat/completions`, model: MODEL, headers: auth, child });
  }
  const gatewayPort = await freePort();
  const gateway = await startProcess(['dist/cli.js', '--config', gatewayConfig(fakePort, 1), '--port', String(gatewayPort)], { GROQ_API_KEY: KEY }, /listening on/);
  targets.push({ name: 'gateway', url: `http://127.0.0.1:${gatewayPort}/v1/chat/completions`, model: 'bench', headers: {}, child: gateway });

  // 10,000 requests at 50 connections each (half what `npm run bench` sends, JSON only): the JIT has settled before anything is measured.
  for (const target of targets) {
    const warm = await autocannon({ url: target.url, method: 'POST', connections: 50, amount: 10_000, timeout: 30, headers: { 'content-type': 'application/json', ...target.headers }, body: body(target, false) });
    if (warm.errors + warm.non2xx > 0) throw new Error(`${target.name} failed ${warm.errors + warm.non2xx} of its warm-up requests`);
  }

  const totals = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const cpu = new Map<string, number>(targets.map((t) => [t.name, 0]));
  const slice = Math.ceil(Number(values.requests) / SLICES);
  for (let round = 0; round < SLICES; round++) {
    for (const target of targets) {
      const pid = target.child.pid as number;
      const before = cpuSeconds(pid);
      const { total } = await sequential(target, false, slice);
      cpu.set(target.name, (cpu.get(target.name) ?? 0) + cpuSeconds(pid) - before);
      totals.get(target.name)?.push(...total);
    }
  }
  const direct = median(totals.get('direct') ?? []);
  console.table(
    targets.map((target) => {
      const total = totals.get(target.name) ?? [];
      return {
        target: target.name,
        'p50 ms': round(median(total)),
        'added p50 ms': round(median(total) - direct),
        'CPU µs/request': Math.round(((cpu.get(target.name) ?? 0) * 1e6) / total.length),
      };
    }),
  );
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

try {
  await main();
} finally {
  stopAll();
}
