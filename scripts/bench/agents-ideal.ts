/**
 * The packing-aware ideal for one bench:agents run: a deterministic greedy simulation over the same
 * requests the agents send. It knows each answer's true length and uses it as the cap, counts tokens
 * as the fake counts them under the run's rule, and packs whole requests into the sliding windows of
 * the chain: an agent ready at time t sends to the first model whose RPM/TPM (and RPD/TPD) fit now,
 * else it waits until the earliest moment one does. The second consumer's scheduled spending occupies
 * the windows as it would upstream, and the ideal never pushes one of its requests out.
 */
import { CompletionCaps } from '../../src/quota/completion-caps.js';
import type { Accounting } from '../../test/fake-groq/accounting.js';
import type { WindowLimits } from './agents-workload.js';

const MINUTE_MS = 60_000;

/** One request as the simulation sees it. */
export interface SimRequest {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface SimSpend extends SimRequest {
  readonly at: number;
  readonly model: string;
  /** The consumer's cap (what the upstream's admission check counts beside the prompt). */
  readonly cap: number;
}

export interface IdealInput {
  readonly chain: readonly string[];
  readonly limits: Readonly<Record<string, WindowLimits>>;
  readonly accounting: Extract<Accounting, 'cap-booked' | 'actual-booked'>;
  readonly ttftMs: number;
  readonly tokensPerSecond: number;
  readonly durationMs: number;
  /** Each agent's requests, in order (enough of them to outlast the duration). */
  readonly agents: readonly (readonly SimRequest[])[];
  readonly otherConsumer: readonly SimSpend[];
  /**
   * The cap each request is admitted (and, cap-booked, booked) with, from the answers seen before it:
   * by default its own true length (clairvoyant). `learnedCap` gives what a gateway can know instead.
   */
  readonly capFor?: (request: SimRequest, earlierAnswers: readonly number[]) => number;
}

/**
 * A cap a gateway can know, for a reference packing: the gateway's own learned floor (CompletionCaps)
 * after the answers seen so far, 1,024 before any. Used for every request (the gateway sends its larger
 * target when there is room) and learned at admission rather than at the answer's end, so it is a bound
 * on what a gateway with learned caps can pack, not a model of this one.
 */
export function learnedCap(_request: SimRequest, earlier: readonly number[]): number {
  const caps = new CompletionCaps();
  for (const tokens of earlier.slice(-64)) caps.observe('reference', tokens);
  return caps.for('reference').floor;
}

/** A booking's part that sits in the windows from `start` until `end` (the admission + 60 s). */
interface Part {
  readonly start: number;
  readonly end: number;
  readonly tokens: number;
  readonly requests: number;
  /** The second consumer's: its admissions are checkpoints the ideal must leave room for. */
  readonly consumer: boolean;
  /** What the admission check at `start` counts beyond what is booked then (the cap, under actual-booked). */
  readonly checkExtra: number;
}

export interface IdealResult {
  readonly answers: number;
  readonly perMinute: number;
  /** Answers per model of the chain. */
  readonly byModel: Record<string, number>;
  /** Each request sent, in time order (for BENCH_TRACE). */
  readonly sent: readonly { readonly at: number; readonly agent: number; readonly model: string; readonly tokens: number }[];
}

export function idealAnswers(input: IdealInput): IdealResult {
  const parts = new Map<string, Part[]>(input.chain.map((m) => [m, []]));
  const serviceMs = (completion: number): number => input.ttftMs + (completion * 1000) / input.tokensPerSecond;
  /** Books a request as the fake would under the rule; `consumerCap` marks the second consumer's. */
  const answered: number[] = [];
  const capOf = (request: SimRequest): number => input.capFor?.(request, answered) ?? request.completionTokens;
  const book = (model: string, at: number, request: SimRequest, consumerCap?: number): void => {
    const list = parts.get(model) as Part[];
    const end = at + MINUTE_MS;
    const consumer = consumerCap !== undefined;
    if (input.accounting === 'cap-booked') {
      // The ideal's own cap is the true length (or the learned one); the consumer's is what it sends.
      list.push({ start: at, end, tokens: request.promptTokens + (consumerCap ?? capOf(request)), requests: 1, consumer, checkExtra: 0 });
    } else {
      list.push({ start: at, end, tokens: request.promptTokens, requests: 1, consumer, checkExtra: consumerCap ?? 0 });
      list.push({ start: at + serviceMs(request.completionTokens), end, tokens: request.completionTokens, requests: 0, consumer, checkExtra: 0 });
    }
  };
  for (const spend of input.otherConsumer) book(spend.model, spend.at, spend, spend.cap);

  const minuteUse = (list: readonly Part[], at: number): { tokens: number; requests: number } => {
    let tokens = 0;
    let requests = 0;
    for (const p of list) {
      if (p.start <= at && at < p.end) {
        tokens += p.tokens;
        requests += p.requests;
      }
    }
    return { tokens, requests };
  };
  const dayUse = (list: readonly Part[], at: number): { tokens: number; requests: number } => {
    let tokens = 0;
    let requests = 0;
    for (const p of list) {
      if (p.start <= at) {
        tokens += p.tokens;
        requests += p.requests;
      }
    }
    return { tokens, requests };
  };

  /** Whether `request` may be sent to `model` at `at`, with its true length as the cap. */
  const fits = (model: string, at: number, request: SimRequest): boolean => {
    const limits = input.limits[model] as WindowLimits;
    const list = parts.get(model) as Part[];
    const check = request.promptTokens + capOf(request);
    const now = minuteUse(list, at);
    if (now.requests + 1 > limits.rpm || now.tokens + check > limits.tpm) return false;
    const day = dayUse(list, at);
    if (day.requests + 1 > limits.rpd || day.tokens + check > limits.tpd) return false;
    // The consumer's requests to come within this booking's minute must still be admitted.
    const done = at + serviceMs(request.completionTokens);
    for (const p of list) {
      if (!p.consumer || p.requests !== 1 || p.start <= at || p.start >= at + MINUTE_MS) continue;
      const mine = input.accounting === 'cap-booked' ? check : request.promptTokens + (p.start >= done ? request.completionTokens : 0);
      const then = minuteUse(list, p.start);
      if (then.requests + 1 > limits.rpm || then.tokens + mine + p.checkExtra > limits.tpm) return false;
    }
    return true;
  };

  /** The next moment after `at` when some booking leaves a window. */
  const nextRelease = (at: number): number => {
    let next = Number.POSITIVE_INFINITY;
    for (const list of parts.values()) for (const p of list) if (p.end > at && p.end < next) next = p.end;
    return next;
  };

  const byModel: Record<string, number> = Object.fromEntries(input.chain.map((m) => [m, 0]));
  let answers = 0;
  const ready = input.agents.map(() => 0);
  const nextIndex = input.agents.map(() => 0);
  const active = new Set(input.agents.map((_, i) => i));
  const sent: { at: number; agent: number; model: string; tokens: number }[] = [];
  while (active.size > 0) {
    // The agent ready first (lowest index on ties) acts next, so bookings are made in time order.
    let agent = -1;
    for (const a of active) if (agent === -1 || (ready[a] as number) < (ready[agent] as number)) agent = a;
    const at = ready[agent] as number;
    const request = input.agents[agent]?.[nextIndex[agent] as number];
    if (at >= input.durationMs || request === undefined) {
      active.delete(agent);
      continue;
    }
    const model = input.chain.find((m) => fits(m, at, request));
    if (model === undefined) {
      ready[agent] = Math.max(nextRelease(at), at + 1);
      continue;
    }
    book(model, at, request);
    sent.push({ at, agent, model, tokens: request.promptTokens + capOf(request) });
    answered.push(request.completionTokens);
    const done = at + serviceMs(request.completionTokens);
    if (done <= input.durationMs) {
      answers++;
      byModel[model] = (byModel[model] ?? 0) + 1;
    }
    ready[agent] = done;
    nextIndex[agent] = (nextIndex[agent] as number) + 1;
  }
  return { answers, perMinute: answers / (input.durationMs / MINUTE_MS), byModel, sent };
}
