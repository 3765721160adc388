import OpenAI from 'openai';
import type { Response as OpenAIResponse, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import type { FakeGroq } from './server.js';
import { errorOf, fakesClosedAfterEach, KEY, openai, postJson } from './test-setup.js';

const MODEL = 'llama-3.3-70b-versatile';

const start = fakesClosedAfterEach();

const post = (fake: FakeGroq, body: unknown, key?: string | null): Promise<Response> => postJson(fake, '/openai/v1/responses', body, key);

/** `event:` and parsed `data:` of each SSE frame. */
function sseEvents(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text
    .split('\n\n')
    .filter((frame) => frame !== '')
    .map((frame) => {
      const [eventLine = '', dataLine = ''] = frame.split('\n');
      expect(eventLine).toMatch(/^event: /);
      expect(dataLine).toMatch(/^data: /);
      return { event: eventLine.slice('event: '.length), data: JSON.parse(dataLine.slice('data: '.length)) as Record<string, unknown> };
    });
}

const RATE_HEADERS = ['x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests', 'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens'];

describe('POST /openai/v1/responses (openai client)', () => {
  it('answers an OpenAI Response object whose output_text the client assembles', async () => {
    const fake = await start();
    const { data: response, response: raw } = await openai(fake)
      .responses.create({ model: MODEL, input: 'Tell me a fun fact about the moon in one sentence.', max_output_tokens: 100, metadata: { run: 't1' } })
      .withResponse();
    expect(response.output_text).toBe(`Hello from ${MODEL}`);
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      model: MODEL,
      tools: [],
      tool_choice: 'auto',
      parallel_tool_calls: true,
      temperature: 1,
      top_p: 1,
      instructions: null,
      metadata: { run: 't1' },
      max_output_tokens: 100,
      usage: {
        input_tokens: 13, // ceil(51 / 4)
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 9, // ceil("Hello from llama-3.3-70b-versatile".length / 4)
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 22,
      },
    });
    expect(response.id).toMatch(/^resp_/);
    expect(Math.abs(response.created_at - Date.now() / 1000)).toBeLessThan(60);
    expect(response.output).toHaveLength(1);
    expect(response.output[0]).toMatchObject({
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: `Hello from ${MODEL}`, annotations: [] }],
    });
    expect((response.output[0] as { id: string }).id).toMatch(/^msg_/);
    for (const name of RATE_HEADERS) expect(raw.headers.get(name), name).not.toBeNull();
    expect(raw.headers.get('x-request-id')).toMatch(/^req_/);
    expect(fake.usage(KEY, MODEL)).toMatchObject({ requestsLastDay: 1, tokensLastMinute: 22 });
  });

  it('turns instructions and input items into the chat view `reply` sees', async () => {
    const seen: unknown[] = [];
    const fake = await start({
      reply: (request) => {
        seen.push(request.messages);
        return 'custom answer';
      },
    });
    const response = await openai(fake).responses.create({
      model: MODEL,
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'second' }] },
      ],
    });
    expect(response.output_text).toBe('custom answer');
    expect(response.instructions).toBe('Be brief.');
    expect(seen).toEqual([
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'input_text', text: 'second' }] },
      ],
    ]);
  });

  it('reports one output item per built-in tool before the message, and echoes the tools', async () => {
    const fake = await start();
    const tools = [
      { type: 'code_interpreter', container: { type: 'auto' } },
      { type: 'browser_search' },
      { type: 'mcp', server_label: 'Huggingface', server_url: 'https://huggingface.co/mcp' },
    ];
    const response = await openai(fake).responses.create({
      model: 'openai/gpt-oss-20b',
      input: 'What is 1312 x 3333?',
      tool_choice: 'required',
      tools: tools as unknown as OpenAI.Responses.Tool[],
    });
    expect(response.output.map((item) => item.type)).toEqual(['code_interpreter_call', 'web_search_call', 'mcp_call', 'message']);
    expect(response.output[0]).toMatchObject({ status: 'completed', container_id: null, outputs: [] });
    expect(response.output[1]).toMatchObject({ status: 'completed', action: { type: 'search', query: 'What is 1312 x 3333?' } });
    expect(response.output[2]).toMatchObject({ server_label: 'Huggingface', arguments: '{}' });
    expect(response.tools).toEqual(tools);
    expect(response.tool_choice).toBe('required');
    expect(response.output_text).toBe('Hello from openai/gpt-oss-20b');
  });

  it('answers CALL_TOOL with a function_call item whose arguments satisfy the schema', async () => {
    const fake = await start();
    const response = await openai(fake).responses.create({
      model: MODEL,
      input: 'CALL_TOOL please',
      tools: [{ type: 'function', name: 'read_file', strict: true, parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }],
    });
    expect(response.output).toHaveLength(1);
    expect(response.output[0]).toMatchObject({ type: 'function_call', name: 'read_file', arguments: '{"path":"fake"}', status: 'completed' });
    expect((response.output[0] as { call_id: string }).call_id).toMatch(/^call_/);
    expect(response.output_text).toBe('');
  });

  it('cuts the text at max_output_tokens and says the response is incomplete', async () => {
    const fake = await start({ reply: () => 'a fairly long answer that will not fit' });
    const response = await openai(fake).responses.create({ model: MODEL, input: 'x', max_output_tokens: 2 });
    expect(response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { output_tokens: 2 } });
    expect(response.output_text).toBe('a fairly');
  });

  it('streams OpenAI Responses events that create({stream:true}) iterates', async () => {
    const fake = await start();
    const stream = await openai(fake).responses.create({ model: MODEL, input: 'hi', stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 5)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
    ]);
    expect(types.slice(-5)).toEqual(['response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    expect(types.filter((t) => t === 'response.output_text.delta').length).toBeGreaterThan(1);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    expect(text).toBe(`Hello from ${MODEL}`);
    const completed = events.at(-1);
    if (completed?.type !== 'response.completed') throw new Error('expected response.completed last');
    expect(completed.response).toMatchObject({ status: 'completed', usage: { input_tokens: 1, output_tokens: 9, total_tokens: 10 } });
    expect(completed.response.output[0]).toMatchObject({ type: 'message', content: [{ type: 'output_text', text }] });
    const created = events[0];
    if (created?.type !== 'response.created') throw new Error('expected response.created first');
    expect(created.response).toMatchObject({ id: completed.response.id, status: 'in_progress', output: [], usage: null });
    expect(fake.calls[0]).toMatchObject({ model: MODEL, stream: true, status: 200 });
  });

  // The SDK computes `output_text` itself: on create() answers, not on stream.finalResponse() (it only
  // adds it there for zod-parsed formats), as against OpenAI. Streams expose the text in output_text.done.
  it('works with responses.stream(): deltas, output_text.done and finalResponse', async () => {
    const fake = await start({ chunkDelayMs: 1 });
    const stream = openai(fake).responses.stream({
      model: 'openai/gpt-oss-120b',
      input: 'hi',
      tools: [{ type: 'browser_search' } as unknown as OpenAI.Responses.Tool],
    });
    let deltas = '';
    let done = '';
    stream.on('response.output_text.delta', (event) => {
      deltas += event.delta;
    });
    stream.on('response.output_text.done', (event) => {
      done = event.text;
    });
    const final: OpenAIResponse = await stream.finalResponse();
    expect(deltas).toBe('Hello from openai/gpt-oss-120b');
    expect(done).toBe(deltas);
    expect(final.output.map((item) => item.type)).toEqual(['web_search_call', 'message']);
    expect(final.output[1]).toMatchObject({ type: 'message', status: 'completed', content: [{ type: 'output_text', text: deltas }] });
    expect(final.usage?.total_tokens).toBe(9);
  });

  it('streams a function call as argument deltas', async () => {
    const fake = await start();
    const stream = openai(fake).responses.stream({
      model: MODEL,
      input: 'CALL_TOOL',
      tools: [{ type: 'function', name: 'lookup', strict: true, parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } }],
    });
    const final = await stream.finalResponse();
    expect(final.output[0]).toMatchObject({ type: 'function_call', name: 'lookup', arguments: '{"query":"fake"}' });
  });

  it('frames each event as `event: <type>` + `data:` with that type and a sequence number', async () => {
    const fake = await start();
    const res = await post(fake, { model: MODEL, input: 'hi', stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    for (const name of RATE_HEADERS) expect(res.headers.get(name), name).not.toBeNull();
    const events = sseEvents(await res.text());
    events.forEach(({ event, data }, i) => {
      expect(data['type']).toBe(event);
      expect(data['sequence_number']).toBe(i);
    });
    expect(events.at(-1)?.event).toBe('response.completed');
  });
});

