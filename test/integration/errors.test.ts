import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, type Stack } from './harness.js';

const yaml = `model_list:
${deploymentYaml('groq/llama-3.3-70b-versatile', 'llama-3.3-70b-versatile')}  - model_name: groq/small-window
    litellm_params:
      model: groq/llama-3.1-8b-instant
      api_key: os.environ/GROQ_API_KEY
      api_base: FAKE_URL
    model_info:
      max_input_tokens: 50
${deploymentYaml('groq/moonshotai/kimi-k2-instruct-0905', 'moonshotai/kimi-k2-instruct-0905')}
litellm_settings:
  context_window_fallbacks:
    - groq/small-window: [groq/moonshotai/kimi-k2-instruct-0905]
general_settings:
  max_request_size_mb: 0.05
`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ yaml });
});
afterAll(async () => {
  await stack?.close();
});

interface ErrorBody {
  error: { message: string; type: string; code: string | null };
}

async function post(body: string, path = '/v1/chat/completions'): Promise<{ status: number; body: ErrorBody }> {
  const res = await fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(res.headers.get('content-type')).toContain('application/json');
  return { status: res.status, body: (await res.json()) as ErrorBody };
}

function expectErrorShape(body: ErrorBody): void {
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(typeof body.error.type).toBe('string');
  expect('code' in body.error).toBe(true);
}

describe('bad input gets a clear OpenAI-shaped error', () => {
  it('malformed JSON: 400', async () => {
    const { status, body } = await post('{"model": ');
    expect(status).toBe(400);
    expectErrorShape(body);
    expect(body.error.message).toMatch(/Malformed JSON/);
  });

  it('a body that is not an object, or empty: 400', async () => {
    expect((await post('[1,2]')).status).toBe(400);
    expect((await post('')).status).toBe(400);
  });

  it('oversize body: 413 naming the limit', async () => {
    const { status, body } = await post(JSON.stringify({ model: 'groq/llama-3.3-70b-versatile', messages: [{ role: 'user', content: 'x'.repeat(100_000) }] }));
    expect(status).toBe(413);
    expectErrorShape(body);
    expect(body.error.message).toContain('max_request_size_mb');
  });

  it('missing model or messages: 400 naming the field', async () => {
    const noModel = await post(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(noModel.status).toBe(400);
    expect(noModel.body.error.message).toContain('model');
    const noMessages = await post(JSON.stringify({ model: 'groq/llama-3.3-70b-versatile' }));
    expect(noMessages.status).toBe(400);
    expect(noMessages.body.error.message).toContain('messages');
  });

  it('unknown alias: 404 model_not_found through the openai client, with a hint', async () => {
    const error = await stack
      .openai()
      .chat.completions.create({ model: 'llama-3.3-70b-versatile', messages: [{ role: 'user', content: 'hi' }] })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    expect((error as Error).message).toContain('Did you mean groq/llama-3.3-70b-versatile?');
  });

  it('n other than 1: 400 before any upstream call', async () => {
    const before = stack.fake.calls.length;
    const { status, body } = await post(JSON.stringify({ model: 'groq/llama-3.3-70b-versatile', n: 2, messages: [{ role: 'user', content: 'hi' }] }));
    expect(status).toBe(400);
    expect(body.error.message).toContain('n must be 1');
    expect(stack.fake.calls.length).toBe(before);
  });

  it('logprobs without drop_params: 400 naming the parameter', async () => {
    const { status, body } = await post(JSON.stringify({ model: 'groq/llama-3.3-70b-versatile', logprobs: true, messages: [{ role: 'user', content: 'hi' }] }));
    expect(status).toBe(400);
    expect(body.error.message).toContain('logprobs');
    expect(body.error.message).toContain('drop_params');
  });

  it('unknown route: 404 in the same shape', async () => {
    const res = await fetch(`${stack.url}/v1/nope`);
    expect(res.status).toBe(404);
    expectErrorShape((await res.json()) as ErrorBody);
  });
});

describe('context window', () => {
  it('sends a prompt too large for the alias to its context_window_fallbacks without calling the small model', async () => {
    stack.fake.reset();
    const { data, response } = await stack
      .openai()
      .chat.completions.create({ model: 'groq/small-window', messages: [{ role: 'user', content: 'word '.repeat(200) }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from moonshotai/kimi-k2-instruct-0905');
    expect(response.headers.get('x-litellm-model-group')).toBe('groq/moonshotai/kimi-k2-instruct-0905');
    expect(stack.fake.callCount('llama-3.1-8b-instant')).toBe(0);
  });

  it('serves a small prompt from the alias itself', async () => {
    const completion = await stack.openai().chat.completions.create({ model: 'groq/small-window', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]?.message.content).toBe('Hello from llama-3.1-8b-instant');
  });
});
