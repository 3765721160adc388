import Groq from 'groq-sdk';
import { parseBuffer } from 'music-metadata';
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS, type FakeGroq } from './server.js';
import { errorOf, fakesClosedAfterEach, groq, KEY, openai, postJson } from './test-setup.js';

const TTS = 'playai-tts';

const start = fakesClosedAfterEach();

const speak = (fake: FakeGroq, body: unknown, key?: string | null): Promise<Response> => postJson(fake, '/openai/v1/audio/speech', body, key);

async function wavDuration(bytes: Uint8Array): Promise<number | undefined> {
  return (await parseBuffer(bytes, { mimeType: 'audio/wav' }, { duration: true })).format.duration;
}

/** Reads a body, counting the pieces the reader hands out. */
async function readChunks(res: Response): Promise<{ bytes: Buffer; reads: number }> {
  const reader = res.body!.getReader();
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return { bytes: Buffer.concat(parts), reads: parts.length };
}

describe('POST /openai/v1/audio/speech', () => {
  it('answers groq-sdk with a WAV of silence whose length follows the input', async () => {
    const fake = await start();
    const input = 'I love building and shipping new features for our users!';
    const { data, response } = await groq(fake).audio.speech.create({ model: TTS, voice: 'Fritz-PlayAI', input, response_format: 'wav' }).withResponse();
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(response.headers.get('content-length')).toBeNull();
    expect(response.headers.get('x-ratelimit-limit-tokens')).not.toBeNull();
    const bytes = new Uint8Array(await data.arrayBuffer());
    expect(Buffer.from(bytes).toString('ascii', 0, 4)).toBe('RIFF');
    expect(await wavDuration(bytes)).toBeCloseTo(input.length * 0.05, 3);
    const format = (await parseBuffer(bytes, { mimeType: 'audio/wav' })).format;
    expect(format).toMatchObject({ sampleRate: 8_000, numberOfChannels: 1, bitsPerSample: 16 });
    expect(fake.calls[0]).toMatchObject({
      path: '/openai/v1/audio/speech',
      model: TTS,
      status: 200,
      body: { model: TTS, voice: 'Fritz-PlayAI', input, response_format: 'wav' },
    });
    // TTS is charged per input character.
    expect(fake.usage(KEY, TTS)).toMatchObject({ requestsLastDay: 1, tokensLastMinute: input.length });
  });

  it('caps the audio at 30 s, honours sample_rate, and writes the body in several chunks', async () => {
    const fake = await start({ chunkDelayMs: 5 });
    const res = await speak(fake, { model: 'canopylabs/orpheus-v1-english', voice: 'troy', input: 'x'.repeat(2_000), sample_rate: 16_000 });
    expect(res.status).toBe(200);
    const { bytes, reads } = await readChunks(res);
    expect(reads).toBeGreaterThan(1);
    expect(await wavDuration(bytes)).toBe(30);
    expect(bytes.readUInt32LE(24)).toBe(16_000);
  });

  it('serves every format with its content type, also to the openai client', async () => {
    const fake = await start();
    const expected: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mpeg', flac: 'audio/flac', ogg: 'audio/ogg', mulaw: 'audio/basic' };
    for (const [format, type] of Object.entries(expected)) {
      const res = await speak(fake, { model: 'playai-tts-arabic', voice: 'Amira-PlayAI', input: 'مرحبا بكم', response_format: format });
      expect(res.status, format).toBe(200);
      expect(res.headers.get('content-type'), format).toBe(type);
      const first = Buffer.from(await res.arrayBuffer());
      const again = Buffer.from(await (await speak(fake, { model: 'playai-tts-arabic', voice: 'Amira-PlayAI', input: 'مرحبا بكم', response_format: format })).arrayBuffer());
      expect(again.equals(first), `${format} is deterministic`).toBe(true);
    }
    const mp3 = await openai(fake).audio.speech.create({ model: 'canopylabs/orpheus-arabic-saudi', voice: 'noura', input: 'hello', response_format: 'mp3' });
    expect(mp3.headers.get('content-type')).toBe('audio/mpeg');
    expect(Buffer.from(await mp3.arrayBuffer()).toString('ascii', 0, 3)).toBe('ID3');
  });

  it('gives each TTS model its documented voices', () => {
    const voices = Object.fromEntries(BUILTIN_MODELS.filter((m) => m.kind === 'speech').map((m) => [m.id, m.voices]));
    expect(voices[TTS]).toHaveLength(19);
    expect(voices[TTS]).toContain('Thunder-PlayAI');
    expect(voices['playai-tts-arabic']).toEqual(['Ahmad-PlayAI', 'Amira-PlayAI', 'Khalid-PlayAI', 'Nasser-PlayAI']);
    expect(voices['canopylabs/orpheus-v1-english']).toEqual(['autumn', 'diana', 'hannah', 'austin', 'daniel', 'troy']);
    expect(voices['canopylabs/orpheus-arabic-saudi']).toEqual(['fahad', 'sultan', 'lulwa', 'noura']);
  });

  it('validates model, input, voice and format, naming the parameter', async () => {
    const fake = await start();
    expect((await speak(fake, { model: TTS, voice: 'Fritz-PlayAI', input: 'hi' }, null)).status).toBe(401);
    expect((await speak(fake, '{not json')).status).toBe(400);
    expect((await speak(fake, { model: 'tts-1', voice: 'alloy', input: 'hi' })).status).toBe(404);
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ voice: 'Fritz-PlayAI', input: 'hi' }, 'model', "'model' is missing"],
      [{ model: 'llama-3.3-70b-versatile', voice: 'Fritz-PlayAI', input: 'hi' }, 'model', 'does not support text-to-speech'],
      [{ model: 'whisper-large-v3', voice: 'Fritz-PlayAI', input: 'hi' }, 'model', 'does not support text-to-speech'],
      [{ model: TTS, voice: 'Fritz-PlayAI' }, 'input', "'input' is missing"],
      [{ model: TTS, voice: 'Fritz-PlayAI', input: '' }, 'input', 'must not be empty'],
      [{ model: TTS, voice: 'Fritz-PlayAI', input: 42 }, 'input', 'must be a string'],
      [{ model: TTS, voice: 'Fritz-PlayAI', input: 'x'.repeat(10_001) }, 'input', 'at most 10000 characters'],
      [{ model: TTS, input: 'hi' }, 'voice', "'voice' is missing"],
      [{ model: TTS, voice: 'alloy', input: 'hi' }, 'voice', 'voice `alloy` is not available for model `playai-tts`'],
      [{ model: TTS, voice: 'troy', input: 'hi' }, 'voice', 'voice `troy`'],
      [{ model: TTS, voice: 'Fritz-PlayAI', input: 'hi', response_format: 'aac' }, 'response_format', 'response_format must be one of [flac mp3 mulaw ogg wav]'],
      [{ model: TTS, voice: 'Fritz-PlayAI', input: 'hi', sample_rate: 12_345 }, 'sample_rate', 'sample_rate must be one of'],
      [{ model: TTS, voice: 'Fritz-PlayAI', input: 'hi', speed: 9 }, 'speed', 'speed must be a number'],
    ];
    for (const [body, param, message] of cases) {
      const res = await speak(fake, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      const error = await errorOf(res);
      expect(error).toMatchObject({ type: 'invalid_request_error', param });
      expect(error.message).toContain(message);
    }
    expect((await speak(fake, { model: TTS, voice: 'Fritz-PlayAI', input: 'x'.repeat(10_000) })).status).toBe(200);
    const viaSdk = await groq(fake)
      .audio.speech.create({ model: TTS, voice: 'Nobody-PlayAI', input: 'hi' })
      .catch((e: unknown) => e);
    expect(viaSdk).toBeInstanceOf(Groq.BadRequestError);
  });
});

