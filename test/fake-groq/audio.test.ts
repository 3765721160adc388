import Groq, { toFile } from 'groq-sdk';
import { toFile as openaiFile } from 'openai';
import { describe, expect, it } from 'vitest';
import { wavBytes } from '../support/wav.js';
import type { FakeGroq } from './server.js';
import { errorOf, fakesClosedAfterEach, groq, KEY, openai } from './test-setup.js';

const WHISPER = 'whisper-large-v3-turbo';

const start = fakesClosedAfterEach();

type FormValue = string | string[] | { bytes: Buffer; filename: string; type?: string };

/** Raw multipart upload with fetch, for what the SDKs would refuse to send. */
function upload(fake: FakeGroq, fields: Record<string, FormValue>, init: { path?: string; key?: string | null } = {}): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') form.append(name, value);
    else if (Array.isArray(value)) for (const v of value) form.append(name, v);
    else form.append(name, new Blob([new Uint8Array(value.bytes)], { type: value.type ?? 'audio/wav' }), value.filename);
  }
  const key = init.key === undefined ? KEY : init.key;
  return fetch(`${fake.url}${init.path ?? '/openai/v1/audio/transcriptions'}`, {
    method: 'POST',
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
    body: form,
  });
}

const wavFile = (seconds: number, filename = 'sample.wav') => ({ bytes: wavBytes(seconds), filename });

describe('wavBytes (test/support/wav.ts)', () => {
  it('writes a RIFF header and N seconds of 16-bit mono silence', () => {
    const wav = wavBytes(2);
    expect(wav.length).toBe(44 + 2 * 8000 * 2);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
    expect(wav.readUInt32LE(24)).toBe(8000);
    expect(wavBytes(1, 16_000).readUInt32LE(40)).toBe(32_000);
  });
});

