/**
 * Where one request's time goes inside the gateway, segment by segment: a copy of `dist/` with a
 * timestamp (`performance.now()`) taken at fixed points of the request path, driven by autocannon
 * against the fake Groq (fast mode), prints the median and mean microseconds between consecutive points
 * over the last 5,000 requests. At one connection these are the gateway's share of a request's latency;
 * `wUp`/`wClient` mark the socket writes towards the upstream and the caller (the `…Done` points after
 * the system call returns), `tail…` the work each write leaves before the event loop goes idle.
 *
 * Usage: tsx scripts/bench/segments.ts [--seconds 20] [--stream]   (run `npm run build` first)
 *
 * One connection only: the points of one request at a time are kept, so concurrent requests would mix.
 * The request log's writes to stderr (a pipe: a socket without a remote port) are left out.
 *
 * The points are inserted by text into the compiled files of `dist/` as it is (build it from `src/` first);
 * a point whose line has changed is reported and the run stops.
 */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startFakeGroq } from '../../test/fake-groq/server.js';
import { freePort, gatewayConfig, startProcess, stopAll } from './bench.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, stream: { type: 'boolean', default: false } } });
const ROOT = join(import.meta.dirname, '../..');
const BUILD = join(ROOT, 'dist-segments');
const KEY = 'gsk_bench_key_0000000000000000';

/** [compiled file, the line as tsc writes it, the point's name]: the point is taken just before the line (after, for `+name`). */
const POINTS: ReadonlyArray<readonly [string, string, string]> = [
  ['middleware/request-timing.js', "c.set('receivedAt', performance.now());", 'timing'],
  ['endpoints/shared/routed.js', 'const { incoming, outgoing } = c.env;', 'routed'],
  ['endpoints/shared/routed.js', 'report.alias = taken.alias;', 'intakeDone'],
  ['routing/attempt-deployment.js', 'const reserved = await ctx.quota.reserve(budget, withinCeiling(prepared.demand, request.tokenCeiling));', 'attempt'],
  ['routing/attempt-deployment.js', 'const upstream = await prepared.send(', 'callUpstream'],
  ['upstream/pool-fetch.js', 'agent.dispatch({', 'dispatch'],
  ['upstream/pool-fetch.js', 'const response = new PoolResponse(this.url, statusCode, statusText, rawHeaders, this);', 'onHeaders'],
  ['routing/attempt-deployment.js', 'answeredAt = performance.now();', 'answered'],
  ['routing/attempt-deployment.js', 'const checked = typeof whole', 'whole'],
  ['routing/attempt-deployment.js', 'const upstreamMs = performance.now() - started;\n        recordLatency(stats, upstreamMs);\n        const spend', 'checked'],
  ['routing/attempt-deployment.js', 'close(spend);', 'spent'],
  ['endpoints/shared/routed.js', 'writeAnswer(c, served, taken, { deadline, stopping, report, redactor: state.redactor });', 'walked'],
  ['endpoints/shared/routed.js', 'outgoing.writeHead(200, headers);', 'writeHead'],
  ['endpoints/shared/routed.js', 'report.write({ status: 200, served: servedAs', 'ended'],
  ['relay/sse-relay.js', 'export async function pipeSse(', 'pipeSse'],
];

