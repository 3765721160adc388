import Groq from 'groq-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, type Stack } from './harness.js';

/** The README's own pattern: a chat model as everyone's default fallback, audio aliases beside it. */
const yaml = `model_list:
${deploymentYaml('groq/playai-tts', 'playai-tts')}${deploymentYaml('groq/whisper-large-v3-turbo', 'whisper-large-v3-turbo')}${deploymentYaml('groq/openai/gpt-oss-20b', 'openai/gpt-oss-20b')}
router_settings:
  num_retries: 0
litellm_settings:
  default_fallbacks: [groq/openai/gpt-oss-20b]
`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ yaml });
});
afterAll(async () => {
  await stack?.close();
});

describe('audio never goes to a chat model', () => {
  it('a failing speech deployment answers with its own 503, never the chat fallback’s 400', async () => {
    stack.fake.reset();
    stack.fake.fail('playai-tts', { status: 503 }, 1);
    const error = await stack
      .groq()
      .audio.speech.create({ model: 'groq/playai-tts', voice: 'Fritz-PlayAI', input: 'hello', response_format: 'wav' })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Groq.APIError);
    expect((error as InstanceType<typeof Groq.APIError>).status).toBe(503);
    expect(stack.fake.callCount('openai/gpt-oss-20b')).toBe(0);
  });

  it('the dropped fallback is warned about at load, naming the alias and the endpoint', () => {
    const warnings = stack.logs.filter((line) => line.includes('left out of'));
    expect(warnings.some((line) => line.includes('groq/playai-tts:') && line.includes('/audio/speech'))).toBe(true);
    expect(warnings.some((line) => line.includes('groq/whisper-large-v3-turbo:') && line.includes('/audio/transcriptions'))).toBe(true);
  });
});
