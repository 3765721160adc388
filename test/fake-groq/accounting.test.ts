/**
 * The agent-quota options: TPM accounting rules, prompt counting modes, per-request completion lengths
 * ([[completion_tokens=N]]) and pacing. Timing is never asserted: pacing tests look at frames and usage.
 */
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import type { FakeGroq } from './server.js';
import { errorOf, fakesClosedAfterEach, KEY, openai, postJson } from './test-setup.js';

const MODEL = 'llama-3.1-8b-instant';
const OTHER = 'qwen/qwen3-32b';
const start = fakesClosedAfterEach();

/** A fixed clock, so the 60 s windows only move when a test says so. */
function clock() {
  let t = 1_700_000_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const chat = (fake: FakeGroq, body: unknown): Promise<Response> => postJson(fake, '/openai/v1/chat/completions', body);
const responses = (fake: FakeGroq, body: unknown): Promise<Response> => postJson(fake, '/openai/v1/responses', body);

/** 40 characters of prompt (10 tokens as content characters / 4) asking for `n` completion tokens. */
const asking = (n: number, extra: Record<string, unknown> = {}, model = MODEL) => ({
  model,
  messages: [{ role: 'user', content: `Write it. [[completion_tokens=${n}]]`.padEnd(40, '.') }],
  ...extra,
});

const remainingTokens = (res: Response): number => Number(res.headers.get('x-ratelimit-remaining-tokens'));

type Frame = ChatCompletionChunk & { x_groq?: { usage?: ChatCompletion['usage'] } };

function sseData(text: string): Frame[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: ') && frame !== 'data: [DONE]')
    .map((frame) => JSON.parse(frame.slice('data: '.length)) as Frame);
}

describe('[[completion_tokens=N]]', () => {
  it('answers exactly N tokens of text when the cap allows, and cuts at the cap with finish_reason length', async () => {
    const fake = await start();
    const full = (await (await chat(fake, asking(37, { max_tokens: 100 }))).json()) as ChatCompletion;
    expect(full.choices[0]?.finish_reason).toBe('stop');
    expect(full.choices[0]?.message.content?.trim().split(/\s+/)).toHaveLength(37);
    expect(full.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 37, total_tokens: 47 });

    const uncapped = (await (await chat(fake, asking(600))).json()) as ChatCompletion;
    expect(uncapped.usage?.completion_tokens).toBe(600);

    const cut = (await (await chat(fake, asking(37, { max_completion_tokens: 20, max_tokens: 500 }))).json()) as ChatCompletion;
    expect(cut.choices[0]?.finish_reason).toBe('length');
    expect(cut.choices[0]?.message.content?.trim().split(/\s+/)).toHaveLength(20);
    expect(cut.usage?.completion_tokens).toBe(20);
  });

  it('streams the same answer, with the usage in x_groq and the usage chunk', async () => {
    const fake = await start();
    const stream = await openai(fake).chat.completions.create({ ...asking(25, { max_tokens: 10 }), stream: true, stream_options: { include_usage: true } } as never);
    let text = '';
    let finish: string | null = null;
    let usage: ChatCompletion['usage'] | undefined;
    for await (const chunk of stream as unknown as AsyncIterable<ChatCompletionChunk>) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text.trim().split(/\s+/)).toHaveLength(10);
    expect(finish).toBe('length');
    expect(usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 10 });
  });

  it('works on /responses: incomplete when cut by max_output_tokens', async () => {
    const fake = await start();
    const whole = (await (await responses(fake, { model: MODEL, input: 'Go [[completion_tokens=30]]', max_output_tokens: 50 })).json()) as Record<string, unknown>;
    expect(whole).toMatchObject({ status: 'completed', usage: { output_tokens: 30 } });
    const cut = (await (await responses(fake, { model: MODEL, input: 'Go [[completion_tokens=30]]', max_output_tokens: 12 })).json()) as Record<string, unknown>;
    expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { output_tokens: 12 } });
  });

  it('is not mistaken for the cached default answer in fast mode', async () => {
    const fake = await start({ fast: true });
    const body = (await (await chat(fake, asking(8))).json()) as ChatCompletion;
    expect(body.usage?.completion_tokens).toBe(8);
    expect(body.choices[0]?.message.content).toBe('tok '.repeat(8));
  });
});