describe('POST /openai/v1/audio/transcriptions and /translations', () => {
  it('transcribes with groq-sdk: json by default, with x_groq.id', async () => {
    const fake = await start();
    const { data, response } = await groq(fake)
      .audio.transcriptions.create({ file: await toFile(wavBytes(3), 'sample.wav'), model: WHISPER, language: 'en', prompt: 'context', temperature: 0 })
      .withResponse();
    expect(data).toEqual({ text: `Hello from ${WHISPER}`, x_groq: { id: response.headers.get('x-request-id') } });
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('14400');
    expect(fake.calls[0]).toMatchObject({
      method: 'POST',
      path: '/openai/v1/audio/transcriptions',
      model: WHISPER,
      stream: false,
      status: 200,
      fault: null,
      body: { model: WHISPER, language: 'en', prompt: 'context', temperature: '0', file: { filename: 'sample.wav', bytes: 44 + 3 * 16_000 } },
    });
    // Groq's 10-second minimum applies to the quota.
    expect(fake.usage(KEY, WHISPER)).toMatchObject({ requestsLastDay: 1, audioSecondsLastHour: 10, audioSecondsLastDay: 10, tokensLastMinute: 0 });
  });

  it('answers verbose_json with the measured duration, segments, and words only when asked', async () => {
    const fake = await start();
    const client = groq(fake);
    const verbose = (await client.audio.transcriptions.create({
      file: await toFile(wavBytes(12.5), 'long.wav'),
      model: 'whisper-large-v3',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
      language: 'fr',
    })) as unknown as Record<string, unknown>;
    expect(verbose).toMatchObject({ task: 'transcribe', language: 'fr', duration: 12.5, text: 'Hello from whisper-large-v3' });
    expect(verbose['segments']).toEqual([
      {
        id: 0,
        seek: 0,
        start: 0,
        end: 12.5,
        text: ' Hello from whisper-large-v3',
        tokens: [],
        temperature: 0,
        avg_logprob: -0.2,
        compression_ratio: 1,
        no_speech_prob: 0.01,
      },
    ]);
    const words = verbose['words'] as Array<{ word: string; start: number; end: number }>;
    expect(words.map((w) => w.word)).toEqual(['Hello', 'from', 'whisper-large-v3']);
    expect(words.at(-1)?.end).toBe(12.5);
    expect(fake.calls[0]?.body).toMatchObject({ 'timestamp_granularities[]': ['word', 'segment'], response_format: 'verbose_json' });
    expect(fake.usage(KEY, 'whisper-large-v3').audioSecondsLastHour).toBe(12.5);

    const segmentsOnly = (await client.audio.transcriptions.create({
      file: await toFile(wavBytes(1), 'a.wav'),
      model: 'whisper-large-v3',
      response_format: 'verbose_json',
      timestamp_granularities: ['segment'],
    })) as unknown as Record<string, unknown>;
    expect(segmentsOnly).toMatchObject({ duration: 1, language: 'English' });
    expect(segmentsOnly).not.toHaveProperty('words');
  });

  it('answers response_format text as text/plain', async () => {
    const fake = await start();
    const res = await upload(fake, { model: WHISPER, file: wavFile(1), response_format: 'text' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe(`Hello from ${WHISPER}`);
    const viaSdk = await groq(fake).audio.transcriptions.create({ file: await toFile(wavBytes(1), 'a.wav'), model: WHISPER, response_format: 'text' });
    expect(viaSdk).toBe(`Hello from ${WHISPER}`);
  });

  it('translates with the openai client', async () => {
    const fake = await start();
    const client = openai(fake);
    const translation = await client.audio.translations.create({ file: await openaiFile(wavBytes(2), 'speech.wav'), model: 'whisper-large-v3' });
    expect(translation.text).toBe('Hello from whisper-large-v3');
    const verbose = await client.audio.translations.create({
      file: await openaiFile(wavBytes(2), 'speech.wav'),
      model: 'whisper-large-v3',
      response_format: 'verbose_json',
    });
    expect(verbose).toMatchObject({ task: 'translate', language: 'English', duration: 2 });
    expect(fake.calls.map((c) => c.path)).toEqual(['/openai/v1/audio/translations', '/openai/v1/audio/translations']);

    const transcription = await client.audio.transcriptions.create({ file: await openaiFile(wavBytes(1), 'x.wav'), model: WHISPER });
    expect(transcription.text).toBe(`Hello from ${WHISPER}`);
  });

  it('validates in Groq’s order, without charging quota', async () => {
    const fake = await start();
    expect((await upload(fake, { model: WHISPER, file: wavFile(1) }, { key: null })).status).toBe(401);
    expect((await upload(fake, { model: WHISPER, file: wavFile(1) }, { key: 'sk-nope' })).status).toBe(401);
    const notForm = await fetch(`${fake.url}/openai/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: WHISPER }),
    });
    expect(notForm.status).toBe(400);
    expect((await errorOf(notForm)).message).toContain('multipart/form-data');
    expect(await errorOf(await upload(fake, { file: wavFile(1) }))).toMatchObject({ param: 'model' });
    const unknown = await upload(fake, { model: 'whisper-2', file: wavFile(1) });
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatchObject({ code: 'model_not_found' });

    const cases: Array<[Record<string, FormValue>, string, string]> = [
      [{ model: 'llama-3.3-70b-versatile', file: wavFile(1) }, 'model', 'does not support audio transcriptions'],
      [{ model: 'playai-tts', file: wavFile(1) }, 'model', 'does not support audio transcriptions'],
      [{ model: WHISPER }, 'file', "property 'file' is missing"],
      [{ model: WHISPER, file: 'not a file' }, 'file', 'must be a file'],
      [{ model: WHISPER, file: wavFile(1, 'notes.txt') }, 'file', 'file must be one of the following types: [flac mp3 mp4 mpeg mpga m4a ogg wav webm]'],
      [{ model: WHISPER, file: wavFile(1, 'noextension') }, 'file', 'following types'],
      [{ model: WHISPER, file: { bytes: Buffer.from('definitely not audio '.repeat(50)), filename: 'junk.wav' } }, 'file', 'could not process file'],
      [{ model: WHISPER, file: { bytes: Buffer.alloc(0), filename: 'empty.mp3' } }, 'file', 'could not process file'],
      [{ model: WHISPER, file: wavFile(1), response_format: 'srt' }, 'response_format', 'response_format must be one of [json verbose_json text]'],
      [{ model: WHISPER, file: wavFile(1), 'timestamp_granularities[]': ['segment', 'sentence'] }, 'timestamp_granularities', 'must be one of'],
      [{ model: WHISPER, file: wavFile(1), temperature: '1.5' }, 'temperature', 'between 0 and 1'],
      [{ model: WHISPER, file: wavFile(1), prompt: 'p'.repeat(900) }, 'prompt', 'prompt length must be 896 characters or fewer'],
    ];
    for (const [fields, param, message] of cases) {
      const res = await upload(fake, fields);
      expect(res.status, JSON.stringify(Object.keys(fields))).toBe(400);
      expect(res.headers.get('x-ratelimit-limit-requests')).not.toBeNull();
      const error = await errorOf(res);
      expect(error, message).toMatchObject({ type: 'invalid_request_error', param });
      expect(error.message).toContain(message);
    }
    const translationToChat = await upload(fake, { model: 'llama-3.1-8b-instant', file: wavFile(1) }, { path: '/openai/v1/audio/translations' });
    expect((await errorOf(translationToChat)).message).toContain('does not support audio translations');
    expect(fake.usage(KEY, WHISPER)).toMatchObject({ requestsLastDay: 0, audioSecondsLastDay: 0 });
    // The recorded body never holds the audio itself.
    expect(fake.calls.find((c) => JSON.stringify(c.body ?? null).includes('junk.wav'))?.body).toEqual({
      model: WHISPER,
      file: { filename: 'junk.wav', bytes: 1050, contentType: 'audio/wav' },
    });
  });

  it('accepts every documented file type name (the bytes must still decode)', async () => {
    const fake = await start();
    for (const ext of ['flac', 'mp3', 'mp4', 'mpeg', 'mpga', 'm4a', 'ogg', 'wav', 'webm']) {
      const res = await upload(fake, { model: WHISPER, file: { bytes: Buffer.from('garbage'), filename: `x.${ext.toUpperCase()}` } });
      expect((await errorOf(res)).message, ext).toContain('could not process file');
    }
  });
});

describe('audio rate limiting', () => {
  const clock = () => {
    let t = 1_700_000_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('charges max(10, duration) audio seconds against ASH and answers 429 with retry-after', async () => {
    const c = clock();
    const fake = await start({ now: c.now, limits: { [WHISPER]: { ash: 25 } } });
    expect((await upload(fake, { model: WHISPER, file: wavFile(3) })).status).toBe(200);
    c.advance(60_000);
    expect((await upload(fake, { model: WHISPER, file: wavFile(1) })).status).toBe(200);
    expect(fake.usage(KEY, WHISPER)).toMatchObject({ audioSecondsLastHour: 20, audioSecondsLastDay: 20, requestsLastMinute: 1 });
    const res = await upload(fake, { model: WHISPER, file: wavFile(2) });
    expect(res.status).toBe(429);
    // The first 10 s leave the hour window 59 minutes from now.
    expect(res.headers.get('retry-after')).toBe(String(59 * 60));
    expect(res.headers.get('x-ratelimit-remaining-requests')).not.toBeNull();
    expect(await errorOf(res)).toMatchObject({
      type: 'seconds',
      code: 'rate_limit_exceeded',
      message: expect.stringContaining('seconds of audio per hour (ASH): Limit 25, Used 20, Requested 10') as unknown,
    });
    c.advance(59 * 60_000);
    expect((await upload(fake, { model: WHISPER, file: wavFile(2) })).status).toBe(200);
  });

  it('enforces ASD, 413s a file longer than the window, and counts consume({audioSeconds})', async () => {
    const fake = await start({ limits: { [WHISPER]: { asd: 30, ash: 1_000 } } });
    fake.consume(KEY, WHISPER, { audioSeconds: 15 });
    expect(fake.usage(KEY, WHISPER)).toMatchObject({ audioSecondsLastHour: 15, audioSecondsLastDay: 15, requestsLastDay: 0 });
    expect((await upload(fake, { model: WHISPER, file: wavFile(1) })).status).toBe(200);
    const day = await upload(fake, { model: WHISPER, file: wavFile(1) });
    expect(day.status).toBe(429);
    expect((await errorOf(day)).message).toContain('(ASD)');
    const huge = await upload(fake, { model: 'whisper-large-v3', file: wavFile(40) }, {});
    expect(huge.status).toBe(200); // other model, generous defaults
    const fake2 = await start({ limits: { [WHISPER]: { ash: 30 } } });
    const tooLong = await upload(fake2, { model: WHISPER, file: wavFile(31) });
    expect(tooLong.status).toBe(413);
    expect(await errorOf(tooLong)).toMatchObject({ type: 'seconds' });
  });

  it('counts requests against RPM like every endpoint', async () => {
    const fake = await start({ limits: { [WHISPER]: { rpm: 1 } } });
    expect((await upload(fake, { model: WHISPER, file: wavFile(1) })).status).toBe(200);
    const res = await upload(fake, { model: WHISPER, file: wavFile(1) }, { path: '/openai/v1/audio/translations' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    expect(await errorOf(res)).toMatchObject({ type: 'requests' });
    const error = await groq(fake)
      .audio.transcriptions.create({ file: await toFile(wavBytes(1), 'a.wav'), model: WHISPER })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Groq.RateLimitError);
  });

  it('has Groq’s documented Whisper figures in GROQ_DEV_LIMITS', async () => {
    const { GROQ_DEV_LIMITS } = await import('./server.js');
    expect(GROQ_DEV_LIMITS['whisper-large-v3']).toEqual({ rpm: 20, rpd: 2_000, ash: 7_200, asd: 28_800 });
    const fake = await start({ limits: GROQ_DEV_LIMITS });
    expect(fake.usage(KEY, WHISPER).limits).toMatchObject({ rpm: 20, rpd: 2_000, ash: 7_200, asd: 28_800 });
  });
});

describe('audio faults', () => {
  it('applies fail(model) faults per model, after validation', async () => {
    const fake = await start();
    fake.fail(WHISPER, { status: 503 }, 1);
    expect((await upload(fake, { model: 'whisper-large-v3', file: wavFile(1) })).status).toBe(200);
    expect((await upload(fake, { model: WHISPER, file: wavFile(1, 'bad.txt') })).status).toBe(400);
    const res = await upload(fake, { model: WHISPER, file: wavFile(1) });
    expect(res.status).toBe(503);
    expect(res.headers.get('x-ratelimit-limit-requests')).not.toBeNull();
    expect(await errorOf(res)).toMatchObject({ code: 'service_unavailable' });
    expect(fake.calls.at(-1)).toMatchObject({ model: WHISPER, status: 503, fault: 'status:503' });
    expect((await upload(fake, { model: WHISPER, file: wavFile(1) })).status).toBe(200);
  });

  it('maps midstream-error to a 500, midstream-reset to a cut body, and hangs on hang', async () => {
    const fake = await start();
    fake.fail(WHISPER, { kind: 'midstream-error', afterChunks: 0 }, 1);
    fake.fail(WHISPER, { kind: 'midstream-reset', afterChunks: 0 }, 1);
    fake.fail(WHISPER, { kind: 'hang' }, 1);
    const error = await groq(fake)
      .audio.transcriptions.create({ file: await toFile(wavBytes(1), 'a.wav'), model: WHISPER })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Groq.InternalServerError);
    const cut = await upload(fake, { model: WHISPER, file: wavFile(1) });
    expect(cut.status).toBe(200);
    await expect(cut.text()).rejects.toThrow();
    await expect(
      groq(fake).audio.translations.create({ file: await toFile(wavBytes(1), 'a.wav'), model: WHISPER }, { timeout: 200 }),
    ).rejects.toBeInstanceOf(Groq.APIConnectionTimeoutError);
    expect(fake.calls.map((c) => c.fault)).toEqual(['midstream-error', 'midstream-reset', 'hang']);
  });
});
