import { afterEach, describe, expect, it } from 'vitest';
import { MemoryQuotaStore } from '../../src/quota/memory-store.js';
import { GROQ_DEV_LIMITS, type RateLimits } from '../fake-groq/server.js';
import { deploymentYaml, ManualClock, startStack, UPSTREAM_KEY, type Stack } from './harness.js';
import { bookingLifetimeMs } from '../../src/quota/types.js';

/** The longest wait a minute window can give: its minute, one bucket and its grace, in whole seconds. */
const LONGEST_RETRY_AFTER_S = Math.ceil(bookingLifetimeMs('tpm') / 1000);

const PRIMARY = 'groq/llama-3.3-70b-versatile';
const FALLBACK = 'groq/openai/gpt-oss-120b';
const PRIMARY_MODEL = 'llama-3.3-70b-versatile';
const FALLBACK_MODEL = 'openai/gpt-oss-120b';
const MINUTE = 60_000;

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function start(limits: RateLimits, clock: ManualClock, extraYaml = ''): Promise<Stack> {
  const params = `\n      rpm: ${limits.rpm}\n      tpm: ${limits.tpm}\n      rpd: ${limits.rpd}\n      tpd: ${limits.tpd}`;
  stack = await startStack({
    yaml: `model_list:
${deploymentYaml(PRIMARY, PRIMARY_MODEL, '', params)}${deploymentYaml(FALLBACK, FALLBACK_MODEL, '', params)}
litellm_settings:
  fallbacks:
    - ${PRIMARY}: [${FALLBACK}]
${extraYaml}`,
    fake: { now: clock.now, limits: { [PRIMARY_MODEL]: limits, [FALLBACK_MODEL]: limits }, reply: () => 'word '.repeat(200) },
    quota: new MemoryQuotaStore({ now: clock.now }),
    clock: clock.now,
  });
  return stack;
}

interface Outcome {
  status: number;
  group: string | null;
  retryAfter: number | null;
  message: string;
}

async function chat(s: Stack, maxTokens = 50): Promise<Outcome> {
  const res = await fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: PRIMARY, max_tokens: maxTokens, messages: [{ role: 'user', content: 'Tell me a story' }] }),
  });
  const body = (await res.json()) as { error?: { message: string } };
  return {
    status: res.status,
    group: res.headers.get('x-litellm-model-group'),
    retryAfter: res.headers.has('retry-after') ? Number(res.headers.get('retry-after')) : null,
    message: body.error?.message ?? '',
  };
}

/** Seconds until the fake Groq would next admit a request for any of the chain's models. */
function trueResetSeconds(s: Stack, clock: ManualClock): number {
  const firstAt = (model: string) => Math.min(...s.fake.calls.filter((c) => c.model === model && c.status === 200).map((c) => c.at));
  return (Math.min(firstAt(PRIMARY_MODEL), firstAt(FALLBACK_MODEL)) + MINUTE - clock.t) / 1000;
}

const upstream429s = (s: Stack) => s.fake.calls.filter((c) => c.status === 429).length;

