import Groq from 'groq-sdk';
import type { ChatCompletion, ChatCompletionChunk } from 'groq-sdk/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import type { FakeGroq } from './server.js';
import { errorOf, fakesClosedAfterEach, groq, KEY, postJson } from './test-setup.js';

const MODEL = 'llama-3.3-70b-versatile';

const start = fakesClosedAfterEach();

/** groq-sdk's chunk type has no top-level `usage`; the OpenAI-style usage-only chunk does. */
type Chunk = ChatCompletionChunk & { usage?: ChatCompletion['usage'] };
const completionOf = async (res: Response): Promise<ChatCompletion> => (await res.json()) as ChatCompletion;
const chunkOf = (data: string): Chunk => JSON.parse(data) as Chunk;

const chat = (fake: FakeGroq, body: unknown, init: { key?: string | null; signal?: AbortSignal } = {}): Promise<Response> =>
  postJson(fake, '/openai/v1/chat/completions', body, init.key, init.signal);

const userSays = (text: string, extra: Record<string, unknown> = {}) => ({ model: MODEL, messages: [{ role: 'user', content: text }], ...extra });

/** `data:` payloads of an SSE body, in order. */
function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => frame.slice('data: '.length));
}

const RATE_HEADERS = [
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
];
const expectRateHeaders = (res: Response): void => {
  for (const name of RATE_HEADERS) expect(res.headers.get(name), name).not.toBeNull();
};

describe('lifecycle', () => {
  it('binds 127.0.0.1 on an ephemeral port and closes idempotently, even with idle keep-alive sockets', async () => {
    const fake = await start();
    expect(fake.url).toBe(`http://127.0.0.1:${fake.port}`);
    expect(fake.port).toBeGreaterThan(0);
    await (await chat(fake, userSays('hi'))).text();
    await fake.close();
    await fake.close();
    await expect(fetch(`${fake.url}/openai/v1/models`)).rejects.toThrow();
  });
});

describe('chat completions (fetch)', () => {
  it('answers like Groq with deterministic usage and rate-limit headers', async () => {
    const fake = await start();
    const res = await chat(fake, { model: MODEL, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello, how are you?' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expectRateHeaders(res);
    const body = (await res.json()) as ChatCompletion & { x_groq: { id: string } };
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content: `Hello from ${MODEL}` }, logprobs: null, finish_reason: 'stop' }],
      // 9 + 19 chars -> ceil(28 / 4) = 7; "Hello from llama-3.3-70b-versatile" is 34 chars -> 9.
      usage: { prompt_tokens: 7, completion_tokens: 9, total_tokens: 16 },
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.system_fingerprint).toMatch(/^fp_/);
    expect(body.x_groq.id).toMatch(/^req_[0-9a-z]{26}$/);
    expect(typeof body.created).toBe('number');
    const usage = body.usage as unknown as Record<string, unknown>;
    for (const field of ['queue_time', 'prompt_time', 'completion_time', 'total_time']) expect(typeof usage[field]).toBe('number');
    expect(res.headers.get('x-request-id')).toBe(body.x_groq.id);
  });

  it('counts text parts of array content', async () => {
    const fake = await start();
    const res = await chat(fake, { model: MODEL, messages: [{ role: 'user', content: [{ type: 'text', text: '12345678' }, { type: 'image_url', image_url: { url: 'data:' } }] }] });
    expect((await completionOf(res)).usage?.prompt_tokens).toBe(2);
  });

  it('streams SSE frames: role, one per word, finish with x_groq.usage, usage chunk, [DONE]', async () => {
    const fake = await start({ reply: () => 'one two  three' });
    const res = await chat(fake, userSays('hi', { stream: true, stream_options: { include_usage: true } }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expectRateHeaders(res);
    const data = sseData(await res.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map(chunkOf);
    for (const c of chunks) {
      expect(c.object).toBe('chat.completion.chunk');
      expect(Array.isArray(c.choices)).toBe(true);
    }
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    const words = chunks.slice(1, -2).map((c) => c.choices[0]?.delta.content);
    expect(words).toEqual(['one ', 'two  ', 'three']);
    const finish = chunks.at(-2);
    expect(finish?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(finish?.x_groq?.usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 4, total_tokens: 5 });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 4 } });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('leaves out the usage-only chunk unless include_usage is set', async () => {
    const fake = await start();
    const data = sseData(await (await chat(fake, userSays('hi', { stream: true }))).text());
    expect(chunkOf(data.at(-2) ?? '').choices[0]?.finish_reason).toBe('stop');
    expect(data.some((d) => d !== '[DONE]' && chunkOf(d).choices.length === 0)).toBe(false);
  });

  it('cuts the answer at max_tokens with finish_reason "length"', async () => {
    const fake = await start({ reply: () => 'a'.repeat(100) });
    const body = await completionOf(await chat(fake, userSays('hi', { max_tokens: 5 })));
    expect(body.choices[0]).toMatchObject({ message: { content: 'a'.repeat(20) }, finish_reason: 'length' });
    expect(body.usage?.completion_tokens).toBe(5);
  });

  it('passes the parsed request to `reply`', async () => {
    const fake = await start({ reply: (req) => `you said ${String(req.messages.at(-1)?.content)}` });
    const body = await completionOf(await chat(fake, userSays('ping')));
    expect(body.choices[0]?.message.content).toBe('you said ping');
  });
});

