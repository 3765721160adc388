/**
 * Where the gateway's CPU goes, native frames included: `perf record` (the kernel's sampler, by CPU
 * clock, with call chains) of `node --perf-basic-prof <build>/cli.js` under `autocannon` against an
 * in-process fake Groq (fast mode). V8's own profiler (`--cpu-prof`, `profile-summary.ts`) shows JavaScript
 * functions but folds V8's built-ins, its runtime and the kernel into their JavaScript caller or into
 * "(program)"; this shows them by name (`Builtins_KeyedLoadIC_Megamorphic`, `Runtime_DeleteProperty`,
 * `Scavenger::ScavengeObject`, the kernel's share of a `writev`) and, for V8's slow paths, which
 * JavaScript function took them.
 *
 * Usage: tsx scripts/bench/perf-profile.ts [--conns 50] [--seconds 8] [--stream] [--top 30] [build dir, default dist]
 * Needs `perf` (Debian's `linux-perf`; installed with apt-get when run as root).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startFakeGroq } from '../../test/fake-groq/server.js';
import { ensurePrograms } from '../../test/support/binaries.js';
import { freePort, gatewayConfig, startProcess, stopAll } from './bench.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { conns: { type: 'string', default: '50' }, seconds: { type: 'string', default: '8' }, stream: { type: 'boolean', default: false }, top: { type: 'string', default: '30' } },
});
const KEY = 'gsk_bench_key_0000000000000000';
/** V8's generic and slow paths: each is listed with the JavaScript functions it was taken from. */
const SLOW_PATHS = [
  'Builtins_KeyedLoadIC_Megamorphic',
  'Builtins_KeyedStoreIC_Megamorphic',
  'Builtins_LoadIC_Megamorphic',
  'Builtins_LoadIC',
  'Builtins_CompileLazy',
  'v8::internal::Runtime_DeleteProperty',
  'v8::internal::JSObject::MigrateToMap',
  'Builtins_RegExpPrototypeTestFast',
];

/** One frame: its symbol, and where its code lives (the JIT's output, the kernel, the node binary, a library). */
interface Frame {
  readonly symbol: string;
  readonly place: string;
}
/** One sample's call chain, leaf first. */
type Chain = Frame[];

/** `perf script -F ip,sym,dso`'s output: `address symbol (object file)` a line, a blank line after each sample. */
function parseChains(text: string): Chain[] {
  const chains: Chain[] = [];
  let chain: Chain = [];
  for (const line of text.split('\n')) {
    const frame = /^\s+[0-9a-f]+ (.*) \(([^()]*)\)$/.exec(line);
    if (frame !== null) chain.push({ symbol: frame[1] as string, place: placeOf(frame[2] as string) });
    else if (line.trim() === '' && chain.length > 0) {
      chains.push(chain);
      chain = [];
    }
  }
  if (chain.length > 0) chains.push(chain);
  return chains;
}

function placeOf(objectFile: string): string {
  if (/\/perf-\d+\.map$/.test(objectFile)) return 'JavaScript (JIT-compiled)';
  if (objectFile.startsWith('[kernel')) return 'kernel';
  if (/\/node$/.test(objectFile)) return 'node binary (V8 built-ins and runtime, libuv, Node)';
  if (/\/libc[.-]/.test(objectFile)) return 'libc';
  return objectFile === '[unknown]' ? 'unknown' : 'other libraries';
}

function share(count: number, total: number): string {
  return `${((100 * count) / total).toFixed(2).padStart(6)} %`;
}