describe('speech rate limiting and faults', () => {
  it('charges input characters against TPM and requests against RPM', async () => {
    const fake = await start({ limits: { [TTS]: { tpm: 100 } } });
    expect((await speak(fake, { model: TTS, voice: 'Fritz-PlayAI', input: 'x'.repeat(60) })).status).toBe(200);
    const tokens = await speak(fake, { model: TTS, voice: 'Fritz-PlayAI', input: 'x'.repeat(60) });
    expect(tokens.status).toBe(429);
    expect(tokens.headers.get('retry-after')).toBe('60');
    expect(tokens.headers.get('x-ratelimit-remaining-tokens')).toBe('40');
    expect(await errorOf(tokens)).toMatchObject({ type: 'tokens', code: 'rate_limit_exceeded' });
    expect((await speak(fake, { model: TTS, voice: 'Fritz-PlayAI', input: 'x'.repeat(40) })).status).toBe(200);
    expect((await speak(fake, { model: TTS, voice: 'Fritz-PlayAI', input: 'x'.repeat(500) })).status).toBe(413);
    expect(fake.usage(KEY, TTS)).toMatchObject({ requestsLastMinute: 2, tokensLastMinute: 100 });

    const rpm = await start({ limits: { [TTS]: { rpm: 1 } } });
    expect((await speak(rpm, { model: TTS, voice: 'Fritz-PlayAI', input: 'x' })).status).toBe(200);
    const requests = await speak(rpm, { model: TTS, voice: 'Fritz-PlayAI', input: 'x' });
    expect(requests.status).toBe(429);
    expect(await errorOf(requests)).toMatchObject({ type: 'requests' });
  });

  it('applies fail(model) faults: status, midstream-reset mid-body, midstream-error as a 500', async () => {
    const fake = await start();
    fake.fail(TTS, { status: 500 }, 1);
    fake.fail(TTS, { kind: 'midstream-reset', afterChunks: 2 }, 1);
    fake.fail(TTS, { kind: 'midstream-error', afterChunks: 2 }, 1);
    const body = { model: TTS, voice: 'Fritz-PlayAI', input: 'x'.repeat(100) };
    expect((await speak(fake, { ...body, model: 'playai-tts-arabic', voice: 'Ahmad-PlayAI' })).status).toBe(200);
    const error = await groq(fake)
      .audio.speech.create(body)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Groq.InternalServerError);
    const cut = await speak(fake, body);
    expect(cut.status).toBe(200);
    await expect(cut.arrayBuffer()).rejects.toThrow();
    const failed = await speak(fake, body);
    expect(failed.status).toBe(500);
    expect(await errorOf(failed)).toMatchObject({ type: 'internal_server_error' });
    expect((await speak(fake, body)).status).toBe(200);
    expect(fake.calls.map((c) => [c.model, c.fault])).toEqual([
      ['playai-tts-arabic', null],
      [TTS, 'status:500'],
      [TTS, 'midstream-reset'],
      [TTS, 'midstream-error'],
      [TTS, null],
    ]);
  });
});