describe('groq-sdk against the fake', () => {
  const readFile = {
    type: 'function' as const,
    function: {
      name: 'read_file',
      description: 'Read a file',
      strict: true,
      parameters: {
        type: 'object',
        properties: { path: { type: 'string' }, line: { type: ['integer', 'null'] }, mode: { type: 'string', enum: ['text', 'binary'] } },
        required: ['path', 'line', 'mode'],
        additionalProperties: false,
      },
    },
  };

  it('creates a completion', async () => {
    const fake = await start();
    const completion = await groq(fake).chat.completions.create({ model: 'openai/gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]?.message.content).toBe('Hello from openai/gpt-oss-20b');
    expect(completion.usage?.total_tokens).toBe(1 + 8);
    expect(fake.calls.at(-1)).toMatchObject({ method: 'POST', path: '/openai/v1/chat/completions', model: 'openai/gpt-oss-20b', stream: false, status: 200 });
  });

  it('streams a completion', async () => {
    const fake = await start();
    const stream = await groq(fake).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.x_groq?.usage ?? usage;
    }
    expect(text).toBe(`Hello from ${MODEL}`);
    expect(usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 9 });
  });

  it('answers with a schema-valid tool call when the last user message says CALL_TOOL', async () => {
    const fake = await start();
    const completion = await groq(fake).chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'please CALL_TOOL now' }],
      tools: [readFile],
      tool_choice: 'auto',
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls?.[0];
    expect(call).toMatchObject({ type: 'function', function: { name: 'read_file' } });
    expect(call?.id).toMatch(/^call_/);
    expect(JSON.parse(call!.function.arguments)).toEqual({ path: 'fake', line: 0, mode: 'text' });
  });

  it('streams a tool call OpenAI-style: id and name first, then argument fragments', async () => {
    const fake = await start();
    const stream = await groq(fake).chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'CALL_TOOL' }],
      tools: [readFile],
      stream: true,
    });
    const deltas: Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }> = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) deltas.push(d);
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(deltas[0]).toMatchObject({ index: 0, function: { name: 'read_file', arguments: '' } });
    expect(deltas[0]?.id).toMatch(/^call_/);
    expect(deltas.length).toBeGreaterThan(2);
    for (const d of deltas.slice(1)) {
      expect(d.index).toBe(0);
      expect(d.id).toBeUndefined();
    }
    const args = deltas.map((d) => d.function?.arguments ?? '').join('');
    expect(JSON.parse(args)).toEqual({ path: 'fake', line: 0, mode: 'text' });
  });

  it('does not call a tool without the trigger, or without tools', async () => {
    const fake = await start();
    const client = groq(fake);
    const plain = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hello' }], tools: [readFile] });
    expect(plain.choices[0]?.finish_reason).toBe('stop');
    const noTools = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'CALL_TOOL' }] });
    expect(noTools.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it('lists and retrieves models, including ids with a slash', async () => {
    const fake = await start();
    const client = groq(fake);
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    for (const id of [MODEL, 'llama-3.1-8b-instant', 'openai/gpt-oss-120b', 'whisper-large-v3', 'canopylabs/orpheus-v1-english', 'meta-llama/llama-prompt-guard-2-86m']) {
      expect(ids).toContain(id);
    }
    const model = await client.models.retrieve('openai/gpt-oss-20b');
    expect(model).toMatchObject({ id: 'openai/gpt-oss-20b', object: 'model', owned_by: 'OpenAI', context_window: 131_072, max_completion_tokens: 65_536 });
    await expect(client.models.retrieve('nope/nope')).rejects.toBeInstanceOf(Groq.NotFoundError);
  });

  it('surfaces 401, 404 and 429 as the SDK error classes with Groq messages', async () => {
    const fake = await start({ limits: { [MODEL]: { rpm: 1 } } });
    await expect(groq(fake, 'sk-not-groq').chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      Groq.AuthenticationError,
    );
    const notFound = await groq(fake)
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(Groq.NotFoundError);
    // groq-sdk keeps the whole body in `.error` (its message is "404 " + that JSON).
    expect((notFound as InstanceType<typeof Groq.NotFoundError>).error).toMatchObject({
      error: { message: 'The model `gpt-4o` does not exist or you do not have access to it.', code: 'model_not_found' },
    });
    await groq(fake).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] });
    const error = await groq(fake)
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Groq.RateLimitError);
    expect((error as InstanceType<typeof Groq.RateLimitError>).headers.get('retry-after')).toBe('60');
  });
});

