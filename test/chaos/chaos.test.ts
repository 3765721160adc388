/**
 * The chaos suite: thousands of mixed stream / non-stream requests through the real gateway against
 * upstreams scripted with random 5xx, 429s, hangs, resets, broken streams and a deployment that drops
 * every connection. `npm run test:chaos` runs 5,000 requests; `npm test` runs a smaller count
 * (CHAOS_REQUESTS). The invariants are asserted and the figures printed.
 */
import { createServer, type Server } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../fake-groq/server.js';
import { startStack, UNLIMITED, type Stack } from '../integration/harness.js';
import { checkJson, checkStream, type Verdict } from './validate.js';

const REQUESTS = Number(process.env.CHAOS_REQUESTS ?? 2_000);
const CONCURRENCY = 16;
const COOLDOWN_S = 1;
const ALLOWED_FAILS = 2;
const NUM_RETRIES = 1;
const MODELS = ['llama-3.3-70b-versatile', 'openai/gpt-oss-20b', 'llama-3.1-8b-instant'] as const;
const DEAD_MODEL = 'qwen/qwen3-32b';
/** Deployments in the chain: three on the fake, one dead. */
const CHAIN_DEPLOYMENTS = 4;
/** The documented bound: every deployment of the chain once per pass, 1 + num_retries passes. */
const MAX_CALLS_PER_REQUEST = CHAIN_DEPLOYMENTS * (1 + NUM_RETRIES);

/** Seeded, so a failing run can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const FAULTS: ReadonlyArray<[number, Fault]> = [
  [0.6, { kind: 'delay', ms: 0 }],
  [0.08, { status: 500 }],
  [0.05, { status: 503 }],
  [0.05, { status: 429, retryAfter: 1 }],
  [0.02, { kind: 'hang' }],
  [0.06, { kind: 'reset' }],
  [0.07, { kind: 'midstream-reset', afterChunks: 2 }],
  [0.07, { kind: 'midstream-error', afterChunks: 3 }],
];

function pickFault(next: () => number): Fault {
  let roll = next();
  for (const [weight, fault] of FAULTS) {
    if ((roll -= weight) < 0) return fault;
  }
  return { kind: 'delay', ms: 0 };
}

const SEED = Number(process.env.CHAOS_SEED ?? 20261121);
let stack: Stack;
let dead: Server;
let deadConnections = 0;
/** When the dead deployment was called during a half-open trial of its breaker. */
const probeTimes: number[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  dead = createServer((socket) => {
    deadConnections++;
    const breaker = stack?.gateway.gateway.current.table.deployments.find((d) => d.config.model === DEAD_MODEL)?.breaker;
    if (breaker?.state === 'half-open') probeTimes.push(performance.now());
    socket.destroy();
  });
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
  const deadUrl = `http://127.0.0.1:${(dead.address() as { port: number }).port}`;
  const deployment = (alias: string, model: string, base: string) =>
    `  - model_name: ${alias}\n    litellm_params:\n      model: groq/${model}\n      api_key: os.environ/GROQ_API_KEY\n      api_base: ${base}\n      timeout: 1${UNLIMITED}\n`;
  stack = await startStack({
    yaml: `model_list:
${deployment('chaos', MODELS[0], 'FAKE_URL')}${deployment('chaos', MODELS[1], 'FAKE_URL')}${deployment('chaos', DEAD_MODEL, deadUrl)}${deployment('backup', MODELS[2], 'FAKE_URL')}
router_settings:
  allowed_fails: ${ALLOWED_FAILS}
  cooldown_time: ${COOLDOWN_S}
  num_retries: ${NUM_RETRIES}
  timeout: 5
  stream_timeout: 1
litellm_settings:
  fallbacks:
    - chaos: [backup]
`,
    // A few ms between frames, so a stream cut after its first frames is cut after its first byte reached us.
    fake: { defaultLimits: { rpm: 1_000_000, rpd: 10_000_000, tpm: 1_000_000_000 }, chunkDelayMs: 5 },
  });
  const next = random(SEED);
  for (const model of MODELS) for (let i = 0; i < REQUESTS; i++) stack.fake.fail(model, pickFault(next), 1);
}, 30_000);

afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => dead?.close(resolve));
  process.off('unhandledRejection', onUnhandled);
});

interface Result {
  readonly verdict: Verdict;
  readonly stream: boolean;
  readonly calls: number;
  readonly fallbacks: number;
}

