/**
 * Coding-agent traffic on Groq's free plan (issue 13): completion caps that fit, a prompt estimate
 * calibrated to Groq's count, budgets reconciled with its headers, and waiting that re-plans.
 * Each test runs the real gateway against the fake Groq through the official clients; the fake and the
 * gateway's budgets share one clock, so no test waits for a window to pass.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryQuotaStore } from '../../src/quota/memory-store.js';
import type { Accounting } from '../fake-groq/accounting.js';
import type { FakeGroqOptions } from '../fake-groq/types.js';
import { ManualClock, startStack, UPSTREAM_KEY, type Stack } from './harness.js';

const MINUTE = 60_000;
/** Long enough for every booking to leave both Groq's minute window and the gateway's (its grace included). */
const PAST_WINDOW = MINUTE + 2_000;
const EIGHT_B = 'llama-3.1-8b-instant';
const TWENTY_B = 'openai/gpt-oss-20b';
const QWEN = 'qwen/qwen3-32b';
/** Groq's free plan, as config/groq-models.yaml has it. */
const FREE = {
  [EIGHT_B]: { rpm: 30, rpd: 14_400, tpm: 6_000, tpd: 500_000 },
  [TWENTY_B]: { rpm: 30, rpd: 1_000, tpm: 8_000, tpd: 200_000 },
  [QWEN]: { rpm: 60, rpd: 1_000, tpm: 6_000, tpd: 500_000 },
};

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const deployment = (model: string, params = '') => `  - model_name: groq/${model}
    litellm_params:
      model: groq/${model}
      api_key: os.environ/GROQ_API_KEY
      api_base: FAKE_URL/openai/v1${params}
`;

/** Limits far above what a test spends, in the config and at the fake alike. */
const ROOMY = { rpm: 10_000, rpd: 1_000_000, tpm: 10_000_000, tpd: 100_000_000 };
const ROOMY_PARAMS = `\n      rpm: ${ROOMY.rpm}\n      rpd: ${ROOMY.rpd}\n      tpm: ${ROOMY.tpm}\n      tpd: ${ROOMY.tpd}`;

/** The three-model chain of the issue, on catalogue (free plan) limits, against a fake enforcing them. */
async function start(clock: ManualClock, fake: FakeGroqOptions = {}, settings = '', params = ''): Promise<Stack> {
  stack = await startStack({
    yaml: `model_list:
${deployment(EIGHT_B, params)}${deployment(TWENTY_B, params)}${deployment(QWEN, params)}
router_settings:
  groq_plan: free
  num_retries: 0
${settings}
litellm_settings:
  fallbacks:
    - groq/${EIGHT_B}: [groq/${TWENTY_B}, groq/${QWEN}]
`,
    fake: { now: clock.now, limits: FREE, ...fake },
    quota: new MemoryQuotaStore({ now: clock.now }),
    clock: clock.now,
  });
  return stack;
}

/** A Kilo-like request: a prompt of about `promptTokens`, `max_tokens` 8192, an answer of `answer` tokens. */
function kiloRequest(promptTokens: number, answer: number) {
  return {
    model: `groq/${EIGHT_B}`,
    max_tokens: 8192,
    messages: [
      { role: 'system' as const, content: 'You are Kilo. '.repeat(Math.floor((promptTokens * 4) / 14)) },
      { role: 'user' as const, content: `Fix the bug. [[completion_tokens=${answer}]]` },
    ],
  };
}

async function ask(s: Stack, promptTokens: number, answer: number) {
  const { data, response } = await s.openai().chat.completions.create(kiloRequest(promptTokens, answer)).withResponse();
  return { data, headers: response.headers };
}

const upstream429s = (s: Stack) => s.fake.calls.filter((call) => call.status === 429).length;

async function quota(s: Stack) {
  return (await (await fetch(`${s.url}/quota`)).json()) as {
    completion_caps: Record<string, { target: number; floor: number }>;
    budgets: Array<{
      model: string;
      windows: { tpm: { used: number } };
      learned: { prompt_ratio: number; upstream_keeps_unused_cap: boolean; kept_for_other_consumers: number };
    }>;
  };
}

