/**
 * Instructions per request of each build, counted by valgrind's callgrind: unlike CPU time, the count
 * hardly moves with what else the machine runs, so builds can be compared (and run side by side) on a
 * shared, loaded machine. Each build (`node <dir>/cli.js`) starts under callgrind with counting off,
 * against an in-process fake Groq (fast mode); after `--warm` requests (V8 has compiled the hot path by
 * then) it counts `--rounds` rounds of `--requests` requests and prints each round's instructions per
 * request and their median. The count leaves out the kernel (socket writes) and does not weigh cache
 * misses: it complements `ab.ts`, it does not replace it.
 * Usage: tsx scripts/bench/instructions.ts [--stream] [--conns 10] [--warm 10000] [--requests 2000] [--rounds 3] distA distB ...
 * A build given as `dir:--flag,--flag` runs with those node flags (`--predictable` makes V8's own
 * compilation and garbage collection run at the same points in every run).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startFakeGroq } from '../../test/fake-groq/server.js';
import { freePort, gatewayConfig, stopAll, untilReady } from './bench.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    stream: { type: 'boolean', default: false },
    conns: { type: 'string', default: '10' },
    warm: { type: 'string', default: '10000' },
    requests: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
  },
});
const KEY = 'gsk_bench_key_0000000000000000';
const fake = await startFakeGroq({ fast: true, recordCalls: false });
const config = gatewayConfig(fake.port, 1);
/** The callgrind dumps go beside the config, into the temporary folder `stopAll` removes. */
const dir = join(config, '..');
const body = JSON.stringify({ model: 'bench', stream: values.stream, messages: [{ role: 'user', content: 'Say hello' }] });

interface Counted {
  readonly build: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly outDir: string;
}

async function start(build: string, index: number): Promise<Counted> {
  const port = await freePort();
  const outDir = join(dir, `b${index}`);
  spawnSync('mkdir', ['-p', outDir]);
  const [buildDir = build, flags = ''] = build.split(':');
  const nodeFlags = flags === '' ? [] : flags.split(',');
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${join(outDir, 'out.%p')}`, process.execPath, ...nodeFlags, join(buildDir, 'cli.js'), '--config', config, '--port', String(port)],
    { env: { ...process.env, GROQ_API_KEY: KEY }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Under callgrind a start-up takes many times as long as it does natively.
  await untilReady(child, /listening on/, build, 180_000);
  return { build, port, child, outDir };
}

function control(pid: number, ...args: string[]): void {
  const result = spawnSync('callgrind_control', [...args, String(pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`callgrind_control ${args.join(' ')}: ${result.stderr}`);
}

/** The `totals:` of the newest dump in `outDir`. */
function lastTotal(outDir: string): number {
  // Dumps are `out.<pid>.<n>`, numbered in the order they were made.
  const dumps = readdirSync(outDir).filter((name) => /^out\.\d+\.\d+$/.test(name));
  const newest = join(outDir, dumps.sort((a, b) => Number(b.split('.')[2]) - Number(a.split('.')[2]))[0] as string);
  return Number(/^totals: (\d+)/m.exec(readFileSync(newest, 'utf8'))?.[1]);
}

const drive = (port: number, amount: number) =>
  autocannon({ url: `http://127.0.0.1:${port}/v1/chat/completions`, method: 'POST', connections: Number(values.conns), amount, timeout: 60, headers: { 'content-type': 'application/json' }, body });

async function measure(g: Counted): Promise<number[]> {
  const pid = g.child.pid as number;
  await drive(g.port, Number(values.warm));
  console.error(`${g.build}: warmed up`);
  const perRequest: number[] = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    control(pid, '--zero');
    control(pid, '--instr=on');
    const result = await drive(g.port, Number(values.requests));
    control(pid, '--instr=off');
    control(pid, '--dump');
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${g.build}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    perRequest.push(lastTotal(g.outDir) / result.requests.total);
    console.error(`${g.build}: round ${r + 1}: ${Math.round((perRequest.at(-1) as number) / 1000)}k instructions/req`);
  }
  return perRequest;
}

const gateways: Counted[] = [];
try {
  for (const [i, build] of positionals.entries()) gateways.push(await start(build, i));
  // Side by side: the counts do not depend on the machine's load.
  const counts = await Promise.all(gateways.map(measure));
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const base = med(counts[0] ?? []);
  for (const [i, g] of gateways.entries()) {
    const xs = counts[i] ?? [];
    console.log(`${g.build.padEnd(16)} ${Math.round(med(xs) / 1000)}k instructions/req (${xs.map((x) => Math.round(x / 1000)).join(', ')}) x${(med(xs) / base).toFixed(3)}`);
  }
} finally {
  for (const g of gateways) g.child.kill('SIGKILL');
  await fake.close();
  stopAll();
}