describe('budgets under demand above the limits', () => {
  it('spends RPM on the primary, then the fallback, then refuses with an accurate retry-after; zero upstream 429s', async () => {
    const clock = new ManualClock();
    const s = await start({ rpm: 5, tpm: 1_000_000, rpd: 1_000, tpd: 10_000_000 }, clock);
    const outcomes: Outcome[] = [];
    for (let round = 0; round < 3; round++) {
      // Five at once, three times the RPM in all, with time moving a little between rounds.
      outcomes.push(...(await Promise.all(Array.from({ length: 5 }, () => chat(s)))));
      clock.advance(1_000);
    }
    expect(upstream429s(s)).toBe(0);
    expect(outcomes.filter((o) => o.status === 200 && o.group === PRIMARY)).toHaveLength(5);
    expect(outcomes.filter((o) => o.status === 200 && o.group === FALLBACK)).toHaveLength(5);
    const refused = outcomes.filter((o) => o.status === 429);
    expect(refused).toHaveLength(5);
    for (const o of refused) {
      expect(o.message).toContain('RPM 5 used up');
      expect(o.retryAfter).not.toBeNull();
    }
    // Each refusal was computed at the moment it was answered, and is a promise: the capacity it names is
    // held for that caller, so a later caller hears a later moment (never an earlier one than Groq's).
    const last = (await chat(s)).retryAfter as number;
    const truth = trueResetSeconds(s, clock);
    expect(last - truth).toBeGreaterThanOrEqual(0);

    clock.advance(last * 1000);
    const resumed = await chat(s);
    expect(resumed).toMatchObject({ status: 200, group: PRIMARY });
    expect(upstream429s(s)).toBe(0);
  });

  it('keeps TPM with reservations settled to real usage; zero upstream 429s', async () => {
    const clock = new ManualClock();
    const s = await start({ rpm: 1_000, tpm: 2_000, rpd: 10_000, tpd: 10_000_000 }, clock);
    const outcomes: Outcome[] = [];
    // Each request books prompt + 300 and settles to about 300 (the long reply is cut at max_tokens).
    for (let round = 0; round < 7; round++) {
      outcomes.push(...(await Promise.all(Array.from({ length: 3 }, () => chat(s, 300)))));
      clock.advance(500);
    }
    expect(upstream429s(s)).toBe(0);
    const served = outcomes.filter((o) => o.status === 200);
    const refused = outcomes.filter((o) => o.status === 429);
    expect(served.length + refused.length).toBe(outcomes.length);
    expect(served.filter((o) => o.group === PRIMARY).length).toBeGreaterThanOrEqual(5);
    expect(served.filter((o) => o.group === FALLBACK).length).toBeGreaterThanOrEqual(5);
    expect(refused.length).toBeGreaterThan(0);
    for (const o of refused) expect(o.message).toMatch(/TPM 2000 used up/);
    const last = (await chat(s, 300)).retryAfter as number;
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThanOrEqual(LONGEST_RETRY_AFTER_S);
    clock.advance(last * 1000);
    expect((await chat(s, 300)).status).toBe(200);
    expect(upstream429s(s)).toBe(0);
  });

  it('backs off when another client of the same organisation spends the quota, before the upstream says 429', async () => {
    const clock = new ManualClock();
    const s = await start({ rpm: 1_000, tpm: 2_000, rpd: 10_000, tpd: 10_000_000 }, clock);
    // Someone else with the same key spends most of the minute's tokens.
    s.fake.consume(UPSTREAM_KEY, PRIMARY_MODEL, { tokens: 1_000 });
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 4; i++) outcomes.push(await chat(s, 300));
    expect(upstream429s(s)).toBe(0);
    // Our own count alone would have sent all four to the primary; its headers said otherwise.
    expect(outcomes[0]).toMatchObject({ status: 200, group: PRIMARY });
    expect(outcomes.some((o) => o.group === FALLBACK)).toBe(true);
    const quota = (await (await fetch(`${s.url}/quota`)).json()) as { budgets: Array<{ model: string; windows: { tpm: { remaining: number } }; upstream: unknown }> };
    const primary = quota.budgets.find((b) => b.model === PRIMARY_MODEL);
    expect(primary?.upstream).toMatchObject({ remaining_tokens_per_minute: expect.any(Number) });
    expect(primary?.windows.tpm.remaining).toBeLessThan(600);
  });

  it('answers 413 when a prompt alone is larger than every deployment TPM allows', async () => {
    const clock = new ManualClock();
    const s = await start({ rpm: 1_000, tpm: 200, rpd: 10_000, tpd: 10_000_000 }, clock);
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: PRIMARY, messages: [{ role: 'user', content: 'x'.repeat(4_000) }] }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('TPM 200');
    expect(s.fake.calls).toHaveLength(0);
  });

  it('lowers a completion cap that could never fit the TPM instead of failing it', async () => {
    const clock = new ManualClock();
    const s = await start({ rpm: 1_000, tpm: 2_000, rpd: 10_000, tpd: 10_000_000 }, clock);
    // Kilo Code always asks for 8192; with 2000 TPM that could never be admitted as asked.
    expect((await chat(s, 8_192)).status).toBe(200);
    const sent = s.fake.calls[0]?.body as { max_tokens: number };
    expect(sent.max_tokens).toBeLessThan(2_000);
    expect(upstream429s(s)).toBe(0);
  });
});

