import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toFile as groqFile } from 'groq-sdk';
import { toFile as openaiFile } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, type Stack } from './harness.js';

const TURBO = 'groq/whisper-large-v3-turbo';
const LARGE = 'groq/whisper-large-v3';
const METERED = 'metered-whisper';
const CHAT = 'groq/llama-3.1-8b-instant';

const FIXTURES = join(import.meta.dirname, '../fixtures/audio');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

const yaml = `model_list:
${deploymentYaml(TURBO, 'whisper-large-v3-turbo', '', '\n      rpm: 1000')}${deploymentYaml(LARGE, 'whisper-large-v3', '', '\n      rpm: 1000')}${deploymentYaml(CHAT, 'llama-3.1-8b-instant')}  - model_name: ${METERED}
    litellm_params:
      model: groq/whisper-large-v3
      api_key: os.environ/METERED_KEY
      api_base: FAKE_URL/openai/v1
      rpm: 1000
      ash: 40
router_settings:
  timeout: 30
litellm_settings:
  fallbacks:
    - ${TURBO}: [${LARGE}]
`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ yaml, env: { METERED_KEY: 'gsk_integration_metered_key_5555555555' } });
});
afterAll(async () => {
  await stack?.close();
});
afterEach(() => stack.fake.reset());

async function ashUsed(model: string, key: string): Promise<number> {
  const quota = (await (await fetch(`${stack.url}/quota`)).json()) as { budgets: { model: string; key: string; windows: { ash: { used: number } } }[] };
  return quota.budgets.find((b) => b.model === model && b.key === key)?.windows.ash.used ?? Number.NaN;
}