describe.each<Accounting>(['cap-booked', 'actual-booked'])('an agent on the free plan, Groq booking %s', (rule) => {
  it('gets consecutive answers to max_tokens 8192 without a minute’s wait, and no upstream 429', async () => {
    const clock = new ManualClock();
    const s = await start(clock, { defaultAccounting: rule });
    for (let i = 0; i < 6; i++) {
      const { data, headers } = await ask(s, 1_500, 300);
      expect(data.choices[0]?.finish_reason).toBe('stop');
      const sent = Number(headers.get('x-groq-router-max-tokens'));
      // The cap booked and sent fits the free plan's 6,000 TPM beside the prompt, and the answer.
      expect(sent).toBeGreaterThanOrEqual(300);
      expect(sent).toBeLessThan(2_000);
      clock.advance(2_000);
    }
    expect(upstream429s(s)).toBe(0);
    // The learned cap follows what the answers needed (and a little over: a third after six), not the
    // 8,192 asked for.
    expect((await quota(s)).completion_caps[`groq/${EIGHT_B}`]?.floor).toBe(400);
  });
});

describe('calibration', () => {
  it.each([1.1, 0.9])('converges on Groq’s prompt count when it differs from the estimate (x%s)', async (scale) => {
    const clock = new ManualClock();
    const s = await start(clock, { promptCount: 'messages-json', promptScale: scale });
    for (let i = 0; i < 8; i++) {
      await ask(s, 2_000, 200);
      clock.advance(PAST_WINDOW);
    }
    const budget = (await quota(s)).budgets.find((b) => b.model === EIGHT_B);
    expect(budget?.learned.prompt_ratio).toBeGreaterThan(scale * 0.95);
    expect(budget?.learned.prompt_ratio).toBeLessThan(scale * 1.12);
  });
});

