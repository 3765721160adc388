import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashClientKey } from '../../src/config/client-key-hash.js';
import { UNLIMITED, deploymentYaml, startStack, type Stack } from './harness.js';

/**
 * LiteLLM's request-level options, wildcard routing and fallbacks to a deployment id, through the
 * official openai client, against the real gateway and the fake Groq.
 */

const PRIMARY = 'groq/llama-3.3-70b-versatile';
const FALLBACK = 'groq/openai/gpt-oss-120b';
const LAST = 'groq/llama-3.1-8b-instant';
const MASTER = 'sk-master-dropin-test-00000000000000001';
const ALICE = 'sk-grk-alice-dropin-test-0000000000000002';
const BOB = 'sk-grk-bob-dropin-test-000000000000000003';

const yaml = `model_list:
${deploymentYaml(PRIMARY, 'llama-3.3-70b-versatile')}${deploymentYaml(FALLBACK, 'openai/gpt-oss-120b')}${deploymentYaml(LAST, 'llama-3.1-8b-instant')}  - model_name: coder
    litellm_params:
      model: groq/qwen/qwen3-32b
      api_key: os.environ/GROQ_API_KEY
      api_base: FAKE_URL/openai/v1${UNLIMITED}
    model_info: {id: coder-backup}
  - model_name: "groq/*"
    litellm_params:
      model: "groq/*"
      api_key: os.environ/GROQ_API_KEY
      api_base: FAKE_URL/openai/v1${UNLIMITED}
  - model_name: "claude-*"
    litellm_params:
      model: groq/llama-3.1-8b-instant
      api_key: os.environ/GROQ_API_KEY
      api_base: FAKE_URL/openai/v1${UNLIMITED}
router_settings:
  num_retries: 0
litellm_settings:
  fallbacks:
    - ${PRIMARY}: [${FALLBACK}]
    - ${LAST}: [coder-backup]
general_settings:
  master_key: os.environ/DROPIN_MASTER_KEY
  client_keys:
    - alias: alice
      key_hash: ${hashClientKey(ALICE)}
      key_preview: sk-...0002
      models: [${PRIMARY}]
    - alias: bob
      key_hash: ${hashClientKey(BOB)}
      key_preview: sk-...0003
      models: ["groq/*"]
`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ yaml, env: { DROPIN_MASTER_KEY: MASTER } });
});
afterAll(async () => {
  await stack?.close();
});

const messages = [{ role: 'user' as const, content: 'Say hello' }];
const OPTION_FIELDS = ['fallbacks', 'mock_testing_fallbacks', 'mock_response', 'num_retries', 'timeout', 'metadata'];

/** The openai client sends extra fields as given; LiteLLM's docs use it this way. */
type WithOptions = OpenAI.ChatCompletionCreateParamsNonStreaming & Record<string, unknown>;
type WithOptionsStream = OpenAI.ChatCompletionCreateParamsStreaming & Record<string, unknown>;

function master(): OpenAI {
  return stack.openai(MASTER);
}

/** Every body the fake Groq received since `from`, checked for LiteLLM's options. */
function leakedOptions(from: number): string[] {
  return stack.fake.calls.slice(from).flatMap((call) => {
    const body = (call as { body?: unknown }).body;
    if (typeof body !== 'object' || body === null) return [];
    return OPTION_FIELDS.filter((f) => f in body);
  });
}

describe('mock_response', () => {
  it('answers with the given text, no upstream call, with the routed answer headers', async () => {
    const before = stack.fake.calls.length;
    const { data, response } = await master()
      .chat.completions.create({ model: PRIMARY, messages, mock_response: 'mocked!' } as WithOptions)
      .withResponse();
    expect(data.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'mocked!' });
    expect(data.object).toBe('chat.completion');
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-litellm-model-group')).toBe(PRIMARY);
    expect(response.headers.get('x-litellm-model-id')).toMatch(/^[0-9a-f]{16}$/);
    expect(response.headers.get('x-groq-router-upstream-calls')).toBe('0');
    expect(stack.fake.calls.length).toBe(before);
  });

  it('streams too, ending like a real stream', async () => {
    const before = stack.fake.calls.length;
    const stream = await master().chat.completions.create({
      model: PRIMARY,
      messages,
      stream: true,
      stream_options: { include_usage: true },
      mock_response: 'streamed mock',
    } as WithOptionsStream);
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('streamed mock');
    expect(usage).toBeDefined();
    expect(stack.fake.calls.length).toBe(before);
  });
});

describe('mock_testing_fallbacks', () => {
  it('treats the primary as failed without calling it, and answers from the fallback', async () => {
    const before = stack.fake.calls.length;
    const { data, response } = await master()
      .chat.completions.create({ model: PRIMARY, messages, mock_testing_fallbacks: true } as WithOptions)
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from openai/gpt-oss-120b');
    expect(response.headers.get('x-litellm-model-group')).toBe(FALLBACK);
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    const models = stack.fake.calls.slice(before).map((c) => c.model);
    expect(models).toEqual(['openai/gpt-oss-120b']);
    expect(leakedOptions(before)).toEqual([]);
  });
});