describe('accounting rules', () => {
  it('reserve-then-settle stays the default: prompt + cap checked, settled to real usage at once', async () => {
    const c = clock();
    const fake = await start({ now: c.now, limits: { [MODEL]: { tpm: 6_000 } } });
    const res = await chat(fake, asking(50, { max_tokens: 1_000 }));
    expect(remainingTokens(res)).toBe(6_000 - 60);
    expect(fake.usage(KEY, MODEL).tokensLastMinute).toBe(60);
  });

  it('cap-booked keeps prompt + cap booked for the whole window', async () => {
    const c = clock();
    const fake = await start({ now: c.now, limits: { [MODEL]: { tpm: 6_000 } }, accounting: { [MODEL]: 'cap-booked' } });
    const res = await chat(fake, asking(50, { max_tokens: 1_000 }));
    expect(res.status).toBe(200);
    expect(remainingTokens(res)).toBe(6_000 - 1_010);
    // No max_tokens: the default cap (1024) is what is booked.
    await (await chat(fake, asking(50))).text();
    c.advance(59_000);
    expect(fake.usage(KEY, MODEL).tokensLastMinute).toBe(1_010 + 1_034);
    c.advance(1_000);
    expect(fake.usage(KEY, MODEL).tokensLastMinute).toBe(0);
  });

  it('actual-booked books the prompt at admission and the completion when the answer ends', async () => {
    const c = clock();
    const fake = await start({ now: c.now, limits: { [MODEL]: { tpm: 6_000 } }, defaultAccounting: 'actual-booked' });
    const json = await chat(fake, asking(50, { max_tokens: 1_000 }));
    // Non-stream: the answer has ended before its headers are written.
    expect(remainingTokens(json)).toBe(6_000 - 60);

    const stream = await chat(fake, asking(50, { max_tokens: 1_000, stream: true }));
    // Stream: the headers go out at the start, when only the prompt is booked.
    expect(remainingTokens(stream)).toBe(6_000 - 60 - 10);
    await stream.text();
    expect(fake.usage(KEY, MODEL).tokensLastMinute).toBe(120);
  });

  it('every rule admits on prompt + cap: a request whose cap does not fit is a 429 with Groq figures', async () => {
    for (const rule of ['cap-booked', 'actual-booked'] as const) {
      const c = clock();
      const fake = await start({ now: c.now, limits: { [MODEL]: { tpm: 6_000 } }, defaultAccounting: rule, organization: 'org_01abc' });
      fake.consume(KEY, MODEL, { tokens: 5_200 });
      c.advance(52_500);
      const refused = await chat(fake, asking(50, { max_tokens: 1_490 }));
      expect(refused.status, rule).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('8');
      expect((await errorOf(refused)).message).toBe(
        'Rate limit reached for model `llama-3.1-8b-instant` in organization `org_01abc` service tier `on_demand` on tokens per minute (TPM): ' +
          'Limit 6000, Used 5200, Requested 1500. Please try again in 7.5s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing',
      );
      expect((await chat(fake, asking(50, { max_tokens: 700 }))).status, rule).toBe(200);
    }
  });

  it('is chosen per model, with defaultAccounting for the others', async () => {
    const c = clock();
    const fake = await start({ now: c.now, accounting: { [OTHER]: 'cap-booked' }, defaultAccounting: 'actual-booked' });
    await (await chat(fake, asking(5, { max_tokens: 100 }, OTHER))).text();
    await (await chat(fake, asking(5, { max_tokens: 100 }))).text();
    expect(fake.usage(KEY, OTHER).tokensLastMinute).toBe(110);
    expect(fake.usage(KEY, MODEL).tokensLastMinute).toBe(15);
  });

  it('applies to /responses too (max_output_tokens is the cap)', async () => {
    const c = clock();
    const fake = await start({ now: c.now, accounting: { [MODEL]: 'cap-booked', [OTHER]: 'actual-booked' } });
    // 'Go [[completion_tokens=30]]' is 27 characters: 7 tokens.
    await (await responses(fake, { model: MODEL, input: 'Go [[completion_tokens=30]]', max_output_tokens: 500 })).text();
    await (await responses(fake, { model: OTHER, input: 'Go [[completion_tokens=30]]', max_output_tokens: 500, stream: true })).text();
    expect(fake.usage(KEY, MODEL).tokensLastMinute).toBe(507);
    expect(fake.usage(KEY, OTHER).tokensLastMinute).toBe(37);
  });
});