async function one(index: number, next: () => number): Promise<Result> {
  const stream = next() < 0.5;
  const res = await fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chaos', stream, messages: [{ role: 'user', content: `request ${index}` }] }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  const calls = Number(res.headers.get('x-groq-router-upstream-calls') ?? 0);
  const fallbacks = Number(res.headers.get('x-litellm-attempted-fallbacks') ?? 0);
  const expected = new Map(MODELS.map((m) => [m, `Hello from ${m}`]));
  const verdict = stream && res.status === 200 ? checkStream(text, expected) : checkJson(res.status, res.headers.get('content-type'), text, expected);
  return { verdict, stream, calls, fallbacks };
}

async function drive(count: number, offset: number): Promise<Result[]> {
  const results: Result[] = [];
  const next = random(SEED + offset);
  let issued = 0;
  const worker = async () => {
    while (issued < count) {
      const index = offset + issued++;
      results.push(await one(index, next));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('chaos', () => {
  it(`${REQUESTS} mixed requests against faulty upstreams keep every invariant`, async () => {
    const started = performance.now();
    const half = Math.floor(REQUESTS / 2);
    const midstreamFaultsMet = () => stack.fake.calls.filter((c) => c.stream && (c.fault ?? '').startsWith('midstream')).length;
    const first = await drive(half, 0);
    let brokenStreams = midstreamFaultsMet();
    // Only the record goes: the faults queued for the second half stay (reset() would clear them too).
    stack.fake.clearCalls();
    const heapAfterFirst = heapAfterGc();
    const second = await drive(REQUESTS - half, half);
    brokenStreams += midstreamFaultsMet();
    stack.fake.clearCalls();
    const heapAfterSecond = heapAfterGc();
    const seconds = (performance.now() - started) / 1000;
    const results = [...first, ...second];

    const problems = results.flatMap((r) => (r.verdict.ok ? [] : [r.verdict.problem]));
    const byKind = new Map<string, number>();
    for (const r of results) {
      if (!r.verdict.ok) continue;
      const key = r.verdict.kind === 'served' ? `served ${r.stream ? 'stream' : 'json'}` : `${r.verdict.kind} ${r.verdict.status} ${r.verdict.detail}`;
      byKind.set(key, (byKind.get(key) ?? 0) + 1);
    }
    const calls = results.map((r) => r.calls);
    const probeGaps = probeTimes.slice(1).map((t, i) => t - (probeTimes[i] as number));
    const figures = {
      requests: results.length,
      seconds: Math.round(seconds * 10) / 10,
      served: results.filter((r) => r.verdict.ok && r.verdict.kind === 'served').length,
      'served after fallback': results.filter((r) => r.verdict.ok && r.verdict.kind === 'served' && r.fallbacks > 0).length,
      'upstream calls per request (mean)': Math.round((calls.reduce((a, b) => a + b, 0) / calls.length) * 100) / 100,
      'upstream calls per request (max)': Math.max(...calls),
      'documented bound': MAX_CALLS_PER_REQUEST,
      'calls to the dead deployment': deadConnections,
      'of which half-open probes': probeTimes.length,
      'shortest gap between probes (s)': probeGaps.length > 0 ? Math.round(Math.min(...probeGaps)) / 1000 : null,
      cooldown_time: COOLDOWN_S,
      'heap growth, second half (MB)': Math.round(((heapAfterSecond - heapAfterFirst) / 1e6) * 10) / 10,
      'unhandled rejections': unhandled.length,
      'streams the upstream broke': brokenStreams,
      'invalid answers': problems.length,
    };
    console.log(`\nchaos figures (seed ${SEED}):\n${Object.entries(figures).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
    console.log(`answers by kind:\n${[...byKind].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);

    expect(problems.slice(0, 5)).toEqual([]);
    expect(results).toHaveLength(REQUESTS);
    expect(Math.max(...calls)).toBeLessThanOrEqual(MAX_CALLS_PER_REQUEST);
    // At most one probe per cooldown: trials of the dead deployment are at least a cooldown apart.
    expect(probeTimes.length).toBeGreaterThan(0);
    for (const gap of probeGaps) expect(gap).toBeGreaterThanOrEqual(COOLDOWN_S * 1000 - 5);
    expect(unhandled).toEqual([]);
    // Flat: what the second half leaves behind is noise, not a per-request leak.
    expect(heapAfterSecond - heapAfterFirst).toBeLessThan(8e6);
    // The faults must actually have been met and survived, or the run proves nothing.
    expect(figures['served after fallback']).toBeGreaterThan(0);
    // Streams were broken mid-way and every one of them still ended validly (the invariants above): an
    // error frame when bytes had reached the caller, a fallback when none had.
    expect(brokenStreams).toBeGreaterThan(0);
  }, 600_000);
});
