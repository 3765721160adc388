import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, type Stack } from './harness.js';

/** Two small windows chained by fallbacks: a long prompt fits neither. */
const yaml = `model_list:
  - model_name: groq/tiny
    litellm_params:
      model: groq/llama-3.1-8b-instant
      api_key: os.environ/GROQ_API_KEY
      api_base: FAKE_URL
    model_info:
      max_input_tokens: 50
  - model_name: groq/small
    litellm_params:
      model: groq/llama-3.3-70b-versatile
      api_key: os.environ/GROQ_API_KEY
      api_base: FAKE_URL
    model_info:
      max_input_tokens: 80
${deploymentYaml('groq/big', 'moonshotai/kimi-k2-instruct-0905')}
litellm_settings:
  fallbacks:
    - groq/tiny: [groq/small]
`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ yaml });
});
afterAll(async () => {
  await stack?.close();
});

describe('context overflow is the caller’s error', () => {
  it('a prompt no deployment of the chain can hold: 400 context_length_exceeded naming the largest window, no upstream call', async () => {
    stack.fake.reset();
    const error = await stack
      .openai()
      .chat.completions.create({ model: 'groq/tiny', messages: [{ role: 'user', content: 'word '.repeat(400) }] })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.status).toBe(400);
    expect(bad.code).toBe('context_length_exceeded');
    expect(bad.message).toContain('80');
    expect(stack.fake.calls.length).toBe(0);
  });

  it('an upstream 400 context_length_exceeded with nothing larger to fall back to is relayed as a 400', async () => {
    stack.fake.reset();
    stack.fake.fail('moonshotai/kimi-k2-instruct-0905', {
      status: 400,
      body: { error: { message: 'Please reduce the length of the messages or completion.', type: 'invalid_request_error', code: 'context_length_exceeded' } },
    }, 1);
    const error = await stack
      .openai()
      .chat.completions.create({ model: 'groq/big', messages: [{ role: 'user', content: 'hi' }] })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
    expect((error as Error).message).toContain('reduce the length');
  });
});