describe('audio transcription and translation through the gateway', () => {
  it('transcribes for groq-sdk with verbose_json and both timestamp granularities passed through', async () => {
    const result = (await stack.groq().audio.transcriptions.create({
      file: await groqFile(fixture('tone-15s.mp3'), 'tone-15s.mp3'),
      model: TURBO,
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
      language: 'en',
      temperature: 0,
    })) as unknown as { duration: number; text: string; segments: unknown[] };
    expect(result.duration).toBeCloseTo(15, 0);
    expect(result.segments.length).toBeGreaterThan(0);
    const call = stack.fake.calls[0];
    expect(call?.path).toBe('/openai/v1/audio/transcriptions');
    expect(call?.model).toBe('whisper-large-v3-turbo');
    expect(call?.body).toMatchObject({ response_format: 'verbose_json', language: 'en', file: { filename: 'tone-15s.mp3' } });
    expect(JSON.stringify(call?.body)).toContain('word');
    expect((call?.body as { file: { bytes: number } }).file.bytes).toBe(fixture('tone-15s.mp3').length);
  });

  it('answers the openai client in json and in text, with the upstream content type', async () => {
    const openai = stack.openai();
    const json = await openai.audio.transcriptions.create({ file: await openaiFile(fixture('tone-3s.wav'), 'tone-3s.wav'), model: LARGE });
    expect(typeof json.text).toBe('string');
    const text = await openai.audio.transcriptions.create({ file: await openaiFile(fixture('tone-3s.flac'), 'tone-3s.flac'), model: LARGE, response_format: 'text' });
    expect(typeof text).toBe('string');
    expect(stack.fake.calls.map((c) => c.status)).toEqual([200, 200]);
  });

  it('sends a file named without an extension (a browser Blob) under a name Groq recognises', async () => {
    await stack.openai().audio.transcriptions.create({ file: await openaiFile(fixture('tone-3s.wav'), 'blob', { type: 'audio/wav' }), model: LARGE });
    expect(stack.fake.calls[0]?.body).toMatchObject({ file: { filename: 'blob.wav' } });
  });

  it('translates for groq-sdk', async () => {
    const translation = await stack.groq().audio.translations.create({ file: await groqFile(fixture('tone-3s.ogg'), 'tone-3s.ogg'), model: LARGE, response_format: 'json' });
    expect(typeof translation.text).toBe('string');
    expect(stack.fake.calls[0]?.path).toBe('/openai/v1/audio/translations');
  });

  it('falls back from turbo to large-v3, sending the same file again', async () => {
    stack.fake.fail('whisper-large-v3-turbo', { status: 503 }, 1);
    const { response } = await stack
      .groq()
      .audio.transcriptions.create({ file: await groqFile(fixture('tone-3s.m4a'), 'tone-3s.m4a'), model: TURBO })
      .withResponse();
    expect(response.headers.get('x-litellm-model-group')).toBe(LARGE);
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    expect(stack.fake.calls.map((c) => [c.model, c.status])).toEqual([
      ['whisper-large-v3-turbo', 503],
      ['whisper-large-v3', 200],
    ]);
    const sizes = stack.fake.calls.map((c) => (c.body as { file: { bytes: number } }).file.bytes);
    expect(sizes).toEqual([fixture('tone-3s.m4a').length, fixture('tone-3s.m4a').length]);
  });

  it('charges ASH by the measured duration, at least 10 s, and refuses past the budget without calling Groq', async () => {
    const key = 'gsk_...5555';
    const groq = stack.groq();
    const before = await ashUsed('whisper-large-v3', key);
    await groq.audio.transcriptions.create({ file: await groqFile(fixture('tone-3s.wav'), 'tone-3s.wav'), model: METERED });
    expect((await ashUsed('whisper-large-v3', key)) - before).toBeCloseTo(10, 1); // 3 s of audio, billed 10
    await groq.audio.transcriptions.create({ file: await groqFile(fixture('tone-15s.webm'), 'tone-15s.webm'), model: METERED });
    expect((await ashUsed('whisper-large-v3', key)) - before).toBeCloseTo(25, 0); // + 15 s measured
    const refused = await groq.audio.transcriptions
      .create({ file: await groqFile(fixture('tone-15s.wav'), 'tone-15s.wav'), model: METERED })
      .catch((err: unknown) => err as { status: number; headers: Headers; message: string });
    expect(refused).toMatchObject({ status: 429 });
    expect((refused as { message: string }).message).toMatch(/ASH 40/);
    expect(Number((refused as { headers: Headers }).headers.get('retry-after'))).toBeGreaterThan(0);
    expect(stack.fake.calls).toHaveLength(2);
  });

  it('refuses a wrong file type, unreadable audio, a missing file, bad fields and a chat alias with a 400 and no upstream call', async () => {
    const groq = stack.groq();
    const wrongType = await groq.audio.transcriptions.create({ file: await groqFile(Buffer.from('hello'), 'notes.txt'), model: TURBO }).catch((e: unknown) => e);
    expect(wrongType).toMatchObject({ status: 400, error: { error: { code: 'unsupported_file_type', param: 'file' } } });
    expect(String((wrongType as Error).message)).toMatch(/flac.*webm/);
    const unreadable = await groq.audio.transcriptions.create({ file: await groqFile(fixture('not-audio.mp3'), 'not-audio.mp3'), model: TURBO }).catch((e: unknown) => e);
    expect(unreadable).toMatchObject({ status: 400, error: { error: { code: 'invalid_audio_file' } } });
    await expect(groq.audio.transcriptions.create({ model: TURBO } as never)).rejects.toMatchObject({ status: 400 });
    await expect(
      groq.audio.transcriptions.create({ file: await groqFile(fixture('tone-3s.wav'), 'a.wav'), model: TURBO, response_format: 'srt' as never }),
    ).rejects.toMatchObject({ status: 400, error: { error: { param: 'response_format' } } });
    await expect(groq.audio.transcriptions.create({ file: await groqFile(fixture('tone-3s.wav'), 'a.wav'), model: CHAT })).rejects.toMatchObject({
      status: 400,
      error: { error: { code: 'wrong_model_type' } },
    });
    await expect(groq.audio.transcriptions.create({ file: await groqFile(fixture('tone-3s.wav'), 'a.wav'), model: 'groq/nope' })).rejects.toMatchObject({ status: 404 });
    expect(stack.fake.calls).toHaveLength(0);
  });

  it('refuses a file over the plan limit (25 MB free) with a 413 before uploading it', async () => {
    const big = Buffer.alloc(26 * 1024 * 1024, 0);
    fixture('tone-3s.wav').copy(big);
    const refused = await stack
      .openai()
      .audio.transcriptions.create({ file: await openaiFile(big, 'big.wav'), model: TURBO })
      .catch((e: unknown) => e as { status: number; message: string });
    expect(refused).toMatchObject({ status: 413 });
    expect((refused as { message: string }).message).toMatch(/25 MB/);
    expect(stack.fake.calls).toHaveLength(0);
  });
});