describe('auth and routing', () => {
  it('rejects a missing or foreign key with Groq’s 401', async () => {
    const fake = await start();
    for (const key of [null, 'sk-openai-key']) {
      const res = await chat(fake, userSays('hi'), { key });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { message: 'Invalid API Key', type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    expect((await fetch(`${fake.url}/openai/v1/models`)).status).toBe(401);
  });

  it('accepts only the configured keys when `keys` is given', async () => {
    const fake = await start({ keys: ['gsk_one', 'custom-two'] });
    expect((await chat(fake, userSays('hi'), { key: 'custom-two' })).status).toBe(200);
    expect((await chat(fake, userSays('hi'), { key: 'gsk_other' })).status).toBe(401);
  });

  it('answers unknown paths and methods with a Groq-style 404', async () => {
    const fake = await start();
    for (const [method, path] of [
      ['GET', '/openai/v1/chat/completions'],
      ['POST', '/v1/chat/completions'],
      ['GET', '/openai/v1/nope'],
      ['DELETE', '/openai/v1/models/llama-3.1-8b-instant'],
    ] as const) {
      const res = await fetch(`${fake.url}${path}`, { method, headers: { authorization: `Bearer ${KEY}` } });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'unknown_url' } });
    }
  });

  it('answers an unknown model with Groq’s model_not_found', async () => {
    const fake = await start();
    const res = await chat(fake, { model: 'x', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { message: 'The model `x` does not exist or you do not have access to it.', type: 'invalid_request_error', code: 'model_not_found' },
    });
  });

  it('refuses chat on a speech-to-text model', async () => {
    const fake = await start();
    const res = await chat(fake, { model: 'whisper-large-v3', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain('does not support chat completions');
  });
});

describe('validation', () => {
  const base = { model: MODEL, messages: [{ role: 'user', content: 'hi' }] };
  const cases: Array<[string, unknown, string]> = [
    ['malformed JSON', '{"model": ', 'JSON'],
    ['missing model', { messages: base.messages }, 'model'],
    ['missing messages', { model: MODEL }, 'messages'],
    ['empty messages', { ...base, messages: [] }, 'messages'],
    ['n = 2', { ...base, n: 2 }, "'n'"],
    ['logprobs', { ...base, logprobs: true }, 'logprobs'],
    ['logprobs false', { ...base, logprobs: false }, 'logprobs'],
    ['logit_bias', { ...base, logit_bias: { '50256': -100 } }, 'logit_bias'],
    ['top_logprobs', { ...base, top_logprobs: 2 }, 'top_logprobs'],
    ['messages[].name', { ...base, messages: [{ role: 'user', content: 'hi', name: 'bob' }] }, 'messages.0.name'],
    [
      'cache_control on a part',
      { ...base, messages: [{ role: 'system', content: 'x' }, { role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] }] },
      'messages.1.content.0.cache_control',
    ],
    ['provider_specific_fields (top)', { ...base, provider_specific_fields: {} }, 'provider_specific_fields'],
    ['reasoning_details (top)', { ...base, reasoning_details: [] }, 'reasoning_details'],
    [
      'provider_specific_fields (message)',
      { ...base, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'x', provider_specific_fields: {} }] },
      'messages.1.provider_specific_fields',
    ],
    ['reasoning_details (message)', { ...base, messages: [{ role: 'assistant', content: 'x', reasoning_details: [] }] }, 'messages.0.reasoning_details'],
    ['max_tokens over the model cap', { ...base, max_tokens: 32_769 }, 'max_tokens'],
    ['max_completion_tokens over the model cap', { ...base, max_completion_tokens: 40_000 }, 'max_completion_tokens'],
    ['context window', { model: 'meta-llama/llama-prompt-guard-2-22m', messages: [{ role: 'user', content: 'x'.repeat(2_100) }] }, 'maximum context length is 512'],
  ];

  it.each(cases)('rejects %s with a 400 naming the field', async (_name, body, field) => {
    const fake = await start();
    const res = await chat(fake, body);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.type).toBe('invalid_request_error');
    expect(error.message).toContain(field);
  });

  it('accepts the limits exactly and OpenAI extras it does not care about', async () => {
    const fake = await start();
    const res = await chat(fake, { ...base, max_tokens: 32_768, n: 1, temperature: 0, top_p: 1, seed: 1, user: 'u', tool_choice: 'auto', logprobs: null });
    expect(res.status).toBe(200);
  });

  it('never crashes on odd input', async () => {
    const fake = await start();
    const odd: unknown[] = [
      'null',
      '[]',
      '"text"',
      '42',
      '',
      '\u0000\u0001',
      { model: 42, messages: [] },
      { model: MODEL, messages: 'hi' },
      { model: MODEL, messages: [null] },
      { model: MODEL, messages: [{ role: 'wizard', content: 'x' }] },
      { model: MODEL, messages: [{ role: 'user', content: { text: 'x' } }] },
      { model: MODEL, messages: [{ role: 'user', content: [null] }] },
      { ...base, stream: 'yes' },
      { ...base, stream_options: 'x' },
      { ...base, tools: 'x' },
      { ...base, tools: [{ type: 'function' }] },
      { ...base, max_tokens: 'many' },
      { ...base, max_tokens: 1.5 },
      { ...base, max_tokens: -1 },
    ];
    for (const body of odd) {
      const res = await chat(fake, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await errorOf(res)).type).toBe('invalid_request_error');
    }
    expect((await chat(fake, base)).status).toBe(200);
    const proto = await chat(fake, `{"model":"${MODEL}","messages":[{"role":"user","content":"x"}],"__proto__":{"polluted":true}}`);
    expect(proto.status).toBe(200);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('sends the rate-limit headers on validation errors too', async () => {
    const fake = await start();
    const res = await chat(fake, { ...base, n: 3 });
    expect(res.status).toBe(400);
    expectRateHeaders(res);
  });
});