describe('reconciliation with Groq’s headers', () => {
  it('books what another consumer of the key spent, so the next request fits what is left instead of meeting a 429', async () => {
    const clock = new ManualClock();
    const s = await start(clock, { defaultAccounting: 'actual-booked' });
    await ask(s, 1_000, 200);
    // Someone else spends a third of the 8B model's minute directly at Groq.
    s.fake.consume(UPSTREAM_KEY, EIGHT_B, { requests: 1, tokens: 2_000 });
    const { headers } = await ask(s, 1_000, 200);
    expect(headers.get('x-litellm-model-group')).toBe(`groq/${EIGHT_B}`);
    // That answer's headers told the gateway: its count now holds the outside spending.
    const used = (await quota(s)).budgets.find((b) => b.model === EIGHT_B)?.windows.tpm.used ?? 0;
    // Within the estimate's safety margin, settled away after the headers were read.
    expect(used).toBeGreaterThanOrEqual(s.fake.usage(UPSTREAM_KEY, EIGHT_B).tokensLastMinute * 0.98);
    const left = 6_000 - s.fake.usage(UPSTREAM_KEY, EIGHT_B).tokensLastMinute;
    const next = await ask(s, 1_000, 200);
    // Served where it fits: a smaller cap in what the 8B model has left, or the next model of the chain.
    if (next.headers.get('x-litellm-model-group') === `groq/${EIGHT_B}`) {
      expect(1_000 + Number(next.headers.get('x-groq-router-max-tokens'))).toBeLessThanOrEqual(left);
    }
    expect(upstream429s(s)).toBe(0);
  });

  it('keeps room for another consumer once its spending slid out of the window, as it will likely spend again', async () => {
    const clock = new ManualClock();
    // Groq booking the caps it is sent, as the gateway first assumes: its count and ours agree but for the other consumer.
    const s = await start(clock, { defaultAccounting: 'cap-booked' });
    // Someone else spends a third of the 8B model's minute directly at Groq; the first answer's headers show it.
    s.fake.consume(UPSTREAM_KEY, EIGHT_B, { requests: 1, tokens: 2_000 });
    expect((await ask(s, 500, 200)).headers.get('x-litellm-model-group')).toBe(`groq/${EIGHT_B}`);
    clock.advance(40_000);
    expect((await ask(s, 1_000, 200)).headers.get('x-litellm-model-group')).toBe(`groq/${EIGHT_B}`);
    // A little over a minute from the start, neither the gateway's window nor Groq's holds any of the
    // other consumer's spending any more; the gateway's second request is still booked.
    clock.advance(22_000);
    expect(s.fake.usage(UPSTREAM_KEY, EIGHT_B).tokensLastMinute).toBeLessThan(2_100);
    // A request that fits what the 8B model's minute has left, but not beside the other consumer's usual
    // 2,000 (and a fifth), goes to the next model of the chain, leaving the 8B model's room to it.
    const { headers } = await ask(s, 2_300, 200);
    expect(headers.get('x-litellm-model-group')).toBe(`groq/${TWENTY_B}`);
    expect(upstream429s(s)).toBe(0);
  });

  it('learns of another consumer from the headers of a 429 too, and keeps its room once its spending slid out', async () => {
    const clock = new ManualClock();
    const s = await start(clock, { defaultAccounting: 'cap-booked' });
    // Someone else has spent two thirds of the 8B model's minute before the gateway's first call.
    s.fake.consume(UPSTREAM_KEY, EIGHT_B, { requests: 1, tokens: 4_000 });
    const first = await ask(s, 3_000, 200);
    // Refused there (the gateway could not know), served by the next model of the chain.
    expect(upstream429s(s)).toBe(1);
    expect(first.headers.get('x-litellm-model-group')).toBe(`groq/${TWENTY_B}`);
    clock.advance(PAST_WINDOW);
    // The refusal's headers showed the other consumer's 4,000: that much and a fifth (just beginning to
    // fade a minute on) is kept free for it.
    const kept = (await quota(s)).budgets.find((b) => b.model === EIGHT_B)?.learned.kept_for_other_consumers ?? 0;
    expect(kept).toBeGreaterThan(4_000);
    expect(kept).toBeLessThanOrEqual(4_800);
  });

  it('learns whether Groq keeps an answer’s unused cap booked, from its headers', async () => {
    for (const [rule, keeps] of [['cap-booked', true], ['actual-booked', false]] as const) {
      const clock = new ManualClock();
      const s = await start(clock, { defaultAccounting: rule, limits: { [EIGHT_B]: ROOMY } }, '', ROOMY_PARAMS);
      for (let i = 0; i < 8; i++) {
        await ask(s, 1_000, 200);
        clock.advance(1_000);
      }
      expect((await quota(s)).budgets.find((b) => b.model === EIGHT_B)?.learned.upstream_keeps_unused_cap).toBe(keeps);
      await s.close();
      stack = undefined;
    }
  });

  it.each([1, 0.8])('learns it from streamed answers’ headers even when each model is called once a minute, as one agent’s chain is (Groq counting prompts x%s)', async (scale) => {
    for (const [rule, keeps] of [['cap-booked', true], ['actual-booked', false]] as const) {
      const clock = new ManualClock();
      // x0.8: the first estimates are well over Groq's count, which the gap must not be taken for.
      const counting = { promptCount: 'messages-json', promptScale: scale } as const;
      const s = await start(clock, { defaultAccounting: rule, ...counting, limits: { [EIGHT_B]: ROOMY } }, '', ROOMY_PARAMS);
      for (let i = 0; i < 5; i++) {
        const stream = await s.openai().chat.completions.create({ ...kiloRequest(1_000, 150 + ((i * 173) % 450)), stream: true });
        for await (const chunk of stream) void chunk;
        // Nothing this answer left unused is still in the window at the next call.
        clock.advance(PAST_WINDOW);
      }
      expect((await quota(s)).budgets.find((b) => b.model === EIGHT_B)?.learned.upstream_keeps_unused_cap).toBe(keeps);
      await s.close();
      stack = undefined;
    }
  });

  it('learns that Groq books usage beside another consumer, whose spending would look like kept caps', async () => {
    const clock = new ManualClock();
    const s = await start(clock, { defaultAccounting: 'actual-booked', limits: { [EIGHT_B]: ROOMY } }, '', ROOMY_PARAMS);
    for (let i = 0; i < 16; i++) {
      // Before every other request someone else spends on the key: Groq counts more than the gateway
      // then, as it would if it kept the caps the gateway's answers left unused.
      if (i % 2 === 1) s.fake.consume(UPSTREAM_KEY, EIGHT_B, { requests: 1, tokens: 3_000 });
      // Answers of 150-600 tokens, as an agent's are: most leave part of their cap unused.
      await ask(s, 1_000, 150 + ((i * 173) % 450));
      clock.advance(1_000);
    }
    expect((await quota(s)).budgets.find((b) => b.model === EIGHT_B)?.learned.upstream_keeps_unused_cap).toBe(false);
  });
});

describe('a 429 on an empty window', () => {
  it('re-plans once with the corrected estimate and never loops', async () => {
    const clock = new ManualClock();
    // Groq counts prompts twice as large as the characters/4 estimate.
    const s = await start(clock, { promptCount: 'messages-json', promptScale: 2 });
    const { data } = await ask(s, 2_500, 200);
    expect(data.choices[0]?.message.content).toBeTruthy();
    // At most the refused call and its one re-planned call per deployment; none left repeating.
    const calls = s.fake.calls.filter((call) => call.model === EIGHT_B).length;
    expect(calls).toBeLessThanOrEqual(2);
    // The estimate learned from the refusal: the next request is sized right at once.
    const before = upstream429s(s);
    clock.advance(PAST_WINDOW);
    await ask(s, 2_500, 200);
    expect(upstream429s(s)).toBe(before);
  });

  it('answers 413 naming the limit when the prompt alone can never fit', async () => {
    const clock = new ManualClock();
    const s = await start(clock, { promptCount: 'messages-json', promptScale: 3 });
    const error = await ask(s, 4_000, 200).catch((err: unknown) => err as { status: number; message: string });
    expect(error).toMatchObject({ status: 413 });
    expect(s.fake.calls.length).toBeLessThanOrEqual(6);
  });
});