describe('mock_testing_fallbacks without fallbacks', () => {
  it('fails the request saying why, without any upstream call', async () => {
    const before = stack.fake.calls.length;
    const err = await master()
      .chat.completions.create({ model: FALLBACK, messages, mock_testing_fallbacks: true } as WithOptions)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBeGreaterThanOrEqual(500);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain('mock_testing_fallbacks');
    expect(stack.fake.calls.length).toBe(before);
  });
});

describe('request fallbacks', () => {
  it('replace the configured fallbacks for that request; options never reach Groq', async () => {
    const before = stack.fake.calls.length;
    stack.fake.fail('llama-3.3-70b-versatile', { status: 500 }, 1);
    const { data, response } = await master()
      .chat.completions.create({
        model: PRIMARY,
        messages,
        fallbacks: [LAST],
        num_retries: 0,
        timeout: 30,
        metadata: { trace: 'abc' },
      } as WithOptions)
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from llama-3.1-8b-instant');
    expect(response.headers.get('x-litellm-model-group')).toBe(LAST);
    expect(leakedOptions(before)).toEqual([]);
    expect(stack.logs.some((line) => line.includes('"trace":"abc"'))).toBe(true);
  });

  it('are limited to what the caller key may use', async () => {
    const err = await stack
      .openai(ALICE)
      .chat.completions.create({ model: PRIMARY, messages, fallbacks: [FALLBACK] } as WithOptions)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain('in fallbacks');
  });

  it('an unknown name is a 400 naming the field, before any upstream call', async () => {
    const before = stack.fake.calls.length;
    const err = await master()
      .chat.completions.create({ model: PRIMARY, messages, fallbacks: ['nope'] } as WithOptions)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe('fallbacks');
    expect(stack.fake.calls.length).toBe(before);
  });
});

describe('num_retries and timeout from the request', () => {
  it('num_retries replaces the router\'s (0 here) for that request', async () => {
    stack.fake.fail('openai/gpt-oss-120b', { status: 500 }, 1);
    const { data, response } = await master()
      .chat.completions.create({ model: FALLBACK, messages, num_retries: 1 } as WithOptions)
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from openai/gpt-oss-120b');
    expect(response.headers.get('x-litellm-attempted-retries')).toBe('1');
  });

  it('timeout shortens the request deadline', async () => {
    stack.fake.fail('openai/gpt-oss-120b', { kind: 'hang' }, 1);
    const err = await master()
      .chat.completions.create({ model: FALLBACK, messages, timeout: 0.5 } as WithOptions)
      .catch((e: unknown) => e);
    // Without the request's timeout this would wait for the router's 600 s and the test would time out.
    expect([408, 504]).toContain((err as InstanceType<typeof OpenAI.APIError>).status);
  });
});

describe('fallback to a model_info.id', () => {
  it('falls back to exactly that deployment', async () => {
    stack.fake.fail('llama-3.1-8b-instant', { status: 503 }, 1);
    const { data, response } = await master().chat.completions.create({ model: LAST, messages }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from qwen/qwen3-32b');
    expect(response.headers.get('x-litellm-model-id')).toBe('coder-backup');
    expect(response.headers.get('x-litellm-model-group')).toBe('coder');
  });
});

describe('wildcard routing', () => {
  it('"groq/*" routes groq/<catalogue model> to Groq with that id', async () => {
    const { data, response } = await master().chat.completions.create({ model: 'groq/qwen/qwen3-32b', messages }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from qwen/qwen3-32b');
    expect(response.headers.get('x-litellm-model-group')).toBe('groq/qwen/qwen3-32b');
  });

  it('an explicit alias wins over the wildcard', async () => {
    const { data } = await master().chat.completions.create({ model: FALLBACK, messages }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from openai/gpt-oss-120b');
  });

  it('/v1/models lists the catalogue models under the wildcard', async () => {
    const list = await master().models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids).toContain('groq/qwen/qwen3-32b');
    expect(ids).toContain('groq/meta-llama/llama-4-scout-17b-16e-instruct');
    expect(ids).not.toContain('groq/*');
  });

  it('a client key allowed the wildcard may use and list every name it serves, and nothing else', async () => {
    const ids = (await stack.openai(BOB).models.list()).data.map((m) => m.id);
    expect(ids).toContain('groq/qwen/qwen3-32b');
    expect(ids).not.toContain('coder');
    const { data } = await stack.openai(BOB).chat.completions.create({ model: 'groq/qwen/qwen3-32b', messages }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from qwen/qwen3-32b');
    const err = await stack.openai(BOB).chat.completions.create({ model: 'coder', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it('a model_name wildcard with a fixed model sends every match to it', async () => {
    const { data, response } = await master().chat.completions.create({ model: 'claude-sonnet-4', messages }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from llama-3.1-8b-instant');
    expect(response.headers.get('x-litellm-model-group')).toBe('claude-*');
  });

  it('a model outside the catalogue is sent to Groq as named', async () => {
    const before = stack.fake.calls.length;
    await master().chat.completions.create({ model: 'groq/not-in-catalogue', messages }).catch(() => undefined);
    expect(stack.fake.calls.slice(before).map((c) => c.model)).toEqual(['not-in-catalogue']);
  });
});
