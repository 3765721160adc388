/**
 * A/B of builds at one and fifty connections: req/s of `node <dir>/cli.js` for each build dir given,
 * alternating, against an in-process fake Groq (fast mode), load from autocannon in this process.
 * Usage: tsx scripts/bench/ab.ts [--stream] [--conns 1] [--seconds 3] [--rounds 3] [--prof dir] [--rss N] distA distB ...
 * `--rss N` then sends N more requests to each build in turn (50 connections, as `npm run bench` does) and
 * prints its RSS and V8 heap after 10k and after N. A build given as `dir:--flag,--flag` runs with those
 * node flags.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startFakeGroq } from '../../test/fake-groq/server.js';
import { cpuSeconds, freePort, gatewayConfig, startProcess, stopAll } from './bench.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { stream: { type: 'boolean', default: false }, conns: { type: 'string', default: '1' }, seconds: { type: 'string', default: '3' }, rounds: { type: 'string', default: '3' }, prof: { type: 'string' }, rss: { type: 'string' } },
});
const KEY = 'gsk_bench_key_0000000000000000';
const fake = await startFakeGroq({ fast: true, recordCalls: false });
const config = gatewayConfig(fake.port, 1);

function start(build: string, port: number): Promise<ChildProcess> {
  const [dir = build, flags = ''] = build.split(':');
  const prof = values.prof === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', join(values.prof, build.replace(/\W/g, '_'))];
  const nodeFlags = flags === '' ? [] : flags.split(',');
  return startProcess([...nodeFlags, ...prof, join(dir, 'cli.js'), '--config', config, '--port', String(port)], { GROQ_API_KEY: KEY }, /listening on/);
}

/** RSS from /proc, and the V8 heap's size and use from the gateway's own `/metrics`, in MB. */
async function memory(pid: number, port: number): Promise<string> {
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const mb = (name: string) => Math.round(Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1]) / 2 ** 20);
  return `RSS ${Math.round(rss)} MB (heap total ${mb('nodejs_heap_size_total_bytes')}, used ${mb('nodejs_heap_size_used_bytes')}, external ${mb('nodejs_external_memory_bytes')})`;
}

const body = JSON.stringify({ model: 'bench', stream: values.stream, messages: [{ role: 'user', content: 'Say hello' }] });
const run = async (port: number, seconds: number, pid?: number) => {
  const before = pid === undefined ? 0 : cpuSeconds(pid);
  const result = await autocannon({ url: `http://127.0.0.1:${port}/v1/chat/completions`, method: 'POST', connections: Number(values.conns), duration: seconds, headers: { 'content-type': 'application/json' }, body });
  const cpu = pid === undefined ? 0 : cpuSeconds(pid) - before;
  return { rps: result.requests.average, cpuUs: (cpu * 1e6) / Math.max(1, result.requests.total) };
};

const gateways = await Promise.all(positionals.map(async (build) => ({ build, port: await freePort() })));
const children = await Promise.all(gateways.map((g) => start(g.build, g.port)));
const results = new Map<string, number[]>(positionals.map((b) => [b, []]));
const cpu = new Map<string, number[]>(positionals.map((b) => [b, []]));
try {
  for (const g of gateways) await run(g.port, 2);
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const [i, g] of gateways.entries()) {
      const { rps, cpuUs } = await run(g.port, Number(values.seconds), children[i]?.pid);
      results.get(g.build)?.push(rps);
      cpu.get(g.build)?.push(cpuUs);
    }
  }
  if (values.rss !== undefined) {
    const total = Number(values.rss);
    for (const [i, g] of gateways.entries()) {
      const pid = children[i]?.pid as number;
      const drive = (amount: number) =>
        autocannon({ url: `http://127.0.0.1:${g.port}/v1/chat/completions`, method: 'POST', connections: 50, amount, timeout: 30, headers: { 'content-type': 'application/json' }, body });
      const before = cpuSeconds(pid);
      await drive(10_000);
      const at10k = await memory(pid, g.port);
      await drive(total - 10_000);
      const cpuUs = ((cpuSeconds(pid) - before) * 1e6) / total;
      console.log(`${g.build}: after 10k ${at10k}; after ${total / 1000}k ${await memory(pid, g.port)}; CPU ${Math.round(cpuUs)} µs/req`);
    }
  }
} finally {
  // SIGINT: the gateway drains and exits, which writes its CPU profile.
  for (const c of children) c.kill('SIGINT');
  await Promise.all(children.map((c) => new Promise((res) => (c.exitCode !== null ? res(0) : c.once('exit', res)))));
  stopAll();
  await fake.close();
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const base = med(results.get(positionals[0] as string) ?? []);
const baseCpu = med(cpu.get(positionals[0] as string) ?? []);
const baseRounds = cpu.get(positionals[0] as string) ?? [];
for (const [b, xs] of results) {
  const us = cpu.get(b) ?? [];
  // Each round's CPU against the first build's in the same round (run back to back): the machine's load
  // moves both, so the median of these ratios is steadier than the ratio of the medians.
  const paired = med(us.map((u, i) => u / (baseRounds[i] ?? u)));
  console.log(`${b.padEnd(16)} ${Math.round(med(xs))} req/s (${xs.map(Math.round).join(', ')}) x${(med(xs) / base).toFixed(3)} | gateway CPU ${Math.round(med(us))} µs/req (${us.map(Math.round).join(', ')}) x${(med(us) / baseCpu).toFixed(3)}, paired x${paired.toFixed(3)}`);
}