describe('retry-after as a promise', () => {
  it('tells callers refused one after another when each fits, and each comes back to an answer', async () => {
    const clock = new ManualClock();
    const s = await start(clock, { defaultAccounting: 'actual-booked' });
    // Answers first, so that the learned cap can shrink to fit (the default does not).
    for (let i = 0; i < 8; i++) {
      await s.openai().chat.completions.create({ ...kiloRequest(500, 200), model: `groq/${QWEN}`, max_tokens: 2_000 });
      clock.advance(20_000);
    }
    clock.advance(PAST_WINDOW);
    // Five agents, each with its own prompt; each sends its request again after its retry-after.
    const requests = Array.from({ length: 5 }, (_, i) => ({ ...kiloRequest(1_500 + 40 * i, 200), model: `groq/${QWEN}`, max_tokens: 2_000 }));
    /** The wait the caller was given (ms, as the openai client reads it), or undefined when it was served. */
    const retryAfter = async (request: (typeof requests)[number]): Promise<number | undefined> => {
      const refused = await s.openai().chat.completions.create(request).then(
        () => undefined,
        (err: unknown) => err as { status: number; headers: Headers },
      );
      if (refused === undefined) return undefined;
      expect(refused.status).toBe(429);
      // Exact in `retry-after-ms`, which the openai client prefers; `retry-after` is it in whole seconds.
      const ms = Number(refused.headers.get('retry-after-ms'));
      expect(Number(refused.headers.get('retry-after'))).toBe(Math.max(1, Math.ceil(ms / 1_000)));
      return ms;
    };
    // Qwen's 6,000 TPM takes two of these a minute; the callers after them are refused, a few seconds apart.
    const dues: { at: number; request: (typeof requests)[number] }[] = [];
    for (const request of requests) {
      const wait = await retryAfter(request);
      if (wait !== undefined) dues.push({ at: clock.t + wait, request });
      clock.advance(5_000);
    }
    expect(dues.length).toBeGreaterThanOrEqual(2);
    // Each caller, coming back at its own retry-after, is served, even when another agent's new request
    // arrives at that moment just before it: what was promised to it is not the newcomer's.
    let newcomers = 0;
    for (const due of [...dues].sort((a, b) => a.at - b.at)) {
      clock.t = Math.max(clock.t, due.at);
      const newcomer = { ...kiloRequest(1_700 + 40 * newcomers++, 200), model: `groq/${QWEN}`, max_tokens: 2_000 };
      expect(await retryAfter(newcomer)).toBeGreaterThan(0);
      expect(await retryAfter(due.request)).toBeUndefined();
    }
    expect(upstream429s(s)).toBe(0);
  });
});

describe('waiting for headroom', () => {
  it('re-plans when a settle frees capacity, long before the retry-after', async () => {
    const clock = new ManualClock();
    const s = await start(clock, { defaultAccounting: 'actual-booked', ttftMs: 300, tokensPerSecond: 2_000 }, '  max_queue_wait_seconds: 30\n  completion_cap: requested');
    // One single-deployment alias, asking for most of its 6,000 TPM each time.
    const request = { ...kiloRequest(1_500, 200), model: `groq/${QWEN}`, max_tokens: 2_500 };
    // A few answers teach the gateway that this Groq gives unused caps back.
    for (let i = 0; i < 5; i++) {
      await s.openai().chat.completions.create(request);
      clock.advance(PAST_WINDOW);
    }
    clock.advance(2 * MINUTE);
    const first = s.openai().chat.completions.create(request);
    await new Promise((r) => setTimeout(r, 100));
    const second = s.openai().chat.completions.create(request).withResponse();
    const [a, b] = await Promise.all([first, second]);
    expect(a.choices[0]?.finish_reason).toBe('stop');
    expect(b.data.choices[0]?.finish_reason).toBe('stop');
    // The clock never moved: only the first answer's settle can have let the second in.
    expect(upstream429s(s)).toBe(0);
  });
});