describe('settling', () => {
  it('settles to at least what Groq counts, and to the usage once it has seen Groq give unused caps back', async () => {
    const clock = new ManualClock();
    const s = await start({ rpm: 1_000, tpm: 100_000, rpd: 10_000, tpd: 10_000_000 }, clock);
    const tpmUsed = async () =>
      ((await (await fetch(`${s.url}/quota`)).json()) as { budgets: Array<{ model: string; windows: { tpm: { used: number } } }> }).budgets.find(
        (b) => b.model === PRIMARY_MODEL,
      )?.windows.tpm.used ?? Number.NaN;
    const real = () => s.fake.usage(UPSTREAM_KEY, PRIMARY_MODEL).tokensLastMinute;
    const stream = await s.openai().chat.completions.create({ model: PRIMARY, max_tokens: 5_000, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    for await (const chunk of stream) void chunk;
    // This fake gives the unused cap back after the answer; the gateway does not know that yet and keeps it.
    expect(real()).toBeLessThan(1_000);
    expect(await tpmUsed()).toBeGreaterThanOrEqual(real());
    for (let i = 0; i < 6; i++) await s.openai().chat.completions.create({ model: PRIMARY, max_tokens: 5_000, messages: [{ role: 'user', content: 'hi' }] });
    // By now the headers have shown it: an answer settles to exactly what it used, as Groq counts it.
    const [usedBefore, realBefore] = [await tpmUsed(), real()];
    await s.openai().chat.completions.create({ model: PRIMARY, max_tokens: 5_000, messages: [{ role: 'user', content: 'hi' }] });
    expect((await tpmUsed()) - usedBefore).toBe(real() - realBefore);
  });
});

describe('documented limits', () => {
  it('holds deployments to the catalogue limits when the config sets none, against a Groq enforcing them', async () => {
    const clock = new ManualClock();
    stack = await startStack({
      yaml: `model_list:
${deploymentYaml('groq/llama-3.1-8b-instant', 'llama-3.1-8b-instant', '', '')}${deploymentYaml('groq/openai/gpt-oss-20b', 'openai/gpt-oss-20b', '', '')}
litellm_settings:
  fallbacks:
    - groq/llama-3.1-8b-instant: [groq/openai/gpt-oss-20b]
`,
      fake: { now: clock.now, limits: GROQ_DEV_LIMITS },
      quota: new MemoryQuotaStore({ now: clock.now }),
      clock: clock.now,
    });
    const s = stack;
    const ask = () =>
      fetch(`${s.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'groq/llama-3.1-8b-instant', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }),
      });
    const statuses: number[] = [];
    const groups: Array<string | null> = [];
    // Three times the documented 30 RPM, ten at a time.
    for (let round = 0; round < 9; round++) {
      for (const res of await Promise.all(Array.from({ length: 10 }, ask))) {
        statuses.push(res.status);
        groups.push(res.headers.get('x-litellm-model-group'));
        await res.arrayBuffer();
      }
      clock.advance(100);
    }
    expect(upstream429s(s)).toBe(0);
    expect(groups.filter((g) => g === 'groq/llama-3.1-8b-instant')).toHaveLength(30);
    expect(groups.filter((g) => g === 'groq/openai/gpt-oss-20b')).toHaveLength(30);
    expect(statuses.filter((st) => st === 429)).toHaveLength(30);
  });
});

describe('/quota', () => {
  it('shows each budget with its limits, their source, usage, remaining and reset', async () => {
    const clock = new ManualClock();
    stack = await startStack({
      yaml: `model_list:
${deploymentYaml(PRIMARY, PRIMARY_MODEL, '', '\n      rpm: 7')}${deploymentYaml('groq/second-70b', PRIMARY_MODEL, '', '')}${deploymentYaml(FALLBACK, FALLBACK_MODEL, '', '')}`,
      fake: { now: clock.now },
      quota: new MemoryQuotaStore({ now: clock.now }),
      clock: clock.now,
    });
    await chat(stack);
    const res = await fetch(`${stack.url}/quota`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(UPSTREAM_KEY);
    const body = JSON.parse(text) as {
      plan: string;
      budgets: Array<{ model: string; key: string; deployments: Array<{ model_name: string }>; windows: Record<string, { limit: number | null; source: string; used: number; remaining: number | null; reset_in_s: number }> }>;
    };
    expect(body.plan).toBe('free');
    // Two deployments with the same key and model share one budget, held to the tighter limit.
    expect(body.budgets).toHaveLength(2);
    const primary = body.budgets.find((b) => b.model === PRIMARY_MODEL);
    expect(primary?.deployments.map((d) => d.model_name).sort()).toEqual([PRIMARY, 'groq/second-70b'].sort());
    expect(primary?.key).toBe(`${UPSTREAM_KEY.slice(0, 4)}...${UPSTREAM_KEY.slice(-4)}`);
    expect(primary?.windows.rpm).toMatchObject({ limit: 7, source: 'config', used: 1, remaining: 6 });
    expect(primary?.windows.rpm?.reset_in_s).toBeGreaterThan(59);
    expect(primary?.windows.tpm).toMatchObject({ limit: 12_000, source: 'catalogue' });
    expect(primary?.windows.tpd).toMatchObject({ limit: 100_000, source: 'catalogue' });
    expect(primary?.windows.ash).toMatchObject({ limit: null, source: 'none' });
  });
});