describe('responses validation', () => {
  it('rejects each OpenAI parameter Groq does not support, naming it', async () => {
    const fake = await start();
    const values: Record<string, unknown> = {
      previous_response_id: 'resp_123',
      store: false,
      truncation: 'auto',
      include: ['reasoning.encrypted_content'],
      safety_identifier: 'user-1',
      prompt_cache_key: 'k',
    };
    for (const [param, value] of Object.entries(values)) {
      const res = await post(fake, { model: MODEL, input: 'hi', [param]: value });
      expect(res.status, param).toBe(400);
      for (const name of RATE_HEADERS) expect(res.headers.get(name), name).not.toBeNull();
      expect(await errorOf(res)).toEqual({ message: `'${param}' : property '${param}' is unsupported`, type: 'invalid_request_error', code: null, param });
    }
    const viaSdk = await openai(fake)
      .responses.create({ model: MODEL, input: 'hi', store: true })
      .catch((e: unknown) => e);
    expect(viaSdk).toBeInstanceOf(OpenAI.BadRequestError);
    expect((viaSdk as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('store');
  });

  it('checks auth, JSON, model and input in Groq’s order', async () => {
    const fake = await start();
    expect((await post(fake, { model: MODEL, input: 'hi' }, null)).status).toBe(401);
    expect(await errorOf(await post(fake, { model: MODEL, input: 'hi' }, 'sk-other'))).toMatchObject({ code: 'invalid_api_key' });
    expect((await post(fake, '{"model":')).status).toBe(400);
    expect(await errorOf(await post(fake, { input: 'hi' }))).toMatchObject({ param: 'model' });
    const unknown = await post(fake, { model: 'gpt-4o', input: 'hi' });
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatchObject({ code: 'model_not_found' });

    const cases: Array<[Record<string, unknown>, string]> = [
      [{ model: MODEL }, 'input'],
      [{ model: MODEL, input: '' }, 'input'],
      [{ model: MODEL, input: [] }, 'input'],
      [{ model: MODEL, input: 42 }, 'input'],
      [{ model: MODEL, input: ['text'] }, 'input.0'],
      [{ model: MODEL, input: [{ role: 'robot', content: 'x' }] }, 'input.0.role'],
      [{ model: 'whisper-large-v3', input: 'hi' }, 'model'],
      [{ model: 'playai-tts', input: 'hi' }, 'model'],
      [{ model: MODEL, input: 'hi', stream: 'yes' }, 'stream'],
      [{ model: MODEL, input: 'hi', temperature: 3 }, 'temperature'],
      [{ model: MODEL, input: 'hi', top_p: -1 }, 'top_p'],
      [{ model: MODEL, input: 'hi', max_output_tokens: 0 }, 'max_output_tokens'],
      [{ model: MODEL, input: 'hi', max_output_tokens: 40_000 }, 'max_output_tokens'],
      [{ model: MODEL, input: 'hi', tools: [{ type: 'file_search' }] }, 'tools.0.type'],
      [{ model: MODEL, input: 'hi', tools: [{ type: 'function', function: { name: 'nested' } }] }, 'tools.0.name'],
      [{ model: MODEL, input: 'hi', tools: [{ type: 'mcp' }] }, 'tools.0.server_label'],
      [{ model: MODEL, input: 'hi', tool_choice: 'sometimes' }, 'tool_choice'],
      [{ model: MODEL, input: 'hi', metadata: 'x' }, 'metadata'],
      [{ model: MODEL, input: 'hi', instructions: 5 }, 'instructions'],
    ];
    for (const [body, param] of cases) {
      const res = await post(fake, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await errorOf(res)).param, JSON.stringify(body)).toBe(param);
    }
    // No validation failure uses quota.
    expect(fake.usage(KEY, MODEL).requestsLastDay).toBe(0);
  });

  it('accepts every documented optional field', async () => {
    const fake = await start();
    const res = await post(fake, {
      model: MODEL,
      input: [{ role: 'user', content: 'hi' }],
      instructions: 'x',
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object', properties: {} } }],
      tool_choice: { type: 'function', name: 'f' },
      stream: false,
      temperature: 0.5,
      max_output_tokens: 50,
      top_p: 0.9,
      metadata: { a: 'b' },
      parallel_tool_calls: false,
      reasoning: { effort: 'low' },
      text: { format: { type: 'text' } },
      user: 'u1',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ temperature: 0.5, top_p: 0.9, parallel_tool_calls: false, user: 'u1', reasoning: { effort: 'low' } });
  });
});

describe('responses rate limiting', () => {
  it('counts requests against RPM and answers 429 with retry-after', async () => {
    const fake = await start({ limits: { [MODEL]: { rpm: 1 } } });
    expect((await post(fake, { model: MODEL, input: 'hi' })).status).toBe(200);
    const res = await post(fake, { model: MODEL, input: 'hi' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    expect(await errorOf(res)).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
    // Chat and responses share the model's quota, as they do on Groq.
    const chat = await fetch(`${fake.url}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(chat.status).toBe(429);
  });

  it('reserves input + max_output_tokens (or the default) against TPM, and 413s what can never fit', async () => {
    const fake = await start({ limits: { [MODEL]: { tpm: 1_000 } }, defaultMaxTokens: 1_000 });
    const tooBig = await post(fake, { model: MODEL, input: 'hi' });
    expect(tooBig.status).toBe(413);
    expect(await errorOf(tooBig)).toMatchObject({ type: 'tokens' });
    const ok = await post(fake, { model: MODEL, input: 'hi', max_output_tokens: 900 });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-remaining-tokens')).toBe(String(1_000 - 10)); // settled to 1 + 9
    fake.consume(KEY, MODEL, { tokens: 900 });
    const limited = await post(fake, { model: MODEL, input: 'hi', max_output_tokens: 100 });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).not.toBeNull();
    expect(await errorOf(limited)).toMatchObject({ type: 'tokens', message: expect.stringContaining('(TPM)') as unknown });
  });
});

describe('responses faults', () => {
  it('applies status faults queued with fail(model) and records them', async () => {
    const fake = await start();
    fake.fail(MODEL, { status: 503 }, 1);
    const error = await openai(fake)
      .responses.create({ model: MODEL, input: 'hi' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(503);
    expect((await openai(fake).responses.create({ model: MODEL, input: 'hi' })).status).toBe('completed');
    expect(fake.calls.map((c) => [c.path, c.model, c.status, c.fault])).toEqual([
      ['/openai/v1/responses', MODEL, 503, 'status:503'],
      ['/openai/v1/responses', MODEL, 200, null],
    ]);
    expect(fake.calls[0]?.body).toEqual({ model: MODEL, input: 'hi' });
  });

  it('hangs until the client gives up', async () => {
    const fake = await start();
    fake.fail(MODEL, { kind: 'hang' }, 1);
    const error = await openai(fake)
      .responses.create({ model: MODEL, input: 'hi' }, { timeout: 200 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(fake.calls[0]).toMatchObject({ fault: 'hang', status: null });
  });

  it('ends a stream with an error event on midstream-error, which the client throws', async () => {
    const fake = await start();
    fake.fail(MODEL, { kind: 'midstream-error', afterChunks: 3 }, 1);
    fake.fail(MODEL, { kind: 'midstream-error', afterChunks: 2, error: { message: 'boom', type: 'internal_server_error', code: 'x' } }, 1);
    const events = sseEvents(await (await post(fake, { model: MODEL, input: 'hi', stream: true })).text());
    expect(events.map((e) => e.event)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'error']);
    expect(events[3]?.data).toMatchObject({ type: 'error', sequence_number: 3, code: 'internal_server_error', error: { type: 'internal_server_error' } });

    const stream = await openai(fake).responses.create({ model: MODEL, input: 'hi', stream: true });
    await expect(
      (async () => {
        for await (const _event of stream) void _event;
      })(),
    ).rejects.toThrow('boom');
    expect(fake.calls.map((c) => c.fault)).toEqual(['midstream-error', 'midstream-error']);
  });

  it('drops the connection mid-stream on midstream-reset, and maps mid-stream faults to JSON answers', async () => {
    const fake = await start();
    fake.fail(MODEL, { kind: 'midstream-reset', afterChunks: 4 }, 1);
    const stream = openai(fake).responses.stream({ model: MODEL, input: 'hi' });
    await expect(stream.finalResponse()).rejects.toThrow();

    fake.fail(MODEL, { kind: 'midstream-error', afterChunks: 0 }, 1);
    fake.fail(MODEL, { kind: 'midstream-reset', afterChunks: 0 }, 1);
    expect((await post(fake, { model: MODEL, input: 'hi' })).status).toBe(500);
    const cut = await post(fake, { model: MODEL, input: 'hi' });
    expect(cut.status).toBe(200);
    await expect(cut.text()).rejects.toThrow();
  });

  it('serves fast mode too, recording calls without bodies', async () => {
    const fake = await start({ fast: true });
    expect((await openai(fake).responses.create({ model: MODEL, input: 'hi' })).output_text).toBe(`Hello from ${MODEL}`);
    expect(fake.calls[0]).toMatchObject({ model: MODEL, status: 200, body: undefined, headers: {} });
  });

  it('keeps faults per model and does not consume one on an invalid request', async () => {
    const fake = await start();
    fake.fail(MODEL, { status: 500 }, 1);
    expect((await post(fake, { model: 'openai/gpt-oss-20b', input: 'hi' })).status).toBe(200);
    expect((await post(fake, { model: MODEL, input: 'hi', store: false })).status).toBe(400);
    expect((await post(fake, { model: MODEL, input: 'hi' })).status).toBe(500);
  });
});