describe('rate limits', () => {
  function clock(start = Date.UTC(2026, 0, 1)) {
    let now = start;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  }

  it('enforces RPM over a sliding minute and answers 429 like Groq', async () => {
    const c = clock();
    const fake = await start({ now: c.now, limits: { [MODEL]: { rpm: 2 } } });
    expect((await chat(fake, userSays('a'))).status).toBe(200);
    c.advance(20_000);
    expect((await chat(fake, userSays('b'))).status).toBe(200);
    const res = await chat(fake, userSays('c'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('40');
    expectRateHeaders(res);
    expect(await res.json()).toEqual({
      error: {
        message:
          'Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_fake` service tier `on_demand` on requests per minute (RPM): ' +
          'Limit 2, Used 2, Requested 1. Please try again in 40s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing',
        type: 'requests',
        code: 'rate_limit_exceeded',
      },
    });
    c.advance(40_000);
    expect((await chat(fake, userSays('d'))).status).toBe(200);
  });

  it('reports RPD and TPM in the headers, per key, settling the max_tokens reservation', async () => {
    const c = clock();
    const fake = await start({ now: c.now, limits: { [MODEL]: { rpd: 1_000, tpm: 6_000 } } });
    const res = await chat(fake, userSays('12345678', { max_tokens: 500 }));
    expect(res.status).toBe(200);
    // 2 prompt tokens + 9 completion tokens, after settling the 2 + 500 reservation.
    expect(Object.fromEntries(RATE_HEADERS.map((h) => [h, res.headers.get(h)]))).toEqual({
      'x-ratelimit-limit-requests': '1000',
      'x-ratelimit-remaining-requests': '999',
      'x-ratelimit-reset-requests': '24h0m0s',
      'x-ratelimit-limit-tokens': '6000',
      'x-ratelimit-remaining-tokens': '5989',
      'x-ratelimit-reset-tokens': '1m0s',
    });
    expect(fake.usage(KEY, MODEL)).toMatchObject({ requestsLastDay: 1, tokensLastMinute: 11 });
    c.advance(52_340);
    const later = await chat(fake, userSays('x'), { key: 'gsk_someone_else_9999' });
    expect(later.headers.get('x-ratelimit-remaining-requests')).toBe('999');
    const mine = await chat(fake, userSays('x'));
    expect(mine.headers.get('x-ratelimit-reset-tokens')).toBe('7.66s');
    expect(mine.headers.get('x-ratelimit-remaining-requests')).toBe('998');
  });

  it('counts tokens another client spent via consume(), and answers 429 type "tokens"', async () => {
    const c = clock();
    const fake = await start({ now: c.now, limits: { [MODEL]: { tpm: 6_000 } } });
    fake.consume(KEY, MODEL, { tokens: 5_990 });
    c.advance(58_800);
    const res = await chat(fake, userSays('1234', { max_tokens: 119 }));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    const error = await errorOf(res);
    expect(error).toMatchObject({ type: 'tokens', code: 'rate_limit_exceeded' });
    expect(error.message).toContain('on tokens per minute (TPM): Limit 6000, Used 5990, Requested 120. Please try again in 1.2s.');
    c.advance(1_200);
    expect((await chat(fake, userSays('1234', { max_tokens: 119 }))).status).toBe(200);
  });

  it('charges a default reservation when max_tokens is absent', async () => {
    const fake = await start({ limits: { [MODEL]: { tpm: 1_000 } }, defaultMaxTokens: 1_000 });
    expect((await chat(fake, userSays('hi'))).status).toBe(413);
    expect((await chat(fake, userSays('hi', { max_tokens: 10 }))).status).toBe(200);
  });

  it('answers 413 when the request alone exceeds TPM', async () => {
    const fake = await start({ limits: { [MODEL]: { tpm: 6_000 } } });
    const res = await chat(fake, userSays('hi', { max_tokens: 8_192 }));
    expect(res.status).toBe(413);
    expect(res.headers.get('retry-after')).toBeNull();
    expect((await errorOf(res)).message).toContain('Request too large for model `llama-3.3-70b-versatile`');
  });

  it('enforces RPD and TPD with the day window', async () => {
    const c = clock();
    const fake = await start({ now: c.now, limits: { [MODEL]: { rpd: 1 }, 'llama-3.1-8b-instant': { tpd: 50 } } });
    expect((await chat(fake, userSays('x'))).status).toBe(200);
    c.advance(3_600_000);
    const res = await chat(fake, userSays('x'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe(String(23 * 3600));
    expect((await errorOf(res)).message).toContain('requests per day (RPD)');

    fake.consume(KEY, 'llama-3.1-8b-instant', { tokens: 45 });
    const tpd = await chat(fake, { model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: 'x' }], max_tokens: 10 });
    expect(tpd.status).toBe(429);
    expect(await errorOf(tpd)).toMatchObject({ type: 'tokens' });
  });

  it('uses generous defaults for models without an entry', async () => {
    const fake = await start();
    const res = await chat(fake, userSays('x'));
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('14400');
    expect(res.headers.get('x-ratelimit-limit-tokens')).toBe('1000000');
  });
});

describe('scripted faults', () => {
  it('answers a status fault for the next N requests, FIFO across fail() calls, with rate headers', async () => {
    const fake = await start();
    fake.fail(MODEL, { status: 503 }, 2);
    fake.fail(MODEL, { status: 500 }, 1);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await chat(fake, userSays('x'));
      statuses.push(res.status);
      expectRateHeaders(res);
      if (i === 0) {
        expect(await res.json()).toMatchObject({ error: { type: 'internal_server_error', code: 'service_unavailable' } });
      } else await res.text();
    }
    expect(statuses).toEqual([503, 503, 500, 200]);
    expect(fake.calls.map((c) => c.fault)).toEqual(['status:503', 'status:503', 'status:500', null]);
    // Faults are per model.
    fake.fail('openai/gpt-oss-20b', { status: 500 });
    expect((await chat(fake, userSays('x'))).status).toBe(200);
  });

  it('sends a Groq-shaped 429 with retry-after, or a custom body and headers', async () => {
    const fake = await start();
    fake.fail(MODEL, { status: 429, retryAfter: 7 }, 1);
    fake.fail(MODEL, { status: 502, body: '<html>bad gateway</html>', headers: { 'content-type': 'text/html', 'x-extra': '1' } }, 1);
    fake.fail(MODEL, { status: 429, retryAfter: null }, 1);
    const first = await chat(fake, userSays('x'));
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(await errorOf(first)).toMatchObject({ code: 'rate_limit_exceeded', type: 'requests' });
    const second = await chat(fake, userSays('x'));
    expect(second.status).toBe(502);
    expect(second.headers.get('content-type')).toBe('text/html');
    expect(second.headers.get('x-extra')).toBe('1');
    expect(await second.text()).toBe('<html>bad gateway</html>');
    const third = await chat(fake, userSays('x'));
    expect(third.headers.get('retry-after')).toBeNull();
  });

  it('is seen by the SDK as the matching error', async () => {
    const fake = await start();
    fake.fail(MODEL, { status: 503 }, 1);
    const error = await groq(fake)
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Groq.InternalServerError);
    expect((error as InstanceType<typeof Groq.InternalServerError>).status).toBe(503);
    expect((error as Error).message).toContain('llama-3.3-70b-versatile is currently over capacity');
  });

  it('defaults to forever and clearFaults() lifts it', async () => {
    const fake = await start();
    fake.fail(MODEL, { status: 500 });
    fake.fail('openai/gpt-oss-20b', { status: 500 });
    for (let i = 0; i < 3; i++) expect((await chat(fake, userSays('x'))).status).toBe(500);
    fake.clearFaults(MODEL);
    expect((await chat(fake, userSays('x'))).status).toBe(200);
    expect((await chat(fake, { ...userSays('x'), model: 'openai/gpt-oss-20b' })).status).toBe(500);
    fake.clearFaults();
    expect((await chat(fake, { ...userSays('x'), model: 'openai/gpt-oss-20b' })).status).toBe(200);
  });

  it('rejects nonsense faults when scripted', async () => {
    const fake = await start();
    expect(() => fake.fail(MODEL, { status: 42 })).toThrow(RangeError);
    expect(() => fake.fail(MODEL, { kind: 'midstream-reset', afterChunks: -1 })).toThrow(RangeError);
    expect(() => fake.fail(MODEL, { kind: 'explode' } as never)).toThrow(TypeError);
  });

  it('hangs until the client gives up, then serves the next request', async () => {
    const fake = await start();
    fake.fail(MODEL, { kind: 'hang' }, 1);
    await expect(chat(fake, userSays('x'), { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(fake.calls[0]).toMatchObject({ fault: 'hang', status: null });
    expect((await chat(fake, userSays('x'))).status).toBe(200);
  });

  it('close() ends hanging requests instead of waiting for them', async () => {
    const fake = await start();
    fake.fail(MODEL, { kind: 'hang' });
    const pending = chat(fake, userSays('x')).then(
      () => 'answered',
      () => 'failed',
    );
    while (fake.callCount(MODEL) === 0) await new Promise((r) => setTimeout(r, 5));
    // close() must not wait for the hanging answer: the pending request fails instead of answering.
    await fake.close();
    expect(await pending).toBe('failed');
  });

  it('delays, then answers normally', async () => {
    const fake = await start();
    fake.fail(MODEL, { kind: 'delay', ms: 150 }, 1);
    const started = performance.now();
    const res = await chat(fake, userSays('x'));
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('resets the connection before answering', async () => {
    const fake = await start();
    fake.fail(MODEL, { kind: 'reset' }, 1);
    await expect(chat(fake, userSays('x'))).rejects.toThrow();
    expect(fake.calls[0]).toMatchObject({ fault: 'reset', status: null });
    expect((await chat(fake, userSays('x'))).status).toBe(200);
  });

  it('cuts a stream after N frames by dropping the connection', async () => {
    const fake = await start({ reply: () => 'a b c d e f' });
    fake.fail(MODEL, { kind: 'midstream-reset', afterChunks: 3 }, 1);
    const res = await chat(fake, userSays('x', { stream: true }));
    expect(res.status).toBe(200);
    const received: string[] = [];
    const decoder = new TextDecoder();
    await expect(
      (async () => {
        const reader = res.body!.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          received.push(decoder.decode(value, { stream: true }));
        }
      })(),
    ).rejects.toThrow();
    const data = sseData(received.join(''));
    expect(data).toHaveLength(3);
    expect(data.map((d) => chunkOf(d).choices[0]?.delta.content)).toEqual(['', 'a ', 'b ']);
  });

  it('makes the SDK stream throw on a mid-stream reset', async () => {
    const fake = await start();
    fake.fail(MODEL, { kind: 'midstream-reset', afterChunks: 2 }, 1);
    const stream = await groq(fake).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow();
    expect(text).toBe('Hello ');
  });

  it('ends a stream with an error frame and no [DONE] on midstream-error', async () => {
    const fake = await start();
    fake.fail(MODEL, { kind: 'midstream-error', afterChunks: 2 }, 1);
    fake.fail(MODEL, { kind: 'midstream-error', afterChunks: 1, error: { message: 'boom', type: 'internal_server_error', code: 'x' } }, 1);
    const data = sseData(await (await chat(fake, userSays('x', { stream: true }))).text());
    expect(data).toHaveLength(3);
    expect(JSON.parse(data[2]!)).toMatchObject({ error: { type: 'internal_server_error' } });
    expect(data).not.toContain('[DONE]');

    const stream = await groq(fake).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], stream: true });
    await expect(
      (async () => {
        for await (const _chunk of stream) void _chunk;
      })(),
    ).rejects.toThrow('boom');
  });

  it('applies mid-stream faults to JSON answers as a truncated body or a 500', async () => {
    const fake = await start();
    fake.fail(MODEL, { kind: 'midstream-reset', afterChunks: 0 }, 1);
    fake.fail(MODEL, { kind: 'midstream-error', afterChunks: 0 }, 1);
    const cut = await chat(fake, userSays('x'));
    expect(cut.status).toBe(200);
    await expect(cut.text()).rejects.toThrow();
    expect((await chat(fake, userSays('x'))).status).toBe(500);
  });
});

describe('observation', () => {
  it('records calls without ever keeping the key', async () => {
    const fake = await start();
    await (await chat(fake, userSays('hi', { stream: true }))).text();
    await fetch(`${fake.url}/openai/v1/models/openai%2Fgpt-oss-20b`, { headers: { authorization: `Bearer ${KEY}`, 'x-title': 'Kilo Code' } });
    await chat(fake, userSays('hi'), { key: null });
    expect(fake.calls).toHaveLength(3);
    expect(fake.calls[0]).toMatchObject({
      method: 'POST',
      path: '/openai/v1/chat/completions',
      model: MODEL,
      stream: true,
      keyPreview: 'gsk_...abcd',
      status: 200,
      body: { model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] },
      fault: null,
    });
    expect(fake.calls[1]).toMatchObject({ method: 'GET', model: 'openai/gpt-oss-20b', status: 200, headers: { 'x-title': 'Kilo Code', authorization: 'Bearer gsk_...abcd' } });
    expect(fake.calls[2]).toMatchObject({ keyPreview: null, status: 401 });
    expect(typeof fake.calls[0]!.at).toBe('number');
    expect(JSON.stringify(fake.calls)).not.toContain(KEY);
    expect(fake.callCount()).toBe(3);
    expect(fake.callCount(MODEL)).toBe(2);
    expect(fake.callCount('openai/gpt-oss-20b')).toBe(1);
  });

  it('reset() clears calls, faults and rate windows', async () => {
    const fake = await start({ limits: { [MODEL]: { rpm: 1 } } });
    await chat(fake, userSays('x'));
    fake.fail(MODEL, { status: 500 });
    fake.reset();
    expect(fake.calls).toHaveLength(0);
    expect((await chat(fake, userSays('x'))).status).toBe(200);
    expect(fake.callCount()).toBe(1);
  });

  it('clearCalls() clears the record only: queued faults stay', async () => {
    const fake = await start();
    await chat(fake, userSays('x'));
    fake.fail(MODEL, { status: 500 });
    fake.clearCalls();
    expect(fake.calls).toHaveLength(0);
    expect((await chat(fake, userSays('x'))).status).toBe(500);
    expect(fake.callCount()).toBe(1);
  });
});