function report(chains: Chain[], top: number): void {
  const total = chains.length;
  const places = new Map<string, number>();
  const leaves = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const chain of chains) {
    const leaf = chain[0] as Frame;
    places.set(leaf.place, (places.get(leaf.place) ?? 0) + 1);
    leaves.set(leaf.symbol, (leaves.get(leaf.symbol) ?? 0) + 1);
    for (const symbol of new Set(chain.map((frame) => frame.symbol))) if (symbol.startsWith('JS:')) inclusive.set(symbol, (inclusive.get(symbol) ?? 0) + 1);
  }
  const sorted = (counts: Map<string, number>) => [...counts].sort((a, b) => b[1] - a[1]);
  console.log(`${total} samples\n-- by place (leaf frame)`);
  for (const [place, count] of sorted(places)) console.log(`${share(count, total)}  ${place}`);
  console.log(`-- top ${top} by self time`);
  for (const [frame, count] of sorted(leaves).slice(0, top)) console.log(`${share(count, total)}  ${frame.slice(0, 150)}`);
  console.log(`-- top ${top} JavaScript functions by inclusive time`);
  for (const [frame, count] of sorted(inclusive).slice(0, top)) console.log(`${share(count, total)}  ${frame.slice(0, 150)}`);
  console.log('-- V8 slow paths (anywhere in the 12 innermost frames), by the JavaScript function that took them');
  for (const path of SLOW_PATHS) {
    const callers = new Map<string, number>();
    let taken = 0;
    for (const chain of chains) {
      const symbols = chain.map((frame) => frame.symbol);
      const at = symbols.slice(0, 12).indexOf(path);
      if (at < 0) continue;
      taken++;
      const caller = symbols.slice(at + 1).find((symbol) => symbol.startsWith('JS:')) ?? '(no JavaScript caller)';
      callers.set(caller, (callers.get(caller) ?? 0) + 1);
    }
    if (taken === 0) continue;
    console.log(`${share(taken, total)}  ${path}`);
    for (const [caller, count] of sorted(callers).slice(0, 6)) console.log(`    ${share(count, total)}  ${caller.slice(0, 140)}`);
  }
}

async function main(): Promise<void> {
  const perf = ensurePrograms(['perf']).perf as string;
  const build = positionals[0] ?? 'dist';
  const seconds = Number(values.seconds);
  const dir = mkdtempSync(join(tmpdir(), 'groq-router-perf-'));
  const fake = await startFakeGroq({ fast: true, recordCalls: false });
  let pid: number | undefined;
  let recording: ChildProcess | undefined;
  try {
    const port = await freePort();
    // --perf-basic-prof also starts V8's log, which would land in the working directory: it goes with the rest.
    const v8Log = [`--logfile=${join(dir, 'v8.log')}`, '--no-logfile-per-isolate'];
    const gateway = await startProcess(['--perf-basic-prof', ...v8Log, join(build, 'cli.js'), '--config', gatewayConfig(fake.port, 1), '--port', String(port)], { GROQ_API_KEY: KEY }, /listening on/);
    pid = gateway.pid as number;
    const load = (options: { amount?: number; duration?: number }) =>
      autocannon({
        url: `http://127.0.0.1:${port}/v1/chat/completions`,
        method: 'POST',
        connections: Number(values.conns),
        timeout: 30,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'bench', stream: values.stream, messages: [{ role: 'user', content: 'Say hello' }] }),
        ...options,
      });
    // As many requests as `npm run bench` warms each target with: the JIT has compiled the hot path before anything is sampled.
    await load({ amount: 20_000 });
    const data = join(dir, 'perf.data');
    recording = spawn(perf, ['record', '-q', '-e', 'cpu-clock', '-F', '2999', '-g', '-p', String(pid), '-o', data, '--', 'sleep', String(seconds)], { stdio: 'inherit' });
    const recorded = new Promise<number | null>((resolve) => recording?.once('exit', resolve));
    const result = await load({ duration: seconds + 1 });
    const code = await recorded;
    if (code !== 0) throw new Error(`perf record exited ${code}`);
    console.log(`${build}: ${Math.round(result.requests.average)} req/s at ${values.conns} connections (${values.stream ? 'streams' : 'JSON'})`);
    // Symbols are read while the gateway runs: its JIT map (/tmp/perf-<pid>.map) is the process's own.
    const script = execFileSync(perf, ['script', '-i', data, '-F', 'ip,sym,dso'], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    report(parseChains(script), Number(values.top));
  } finally {
    if (recording?.exitCode === null) recording.kill('SIGINT');
    stopAll();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
    if (pid !== undefined) rmSync(`/tmp/perf-${pid}.map`, { force: true });
  }
}

await main();
