import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, type Stack } from './harness.js';

const PRIMARY = 'groq/llama-3.3-70b-versatile';
const FALLBACK = 'groq/openai/gpt-oss-120b';

const yaml = `model_list:
${deploymentYaml(PRIMARY, 'llama-3.3-70b-versatile')}${deploymentYaml(FALLBACK, 'openai/gpt-oss-120b')}${deploymentYaml('groq/llama-3.1-8b-instant', 'llama-3.1-8b-instant')}
router_settings:
  timeout: 20
litellm_settings:
  drop_params: true
  fallbacks:
    - ${PRIMARY}: [${FALLBACK}]
`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ yaml });
});
afterAll(async () => {
  await stack?.close();
});
afterEach(() => {
  stack.fake.reset();
});

const messages = [{ role: 'user' as const, content: 'Say hello' }];

describe('chat through the official clients', () => {
  it('answers a non-streaming request from the openai client, with routing and rate-limit headers', async () => {
    const { data, response } = await stack.openai().chat.completions.create({ model: PRIMARY, messages }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from llama-3.3-70b-versatile');
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get('content-type')).toContain('application/json');
    // A whole answer is sent with its length, in one piece (no chunked framing).
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(JSON.stringify(data))));
    expect(response.headers.get('transfer-encoding')).toBeNull();
    expect(response.headers.get('x-litellm-model-group')).toBe(PRIMARY);
    expect(response.headers.get('x-litellm-model-id')).toMatch(/^[0-9a-f]{16}$/);
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('0');
    expect(response.headers.get('x-litellm-attempted-retries')).toBe('0');
    expect(Number(response.headers.get('x-litellm-overhead-duration-ms'))).toBeGreaterThanOrEqual(0);
    expect(response.headers.get('x-ratelimit-remaining-requests')).toMatch(/^\d+$/);
    expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/\d(ms|s)$/);
    const call = stack.fake.calls[0];
    expect(call?.path).toBe('/openai/v1/chat/completions');
    expect(call?.model).toBe('llama-3.3-70b-versatile');
  });

  it('answers the groq-sdk client, which calls /openai/v1 on the gateway', async () => {
    const completion = await stack.groq().chat.completions.create({ model: FALLBACK, messages });
    expect(completion.choices[0]?.message.content).toBe('Hello from openai/gpt-oss-120b');
  });

  it('streams to the openai client: every chunk has choices, the usage chunk arrives when asked for', async () => {
    const stream = await stack.openai().chat.completions.create({
      model: PRIMARY,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: unknown;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(Array.isArray(chunk.choices)).toBe(true);
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text).toBe('Hello from llama-3.3-70b-versatile');
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
  });

  it('streams to the groq-sdk client', async () => {
    const stream = await stack.groq().chat.completions.create({ model: PRIMARY, messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from llama-3.3-70b-versatile');
  });

  it('streams tool calls with index, id and name on the first fragment', async () => {
    const stream = await stack.openai().chat.completions.create({
      model: PRIMARY,
      stream: true,
      messages: [{ role: 'user', content: 'CALL_TOOL please' }],
      tools: [{ type: 'function', function: { name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } } }],
    });
    const fragments = [];
    for await (const chunk of stream) fragments.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
    expect(fragments[0]).toMatchObject({ index: 0, id: expect.any(String), function: { name: 'read_file' } });
  });

  it('never answers a non-stream request with SSE', async () => {
    const res = await fetch(`${stack.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: PRIMARY, messages }),
    });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(((await res.json()) as { object: string }).object).toBe('chat.completion');
  });

  it('cleans a Kilo Code request of fields Groq rejects before sending it', async () => {
    const res = await fetch(`${stack.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer dummy-key', 'x-title': 'Kilo Code' },
      body: JSON.stringify({
        model: PRIMARY,
        max_tokens: 100_000,
        temperature: 0,
        logprobs: true,
        provider_specific_fields: {},
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'You are Kilo', cache_control: { type: 'ephemeral' } }] },
          { role: 'user', name: 'dev', content: 'hi', reasoning_details: [] },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const sent = stack.fake.calls[0]?.body as Record<string, unknown>;
    // The cap sent is the one the gateway planned (and says so), never above the model's maximum.
    expect(sent.max_tokens).toBe(Number(res.headers.get('x-groq-router-max-tokens')));
    expect(sent.max_tokens).toBeLessThanOrEqual(32768);
    expect(sent).not.toHaveProperty('logprobs');
    expect(sent).not.toHaveProperty('provider_specific_fields');
    expect(JSON.stringify(sent.messages)).not.toMatch(/cache_control|"name"|reasoning_details/);
  });
});