describe('prompt counting', () => {
  const messages = [
    { role: 'system', content: 'You are a coding agent.' },
    { role: 'user', content: 'Fix the bug. [[completion_tokens=5]]' },
  ];
  const tools = [{ type: 'function', function: { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } } }];
  const json = Math.ceil((JSON.stringify(messages).length + JSON.stringify(tools).length) / 4);

  it('messages-json counts the JSON of messages and tools; promptScale multiplies; usage reports the count', async () => {
    const fake = await start({ promptCount: 'messages-json', promptScale: { [MODEL]: 1.1 } });
    const scaled = (await (await chat(fake, { model: MODEL, messages, tools })).json()) as ChatCompletion;
    expect(scaled.usage?.prompt_tokens).toBe(Math.ceil(json * 1.1));
    const plain = (await (await chat(fake, { model: OTHER, messages, tools })).json()) as ChatCompletion;
    expect(plain.usage?.prompt_tokens).toBe(json);
    const frames = sseData(await (await chat(fake, { model: MODEL, messages, tools, stream: true, stream_options: { include_usage: true } })).text());
    const last = frames.at(-1);
    expect(last?.usage?.prompt_tokens).toBe(Math.ceil(json * 1.1));
    expect(frames.find((f) => f.x_groq?.usage !== undefined)?.x_groq?.usage?.prompt_tokens).toBe(Math.ceil(json * 1.1));
  });

  it('is chosen per model (content-chars for the others) and is what the TPM check counts', async () => {
    const c = clock();
    const fake = await start({ now: c.now, promptCount: { [MODEL]: 'messages-json' }, promptScale: 0.9, accounting: { [MODEL]: 'cap-booked', [OTHER]: 'cap-booked' } });
    await (await chat(fake, { model: MODEL, messages, tools, max_tokens: 10 })).text();
    await (await chat(fake, { model: OTHER, messages, tools, max_tokens: 10 })).text();
    const chars = Math.ceil((messages[0]?.content.length ?? 0) / 4 + (messages[1]?.content.length ?? 0) / 4);
    expect(fake.usage(KEY, MODEL).tokensLastMinute).toBe(Math.ceil(json * 0.9) + 10);
    expect(fake.usage(KEY, OTHER).tokensLastMinute).toBe(Math.ceil(chars * 0.9) + 10);
  });
});

describe('pacing', () => {
  it('streams content in frames of ~16 tokens with the same text and usage', async () => {
    // Fast pacing so the test stays quick; only the framing is asserted, never the time.
    const fake = await start({ ttftMs: { [MODEL]: 5 }, tokensPerSecond: 50_000 });
    const frames = sseData(await (await chat(fake, asking(100, { stream: true }))).text());
    const contents = frames.map((f) => f.choices[0]?.delta.content ?? '').filter((t) => t !== '');
    expect(contents.join('')).toBe('tok '.repeat(100));
    expect(contents).toHaveLength(Math.ceil(400 / 64));
    expect(frames.find((f) => f.x_groq?.usage !== undefined)?.x_groq?.usage?.completion_tokens).toBe(100);
  });

  it('paces non-stream answers and /responses streams without changing what they say', async () => {
    const fake = await start({ ttftMs: 5, tokensPerSecond: 50_000 });
    const body = (await (await chat(fake, asking(40))).json()) as ChatCompletion;
    expect(body.usage?.completion_tokens).toBe(40);
    const text = await (await responses(fake, { model: MODEL, input: 'Go [[completion_tokens=40]]', stream: true })).text();
    const deltas = [...text.matchAll(/"delta":"([^"]*)"/g)].map((m) => m[1]);
    expect(deltas.join('')).toBe('tok '.repeat(40));
    expect(text).toContain('event: response.completed');
  });
});
