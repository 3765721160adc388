import { createWriteStream } from 'node:fs';
/**
 * One bench:agents run: its own fake Groq (in this process, own port and key) with the free plan's
 * limits and Groq-like pacing, its own gateway process, Kilo-like agents driving the alias through the
 * official openai client, and for workload 7 a second consumer spending on the same key directly.
 */
import type { ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Groq from 'groq-sdk';
import OpenAI, { APIError } from 'openai';
import { sleep } from '../../test/fake-groq/http-util.js';
import { startFakeGroq, type FakeGroq } from '../../test/fake-groq/server.js';
import { idealAnswers, learnedCap, type IdealResult } from './agents-ideal.js';
import {
  agentRequests,
  ANSWER_TOKENS,
  agentSeed,
  ALIAS,
  CHAIN,
  fakePromptTokens,
  KILO_TOOLS,
  OTHER_CONSUMER_COMPLETION,
  otherConsumerSchedule,
  PACING,
  type AgentRequest,
  type ChainModel,
  type Rule,
  type WindowLimits,
  type Workload,
} from './agents-workload.js';
import { freePort, startProcess } from './bench.js';

/** Marks the second consumer's calls in `fake.calls`, so the agents' upstream 429s can be told apart. */
const CONSUMER_HEADER = 'x-bench-other-consumer';
/** Enough requests for any agent to outlast the run (the ideal is far below one per 2 s). */
const REQUESTS_PER_AGENT = 400;

export interface RunSpec {
  readonly workload: Workload;
  readonly rule: Rule;
  readonly durationMs: number;
  readonly benchSeed: number;
  readonly limits: Record<ChainModel, WindowLimits>;
}

export interface RunResult {
  readonly workload: number;
  readonly name: string;
  readonly accounting: Rule['accounting'];
  readonly promptScale: number;
  readonly durationS: number;
  readonly answers: number;
  readonly answersPerMin: number;
  readonly ideal: IdealResult;
  readonly percentOfIdeal: number;
  /** The ideal's packing with caps learned from earlier answers instead of each answer's true length. */
  readonly idealLearned: IdealResult;
  /**
   * The ideal's packing with every cap at the longest answer the workload can have: the most a gateway
   * that never cuts an answer could pack even if it knew that length before the first answer.
   */
  readonly idealLongestCap: IdealResult;
  readonly answersByModel: Record<string, number>;
  readonly clientRequests: number;
  readonly client429s: number;
  /** Retry-after values the agents were given, seconds. */
  readonly retryAfterS: number[];
  readonly retriesAfterRetryAfter: number;
  readonly retriesSucceeded: number;
  readonly otherErrors: number;
  readonly otherErrorSamples: string[];
  readonly upstream429s: number;
  readonly upstream429sPerMin: number;
  readonly upstreamCalls: number;
  readonly cutByGateway: number;
  /** Mean over client-visible refusals of the chain's TPM left unused upstream, 0..1; null without refusals. */
  readonly unusedTpmWhileRefused: number | null;
  readonly otherConsumer: OtherConsumerResult | null;
}

export interface OtherConsumerResult {
  requests: number;
  refused: number;
  errors: number;
  /** Refusals per minute of the run (the first minute is when the gateway has not yet seen its spending). */
  refusedByMinute: number[];
}

interface Tally {
  answers: number;
  byModel: Record<string, number>;
  requests: number;
  client429s: number;
  retryAfterS: number[];
  retries: number;
  retriesSucceeded: number;
  otherErrors: number;
  otherErrorSamples: string[];
  cut: number;
  unusedSamples: number[];
  /** What each agent did when, ms from the start (written with BENCH_TRACE). */
  trace: { t: number; agent: number; event: 'served' | 'refused'; model?: string; retryAfterS?: number; why?: string }[];
}

function gatewayYaml(fakeUrl: string, workload: Workload): string {
  const entries = CHAIN.map(
    (model) => `  - model_name: groq/${model}
    litellm_params:
      model: groq/${model}
      api_key: os.environ/GROQ_API_KEY
      api_base: ${fakeUrl}
`,
  ).join('');
  const queue = workload.maxQueueWaitSeconds === null ? '' : `  max_queue_wait_seconds: ${workload.maxQueueWaitSeconds}\n`;
  return `model_list:
${entries}router_settings:
  groq_plan: free
${queue}litellm_settings:
  fallbacks:
    - ${ALIAS}: [${CHAIN.slice(1)
      .map((m) => `groq/${m}`)
      .join(', ')}]
`;
}

/** A started run, waiting for `go()`: set-up (processes) is kept apart from the measured part. */
export interface PreparedRun {
  readonly spec: RunSpec;
  go(): Promise<RunResult>;
  stop(): Promise<void>;
}

export async function prepareRun(spec: RunSpec): Promise<PreparedRun> {
  const { workload, rule, limits } = spec;
  const key = `gsk_bench_agents_w${workload.id}_${rule.accounting.replace('-', '_')}_0123456789`;
  const fake = await startFakeGroq({
    limits,
    accounting: Object.fromEntries(CHAIN.map((m) => [m, rule.accounting])),
    promptCount: 'messages-json',
    promptScale: rule.promptScale,
    ttftMs: PACING.ttftMs,
    tokensPerSecond: PACING.tokensPerSecond,
    organization: 'org_bench_agents',
  });
  const dir = mkdtempSync(join(tmpdir(), 'groq-router-bench-agents-'));
  const config = join(dir, 'litellm.config.yaml');
  writeFileSync(config, gatewayYaml(fake.url, workload));
  let gateway: ChildProcess;
  let port: number;
  try {
    port = await freePort();
    gateway = await startProcess(['dist/cli.js', '--config', config, '--port', String(port)], { GROQ_API_KEY: key }, /listening on/);
    const logs = process.env.BENCH_GATEWAY_LOGS;
    if (logs !== undefined) {
      mkdirSync(logs, { recursive: true });
      const out = createWriteStream(join(logs, `gateway-${spec.workload.id}-${spec.rule.accounting}.log`));
      gateway.stdout?.pipe(out);
      gateway.stderr?.pipe(out);
    }
  } catch (error) {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const stop = async (): Promise<void> => {
    if (gateway.exitCode === null) gateway.kill('SIGTERM');
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { spec, stop, go: () => measure(spec, fake, key, `http://127.0.0.1:${port}/v1`) };
}

async function measure(spec: RunSpec, fake: FakeGroq, key: string, gatewayUrl: string): Promise<RunResult> {
  const { workload, rule, limits, durationMs } = spec;
  const sequences = Array.from({ length: workload.agents }, (_, a) => agentRequests(agentSeed(spec.benchSeed, workload.id, a), REQUESTS_PER_AGENT));
  const schedule = otherConsumerSchedule(workload.otherConsumerShare, limits, rule, durationMs);
  const simulation = {
    chain: CHAIN,
    limits,
    accounting: rule.accounting,
    ttftMs: PACING.ttftMs,
    tokensPerSecond: PACING.tokensPerSecond,
    durationMs,
    agents: sequences.map((requests) => requests.map((r) => ({ promptTokens: fakePromptTokens(r.messages, KILO_TOOLS, rule), completionTokens: r.completionTokens }))),
    otherConsumer: schedule.map((s) => ({
      at: s.at,
      model: s.model,
      promptTokens: fakePromptTokens(s.messages, null, rule),
      completionTokens: OTHER_CONSUMER_COMPLETION,
      cap: OTHER_CONSUMER_COMPLETION,
    })),
  };
  const ideal = idealAnswers(simulation);
  // The same packing with the caps a gateway can know (learned from earlier answers, never cutting one).
  const idealLearned = idealAnswers({ ...simulation, capFor: learnedCap });
  const idealLongestCap = idealAnswers({ ...simulation, capFor: () => ANSWER_TOKENS.most });

  const tally: Tally = { answers: 0, byModel: {}, requests: 0, client429s: 0, retryAfterS: [], retries: 0, retriesSucceeded: 0, otherErrors: 0, otherErrorSamples: [], cut: 0, unusedSamples: [], trace: [] };
  const stopAll = new AbortController();
  // Every request and wait of the run listens to it; more than Node's default of 10 is expected.
  setMaxListeners(0, stopAll.signal);
  const startedAt = performance.now();
  const startedWall = Date.now();
  const deadline = startedAt + durationMs;
  const timer = setTimeout(() => stopAll.abort(), durationMs);
  const unusedShare = (): number => {
    let limit = 0;
    let used = 0;
    for (const model of CHAIN) {
      limit += limits[model].tpm;
      used += Math.min(limits[model].tpm, fake.usage(key, model).tokensLastMinute);
    }
    return (limit - used) / limit;
  };

  const consumer = schedule.length === 0 ? null : runOtherConsumer(fake, key, schedule, startedAt, stopAll.signal);
  const windows = process.env.BENCH_TRACE === undefined ? undefined : traceWindows(fake, key, gatewayUrl, startedAt, stopAll.signal);
  try {
    await Promise.all(sequences.map((requests, agent) => runAgent(gatewayUrl, workload, requests, tally, { agent, startedAt, deadline }, stopAll.signal, unusedShare)));
  } finally {
    clearTimeout(timer);
    stopAll.abort();
  }
  const other = consumer === null ? null : await consumer;

  const minutes = durationMs / 60_000;
  const agentCalls = fake.calls.filter((c) => c.path === '/openai/v1/chat/completions' && c.headers[CONSUMER_HEADER] === undefined);
  const upstream429s = agentCalls.filter((c) => c.status === 429).length;
  const unused = tally.unusedSamples;
  const traceDir = process.env.BENCH_TRACE;
  if (traceDir !== undefined) {
    mkdirSync(traceDir, { recursive: true });
    const upstream = agentCalls.map((c) => ({ at: c.at - startedWall, model: c.model, status: c.status, maxTokens: (c.body as { max_tokens?: number } | undefined)?.max_tokens }));
    writeFileSync(join(traceDir, `trace-${workload.id}-${rule.accounting}.json`), JSON.stringify({ agents: tally.trace, upstream, windows: await windows, ideal: ideal.sent, idealLearned: idealLearned.sent }, null, 1));
  }
  return {
    workload: workload.id,
    name: workload.name,
    accounting: rule.accounting,
    promptScale: rule.promptScale,
    durationS: durationMs / 1000,
    answers: tally.answers,
    answersPerMin: tally.answers / minutes,
    ideal,
    percentOfIdeal: ideal.answers === 0 ? 100 : (100 * tally.answers) / ideal.answers,
    idealLearned,
    idealLongestCap,
    answersByModel: tally.byModel,
    clientRequests: tally.requests,
    client429s: tally.client429s,
    retryAfterS: tally.retryAfterS,
    retriesAfterRetryAfter: tally.retries,
    retriesSucceeded: tally.retriesSucceeded,
    otherErrors: tally.otherErrors,
    otherErrorSamples: tally.otherErrorSamples,
    upstream429s,
    upstream429sPerMin: upstream429s / minutes,
    upstreamCalls: agentCalls.length,
    cutByGateway: tally.cut,
    unusedTpmWhileRefused: unused.length === 0 ? null : unused.reduce((a, b) => a + b, 0) / unused.length,
    otherConsumer: other,
  };
}

/**
 * A Kilo-like agent: one streamed request at a time. A 429 is waited out for its `retry-after` (1 s
 * without one) and the same request sent again; any other error is counted and the agent moves on after 1 s.
 */
async function runAgent(
  baseURL: string,
  workload: Workload,
  requests: readonly AgentRequest[],
  tally: Tally,
  { agent, startedAt, deadline }: { agent: number; startedAt: number; deadline: number },
  signal: AbortSignal,
  unusedShare: () => number,
): Promise<void> {
  const client = new OpenAI({ apiKey: 'sk-bench-agent', baseURL, maxRetries: 0, timeout: 180_000 });
  let index = 0;
  let retrying = false;
  while (!signal.aborted && index < requests.length) {
    const request = requests[index] as AgentRequest;
    tally.requests++;
    if (retrying) tally.retries++;
    const sentAt = performance.now();
    try {
      const stream = await client.chat.completions.create(
        {
          model: ALIAS,
          messages: request.messages,
          tools: KILO_TOOLS,
          stream: true,
          stream_options: { include_usage: true },
          ...(workload.maxTokens === null ? {} : { max_tokens: workload.maxTokens }),
        },
        { signal },
      );
      let finish: string | null = null;
      let completion: number | undefined;
      let model = '';
      for await (const chunk of stream) {
        finish = chunk.choices[0]?.finish_reason ?? finish;
        completion = chunk.usage?.completion_tokens ?? completion;
        model = chunk.model || model;
      }
      if (performance.now() > deadline) return;
      tally.answers++;
      tally.trace.push({ t: Math.round(sentAt - startedAt), agent, event: 'served', model });
      tally.byModel[model] = (tally.byModel[model] ?? 0) + 1;
      if (retrying) tally.retriesSucceeded++;
      if (finish === 'length' && (completion ?? 0) < request.completionTokens) tally.cut++;
      retrying = false;
      index++;
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof APIError && error.status === 429) {
        tally.client429s++;
        tally.unusedSamples.push(unusedShare());
        const waitS = retryAfterSeconds(error.headers);
        tally.trace.push({ t: Math.round(sentAt - startedAt), agent, event: 'refused', retryAfterS: waitS, why: error.message });
        tally.retryAfterS.push(waitS);
        retrying = true;
        // A retry that could only start after the run is over is not made (nor counted).
        if (performance.now() + waitS * 1000 >= deadline) return;
        await sleep(waitS * 1000, signal);
        continue;
      }
      tally.otherErrors++;
      if (tally.otherErrorSamples.length < 5) tally.otherErrorSamples.push(error instanceof Error ? error.message.slice(0, 200) : String(error));
      retrying = false;
      index++;
      await sleep(1000, signal);
    }
  }
}

/** The wait a 429 asks for, read as the openai client reads it: `retry-after-ms` first, then `retry-after`, else 1 s. */
function retryAfterSeconds(headers: Headers | undefined): number {
  for (const [name, scale] of [['retry-after-ms', 1_000], ['retry-after', 1]] as const) {
    const value = headers?.get(name);
    const parsed = value === null || value === undefined ? Number.NaN : Number(value);
    if (Number.isFinite(parsed) && parsed >= 0) return parsed / scale;
  }
  return 1;
}

/** The second consumer: small non-stream requests at their scheduled times, straight to the upstream, never retried. */
async function runOtherConsumer(
  fake: FakeGroq,
  key: string,
  schedule: ReturnType<typeof otherConsumerSchedule>,
  startedAt: number,
  signal: AbortSignal,
): Promise<OtherConsumerResult> {
  const client = new Groq({ apiKey: key, baseURL: fake.url, maxRetries: 0, defaultHeaders: { [CONSUMER_HEADER]: '1' } });
  const counts: OtherConsumerResult = { requests: 0, refused: 0, errors: 0, refusedByMinute: [] };
  const sent: Promise<void>[] = [];
  for (const spend of schedule) {
    await sleep(startedAt + spend.at - performance.now(), signal);
    if (signal.aborted) break;
    counts.requests++;
    sent.push(
      client.chat.completions
        .create({ model: spend.model, messages: spend.messages, max_tokens: OTHER_CONSUMER_COMPLETION }, { signal })
        .then(
          () => undefined,
          (error: unknown) => {
            if (signal.aborted) return;
            if (error instanceof Groq.APIError && error.status === 429) {
              counts.refused++;
              const minute = Math.floor(spend.at / 60_000);
              while (counts.refusedByMinute.length <= minute) counts.refusedByMinute.push(0);
              counts.refusedByMinute[minute] = (counts.refusedByMinute[minute] ?? 0) + 1;
            }
            else counts.errors++;
          },
        ),
    );
  }
  await Promise.all(sent);
  return counts;
}

/**
 * Every half second until the run stops: each model's minute as the gateway books it, what it keeps for
 * other consumers and whether it takes Groq to keep unused caps (its `/quota`), and the minute as the fake counts it.
 */
async function traceWindows(fake: FakeGroq, key: string, gatewayUrl: string, startedAt: number, signal: AbortSignal) {
  const samples: { t: number; model: string; gateway: number; keptForOthers: number; keepsCap: boolean; upstream: number }[] = [];
  while (!signal.aborted) {
    const t = Math.round(performance.now() - startedAt);
    const quota = (await (await fetch(`${gatewayUrl.replace(/\/v1$/, '')}/quota`)).json()) as {
      budgets: { model: string; windows: { tpm?: { used: number } }; learned: { kept_for_other_consumers: number; upstream_keeps_unused_cap: boolean } }[];
    };
    for (const budget of quota.budgets) {
      samples.push({ t, model: budget.model, gateway: Math.round(budget.windows.tpm?.used ?? 0), keptForOthers: budget.learned.kept_for_other_consumers, keepsCap: budget.learned.upstream_keeps_unused_cap, upstream: fake.usage(key, budget.model).tokensLastMinute });
    }
    await sleep(500, signal);
  }
  return samples;
}