function instrument(): void {
  rmSync(BUILD, { recursive: true, force: true });
  cpSync(join(ROOT, 'dist'), BUILD, { recursive: true });
  for (const [file, line, name] of POINTS) {
    const path = join(BUILD, file);
    const text = readFileSync(path, 'utf8');
    if (!text.includes(line)) throw new Error(`segments: ${file} no longer has the line for '${name}' (${line}); update POINTS`);
    // A function declaration's point goes at the start of its body.
    const marked = line.startsWith('export async function')
      ? text.replace(/(export async function pipeSse\([^{]*\{)/, `$1 globalThis.__segment?.('${name}');`)
      : text.replace(line, `globalThis.__segment?.('${name}'); ${line}`);
    writeFileSync(path, marked);
  }
  const cli = join(BUILD, 'cli.js');
  const lines = readFileSync(cli, 'utf8').split('\n');
  lines.splice(1, 0, "import './segment-points.js';");
  writeFileSync(cli, lines.join('\n'));
  writeFileSync(join(BUILD, 'segment-points.js'), POINTS_MODULE);
}

/** Loaded first by the instrumented build: keeps the points of the request in hand (one connection: one at a time). */
const POINTS_MODULE = `
import http from 'node:http';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
const upstreamPort = Number(process.env.SEGMENTS_UPSTREAM_PORT);
const out = process.env.SEGMENTS_OUT;
let current = [];
const spans = new Map();
const tails = new Map();
let requests = 0;
let answered = false;
const note = (map, key, us) => { let list = map.get(key); if (list === undefined) map.set(key, (list = [])); list.push(us); };
globalThis.__segment = (name) => current.push([name, performance.now()]);
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, ...args) {
  if (event === 'request') {
    current = [['request', performance.now()]];
    answered = false;
  }
  return emit.call(this, event, ...args);
};
const writeGeneric = net.Socket.prototype._writeGeneric;
net.Socket.prototype._writeGeneric = function (...args) {
  // The request log's pipe to stderr is a socket too, with no remote port.
  if (this.remotePort === undefined) return writeGeneric.apply(this, args);
  const side = this.remotePort === upstreamPort ? 'Up' : 'Client';
  globalThis.__segment('w' + side);
  const result = writeGeneric.apply(this, args);
  const done = performance.now();
  globalThis.__segment('w' + side + 'Done');
  setImmediate(() => note(tails, 'tail' + side, (performance.now() - done) * 1000));
  // A request's segments end at its first write to the caller (a stream's first byte).
  if (side === 'Client' && !answered) {
    answered = true;
    finish();
  }
  return result;
};
function finish() {
  setImmediate(() => {
    for (let i = 1; i < current.length; i++) note(spans, current[i - 1][0] + ' > ' + current[i][0], (current[i][1] - current[i - 1][1]) * 1000);
    note(spans, 'request > last point', (current[current.length - 1][1] - current[0][1]) * 1000);
    if (++requests % 5000 !== 0) return;
    const rows = [];
    for (const [key, list] of [...spans, ...tails]) {
      const sorted = [...list].sort((a, b) => a - b);
      rows.push({ segment: key, 'p50 µs': +sorted[sorted.length >> 1].toFixed(1), 'mean µs': +(list.reduce((a, b) => a + b, 0) / list.length).toFixed(1), n: list.length });
    }
    writeFileSync(out, JSON.stringify(rows));
    spans.clear();
    tails.clear();
  });
}
`;

instrument();
const fake = await startFakeGroq({ fast: true, recordCalls: false });
const config = gatewayConfig(fake.port, 1);
const out = join(config, '..', 'segments.json');
try {
  const port = await freePort();
  await startProcess([join(BUILD, 'cli.js'), '--config', config, '--port', String(port)], { GROQ_API_KEY: KEY, SEGMENTS_UPSTREAM_PORT: String(fake.port), SEGMENTS_OUT: out }, /listening on/);
  const body = JSON.stringify({ model: 'bench', stream: values.stream, messages: [{ role: 'user', content: 'Say hello' }] });
  const result = await autocannon({ url: `http://127.0.0.1:${port}/v1/chat/completions`, method: 'POST', connections: 1, duration: Number(values.seconds), headers: { 'content-type': 'application/json' }, body });
  if (result.errors + result.non2xx > 0) throw new Error(`${result.errors + result.non2xx} requests failed: their segments would be an error's`);
  if (!existsSync(out)) throw new Error(`fewer than 5,000 requests in ${values.seconds} s: run longer`);
  console.log(`${result.requests.total} requests, ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms; the last whole block of 5,000 requests:`);
  console.table(JSON.parse(readFileSync(out, 'utf8')) as unknown[]);
} finally {
  stopAll();
  await fake.close();
  rmSync(BUILD, { recursive: true, force: true });
}