describe('timing options', () => {
  it('adds latencyMs before every response, errors included', async () => {
    const fake = await start({ latencyMs: 100 });
    for (const key of [KEY, null]) {
      const started = performance.now();
      await (await chat(fake, userSays('x'), { key })).text();
      expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    }
  });

  it('spaces stream frames by chunkDelayMs', async () => {
    const fake = await start({ chunkDelayMs: 30, reply: () => 'a b' });
    const started = performance.now();
    const data = sseData(await (await chat(fake, userSays('x', { stream: true }))).text());
    // role, a, b, finish, [DONE] -> four gaps
    expect(data).toHaveLength(5);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });
});

describe('fast mode', () => {
  it('serves the same shapes from cached bytes, without recording bodies', async () => {
    const fake = await start({ fast: true });
    const client = groq(fake);
    const completion = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: '12345678' }] });
    expect(completion.choices[0]?.message.content).toBe(`Hello from ${MODEL}`);
    expect(completion.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 9, total_tokens: 11 });
    const other = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x'.repeat(40) }] });
    expect(other.usage?.prompt_tokens).toBe(10);

    const res = await chat(fake, userSays('x', { stream: true, stream_options: { include_usage: true } }));
    expectRateHeaders(res);
    const data = sseData(await res.text());
    expect(data.at(-1)).toBe('[DONE]');
    const text = data
      .slice(0, -1)
      .map((d) => chunkOf(d).choices[0]?.delta.content ?? '')
      .join('');
    expect(text).toBe(`Hello from ${MODEL}`);
    expect(JSON.parse(data.at(-2)!)).toMatchObject({ choices: [], usage: { prompt_tokens: 1 } });

    expect(fake.calls).toHaveLength(3);
    expect(fake.calls[0]).toMatchObject({ model: MODEL, status: 200, body: undefined, headers: {} });
  });

  it('keeps no record of calls when told not to, and still counts them', async () => {
    const fake = await start({ fast: true, recordCalls: false });
    for (let i = 0; i < 3; i++) expect((await chat(fake, userSays('x'))).status).toBe(200);
    expect(fake.calls).toHaveLength(0);
    expect(fake.requestCount).toBe(3);
    const recording = await start({ fast: true });
    expect((await chat(recording, userSays('x'))).status).toBe(200);
    expect(recording.calls).toHaveLength(1);
    expect(recording.requestCount).toBe(1);
  });

  it('does not rate-limit unless limits are given', async () => {
    const free = await start({ fast: true, defaultLimits: { rpm: 1 } });
    for (let i = 0; i < 3; i++) expect((await chat(free, userSays('x'))).status).toBe(200);
    const limited = await start({ fast: true, limits: { [MODEL]: { rpm: 1 } } });
    expect((await chat(limited, userSays('x'))).status).toBe(200);
    expect((await chat(limited, userSays('x'))).status).toBe(429);
  });

  it('still checks auth, JSON and model, and still honours faults and tool calls', async () => {
    const fake = await start({ fast: true });
    expect((await chat(fake, userSays('x'), { key: null })).status).toBe(401);
    expect((await chat(fake, '{')).status).toBe(400);
    expect((await chat(fake, { model: 'nope', messages: [] })).status).toBe(404);
    fake.fail(MODEL, { status: 503 }, 1);
    expect((await chat(fake, userSays('x'))).status).toBe(503);
    const tool = await completionOf(
      await chat(fake, userSays('CALL_TOOL', { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }] })),
    );
    expect(tool.choices[0]?.finish_reason).toBe('tool_calls');
  });
});
