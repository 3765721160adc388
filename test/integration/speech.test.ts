import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, type Stack } from './harness.js';

const TTS = 'groq/playai-tts';
const TTS_BACKUP = 'tts-backup';
const ARABIC = 'groq/playai-tts-arabic';
const CHAT = 'groq/llama-3.1-8b-instant';

const BACKUP_KEY = 'gsk_integration_backup_key_9876543210';

const yaml = `model_list:
${deploymentYaml(TTS, 'playai-tts')}${deploymentYaml(ARABIC, 'playai-tts-arabic')}${deploymentYaml(CHAT, 'llama-3.1-8b-instant')}  - model_name: ${TTS_BACKUP}
    litellm_params:
      model: groq/playai-tts
      api_key: os.environ/GROQ_BACKUP_KEY
      api_base: FAKE_URL/openai/v1
      rpm: 1000
router_settings:
  timeout: 20
litellm_settings:
  fallbacks:
    - ${TTS}: [${TTS_BACKUP}]
`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ yaml, env: { GROQ_BACKUP_KEY: BACKUP_KEY } });
});
afterAll(async () => {
  await stack?.close();
});
afterEach(() => stack.fake.reset());

describe('text to speech through the gateway', () => {
  it('streams WAV audio back to groq-sdk with the upstream content type', async () => {
    const response = await stack.groq().audio.speech.create({ model: TTS, voice: 'Fritz-PlayAI', input: 'I love building and shipping new features.', response_format: 'wav' });
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(response.headers.get('x-litellm-model-group')).toBe(TTS);
    const audio = Buffer.from(await response.arrayBuffer());
    expect(audio.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(audio.subarray(8, 12).toString('latin1')).toBe('WAVE');
    expect(audio.readUInt32LE(4)).toBe(audio.length - 8);
    const call = stack.fake.calls[0];
    expect(call?.path).toBe('/openai/v1/audio/speech');
    expect(call?.model).toBe('playai-tts');
  });

  it('answers the openai client in the format asked for', async () => {
    const response = await stack.openai().audio.speech.create({ model: ARABIC, voice: 'Nasser-PlayAI', input: 'مرحبا', response_format: 'mp3' });
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });

  it('falls back to the next deployment when the first fails before any audio', async () => {
    stack.fake.fail('playai-tts', { status: 503 }, 1);
    const response = await stack.groq().audio.speech.create({ model: TTS, voice: 'Calum-PlayAI', input: 'Hello' });
    expect(response.headers.get('x-litellm-model-group')).toBe(TTS_BACKUP);
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    expect(Buffer.from(await response.arrayBuffer()).subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(stack.fake.calls.map((c) => c.keyPreview)).toEqual(['gsk_...6789', 'gsk_...3210']);
    expect(stack.fake.calls.map((c) => c.status)).toEqual([503, 200]);
  });

  it('refuses an unknown voice, empty input, input over the documented limit and a chat model, without calling Groq', async () => {
    const groq = stack.groq();
    const unknownVoice = await groq.audio.speech.create({ model: TTS, voice: 'Nobody-PlayAI', input: 'Hello' }).catch((err: unknown) => err);
    expect(unknownVoice).toMatchObject({ status: 400, error: { error: { param: 'voice' } } });
    expect(String((unknownVoice as Error).message)).toMatch(/Nobody-PlayAI.*not one of playai-tts's voices.*Fritz-PlayAI/);
    await expect(groq.audio.speech.create({ model: TTS, voice: 'Fritz-PlayAI', input: '   ' })).rejects.toMatchObject({ status: 400 });
    const tooLong = await groq.audio.speech.create({ model: TTS, voice: 'Fritz-PlayAI', input: 'x'.repeat(10_001) }).catch((err: unknown) => err);
    expect(tooLong).toMatchObject({ status: 400 });
    expect(String((tooLong as Error).message)).toMatch(/10001 characters is longer than playai-tts's limit of 10000/);
    await expect(groq.audio.speech.create({ model: CHAT, voice: 'Fritz-PlayAI', input: 'Hello' })).rejects.toMatchObject({ status: 400 });
    await expect(stack.openai().audio.speech.create({ model: TTS, input: 'Hello' } as never)).rejects.toMatchObject({ status: 400 });
    expect(stack.fake.calls).toHaveLength(0);
  });
});
