import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, type Stack } from './harness.js';

const PRIMARY = 'groq/llama-3.3-70b-versatile';
const FALLBACK = 'groq/openai/gpt-oss-120b';
const LAST = 'groq/llama-3.1-8b-instant';

const yaml = `model_list:
${deploymentYaml(PRIMARY, 'llama-3.3-70b-versatile', '\n      timeout: 1')}${deploymentYaml(FALLBACK, 'openai/gpt-oss-120b')}${deploymentYaml(LAST, 'llama-3.1-8b-instant')}
router_settings:
  timeout: 20
  stream_timeout: 1
litellm_settings:
  fallbacks:
    - ${PRIMARY}: [${FALLBACK}, ${LAST}]
`;

// A fresh gateway per test: a 429's retry-after rightly keeps a deployment closed for the next test.
let stack: Stack;
beforeEach(async () => {
  stack = await startStack({ yaml });
});
afterEach(async () => {
  await stack?.close();
});

const messages = [{ role: 'user' as const, content: 'Say hello' }];

function chat() {
  return stack.openai().chat.completions.create({ model: PRIMARY, messages }).withResponse();
}

async function chatStream() {
  const { data, response } = await stack.openai().chat.completions.create({ model: PRIMARY, messages, stream: true }).withResponse();
  let text = '';
  for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
  return { text, response };
}

describe('fallback along the chain', () => {
  it.each([
    ['a 429 with retry-after', { status: 429, retryAfter: 7 }],
    ['a 500', { status: 500 }],
    ['a 503', { status: 503 }],
    ['a refused connection (reset before any byte)', { kind: 'reset' as const }],
    ['a 404 model_not_found', { status: 404 }],
  ])('answers %s from the first deployment with the next one, and says so in the headers', async (_name, fault) => {
    stack.fake.fail('llama-3.3-70b-versatile', fault, 1);
    const { data, response } = await chat();
    expect(data.choices[0]?.message.content).toBe('Hello from openai/gpt-oss-120b');
    expect(response.headers.get('x-litellm-model-group')).toBe(FALLBACK);
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    expect(stack.fake.callCount('llama-3.3-70b-versatile')).toBe(1);
    expect(stack.fake.callCount('openai/gpt-oss-120b')).toBe(1);
  });

  it('falls back when the first deployment hangs past its timeout', async () => {
    stack.fake.fail('llama-3.3-70b-versatile', { kind: 'hang' }, 1);
    const { data, response } = await chat();
    expect(data.choices[0]?.message.content).toBe('Hello from openai/gpt-oss-120b');
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    // The primary was called and never answered.
    expect(stack.fake.calls[0]).toMatchObject({ model: 'llama-3.3-70b-versatile', status: null });
  });

  it('walks the whole chain in order', async () => {
    stack.fake.fail('llama-3.3-70b-versatile', { status: 500 }, 1);
    stack.fake.fail('openai/gpt-oss-120b', { status: 503 }, 1);
    const { data, response } = await chat();
    expect(data.choices[0]?.message.content).toBe('Hello from llama-3.1-8b-instant');
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('2');
    expect(stack.fake.calls.map((c) => c.model)).toEqual(['llama-3.3-70b-versatile', 'openai/gpt-oss-120b', 'llama-3.1-8b-instant']);
  });

  it('falls back for a stream that fails before its first byte', async () => {
    stack.fake.fail('llama-3.3-70b-versatile', { status: 503 }, 1);
    const { text, response } = await chatStream();
    expect(text).toBe('Hello from openai/gpt-oss-120b');
    expect(response.headers.get('x-litellm-model-group')).toBe(FALLBACK);
  });

  it('falls back for a stream answered with an HTML page under an event-stream content type', async () => {
    const page = '<html><body><h1>502 Bad Gateway</h1></body></html>';
    stack.fake.fail('llama-3.3-70b-versatile', { status: 200, body: page, headers: { 'content-type': 'text/event-stream' } }, 1);
    const { text, response } = await chatStream();
    expect(text).toBe('Hello from openai/gpt-oss-120b');
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
  });

  it('falls back for a stream whose first byte does not come within stream_timeout', async () => {
    stack.fake.fail('llama-3.3-70b-versatile', { kind: 'hang' }, 1);
    const { text } = await chatStream();
    expect(text).toBe('Hello from openai/gpt-oss-120b');
  });

  it('ends a stream that breaks after its first byte with one error frame, without mixing deployments', async () => {
    stack.fake.fail('llama-3.3-70b-versatile', { kind: 'midstream-reset', afterChunks: 2 }, 1);
    const stream = await stack.openai().chat.completions.create({ model: PRIMARY, messages, stream: true });
    let text = '';
    const error = await (async () => {
      try {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toMatch(/upstream stream failed/);
    expect('Hello from llama-3.3-70b-versatile'.startsWith(text)).toBe(true);
    expect(stack.fake.callCount('openai/gpt-oss-120b')).toBe(0);
  });

  it('answers 429 with retry-after when every deployment is rate-limited, saying what was tried', async () => {
    for (const model of ['llama-3.3-70b-versatile', 'openai/gpt-oss-120b', 'llama-3.1-8b-instant']) {
      stack.fake.fail(model, { status: 429, retryAfter: 4 }, 1);
    }
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: PRIMARY, messages }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('4');
    const body = (await res.json()) as { error: { message: string; type: string; code: string } };
    expect(body.error.type).toBe('rate_limit_error');
    expect(body.error.message).toContain('llama-3.3-70b-versatile');
    expect(body.error.message).toContain('llama-3.1-8b-instant');
    expect(body.error.message).toContain('429');
  });

  it('hands a 400 from upstream straight back without trying other deployments', async () => {
    stack.fake.fail('llama-3.3-70b-versatile', { status: 422, body: { error: { message: 'bad schema', type: 'invalid_request_error', code: 'bad' } } }, 1);
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: PRIMARY, messages }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('bad schema');
    expect(stack.fake.callCount('openai/gpt-oss-120b')).toBe(0);
  });
});
