import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeRequest } from '../../test/support/node-request.js';
import { GatewayError } from '../errors.js';
import { FALLBACK_BITRATE_BPS, MIN_BILLED_AUDIO_SECONDS, billedAudioSeconds, inspectAudio, type AudioFileRef } from './inspect.js';
import { receiveUpload } from '../http/multipart-upload.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/audio/', import.meta.url));

async function fixture(name: string, contentType = 'application/octet-stream'): Promise<AudioFileRef> {
  const filePath = path.join(FIXTURES, name);
  return { path: filePath, filename: name, contentType, bytes: (await stat(filePath)).size };
}

async function expectGatewayError(promise: Promise<unknown>, status: number, code: string): Promise<GatewayError> {
  const err = await promise.then(
    () => new Error('expected the file to be refused'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  expect({ status: (err as GatewayError).status, code: (err as GatewayError).code, param: (err as GatewayError).param }).toEqual({ status, code, param: 'file' });
  return err as GatewayError;
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'inspect-audio-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('inspectAudio on the fixtures', () => {
  const cases = ['wav', 'mp3', 'flac', 'ogg', 'm4a', 'webm'].flatMap((format) => [3, 15].map((seconds) => ({ format, seconds })));

  it.each(cases)('measures tone-$seconds s.$format within 0.1 s', async ({ format, seconds }) => {
    const facts = await inspectAudio(await fixture(`tone-${seconds}s.${format}`));
    expect(facts.format).toBe(format);
    expect(facts.measured).toBe(true);
    expect(Math.abs(facts.durationSeconds - seconds)).toBeLessThanOrEqual(0.1);
  });

  it('estimates a WebM without a duration (as MediaRecorder writes) from its size at 32 kbit/s', async () => {
    const file = await fixture('tone-15s-live.webm', 'audio/webm');
    const facts = await inspectAudio(file);
    expect(facts).toEqual({ format: 'webm', durationSeconds: (file.bytes * 8) / FALLBACK_BITRATE_BPS, measured: false });
  });

  it('refuses a text file named .mp3', async () => {
    const err = await expectGatewayError(inspectAudio(await fixture('not-audio.mp3', 'audio/mpeg')), 400, 'invalid_audio_file');
    expect(err.message).toContain('not-audio.mp3');
  });

  it('refuses random bytes named .mp3 (which a parser picked by extension would take for MPEG frames)', async () => {
    const filePath = path.join(scratch, 'noise.mp3');
    // Deterministic "noise" that happens to contain MPEG frame sync patterns.
    const noise = Buffer.alloc(3000);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + ((i * i) % 251)) & 0xff;
    noise.writeUInt32BE(0xfff3_6404, 100);
    await writeFile(filePath, noise);
    await expectGatewayError(inspectAudio({ path: filePath, filename: 'noise.mp3', contentType: 'audio/mpeg', bytes: noise.length }), 400, 'invalid_audio_file');
  });

  it('refuses an empty file', async () => {
    const filePath = path.join(scratch, 'empty.wav');
    await writeFile(filePath, '');
    await expectGatewayError(inspectAudio({ path: filePath, filename: 'empty.wav', contentType: 'audio/wav', bytes: 0 }), 400, 'empty_file');
  });

  it('refuses a file type Groq does not take, naming the allowed ones, before reading it', async () => {
    const err = await expectGatewayError(
      inspectAudio({ path: path.join(scratch, 'does-not-exist'), filename: 'notes.txt', contentType: 'audio/mpeg', bytes: 10 }),
      400,
      'unsupported_file_type',
    );
    expect(err.message).toContain("'notes.txt'");
    expect(err.message).toContain('flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav, webm');
    await expectGatewayError(
      inspectAudio({ path: path.join(scratch, 'does-not-exist'), filename: 'blob', contentType: 'application/octet-stream', bytes: 10 }),
      400,
      'unsupported_file_type',
    );
  });

  it('takes the format from the content type when the name has no extension', async () => {
    const file = await fixture('tone-3s.ogg');
    const facts = await inspectAudio({ ...file, filename: 'blob', contentType: 'audio/ogg; codecs=vorbis' });
    expect(facts.format).toBe('ogg');
    expect(facts.durationSeconds).toBeCloseTo(3, 1);
  });

  it('reads the real container whatever the name says', async () => {
    // A WAV named .mp3: the declared format stays mp3 (that is the name Groq sees); the duration is the WAV's.
    const facts = await inspectAudio({ ...(await fixture('tone-15s.wav')), filename: 'misnamed.mp3' });
    expect(facts).toEqual({ format: 'mp3', durationSeconds: 15, measured: true });
  });

  it('measures the temp file receiveUpload wrote (no extension on disk)', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'tone-15s.m4a'));
    const form = new FormData();
    form.append('file', new File([new Uint8Array(bytes)], 'voice memo.m4a', { type: 'audio/x-m4a' }));
    const upload = await receiveUpload(nodeRequest(new Request('http://gateway.test/', { method: 'POST', body: form })), { maxFileBytes: 1 << 20 }, scratch);
    try {
      expect(path.extname(upload.file.path)).toBe('');
      const facts = await inspectAudio(upload.file);
      expect(facts.format).toBe('m4a');
      expect(facts.measured).toBe(true);
      expect(Math.abs(facts.durationSeconds - 15)).toBeLessThanOrEqual(0.1);
    } finally {
      await upload.dispose();
    }
  });

  it('works on a copy of a fixture under another name', async () => {
    const copy = path.join(scratch, 'copy-of-flac');
    await copyFile(path.join(FIXTURES, 'tone-3s.flac'), copy);
    const facts = await inspectAudio({ path: copy, filename: 'x.flac', contentType: 'audio/flac', bytes: (await stat(copy)).size });
    expect(facts).toEqual({ format: 'flac', durationSeconds: 3, measured: true });
  });
});

describe('billedAudioSeconds', () => {
  it('has a ten-second minimum', () => {
    expect(MIN_BILLED_AUDIO_SECONDS).toBe(10);
  });

  // 12.3 * 100 is 1230.0000000000002 and 10.1 * 100 is 1009.9999999999999 in floating point.
  it.each([
    ['bills at least the minimum', [0, 1e-9, 3, 9.999, 10], [10, 10, 10, 10, 10]],
    ['rounds up to the hundredth of a second above the minimum', [10.001, 10.01, 10.011, 15.048, 3600], [10.01, 10.01, 10.02, 15.05, 3600]],
    ['is not pushed up a hundredth by binary noise', [12.3, 10.1, 15.29, 0.1 + 0.2 + 20], [12.3, 10.1, 15.29, 20.3]],
  ])('%s', (_label, seconds, billed) => {
    expect(seconds.map((s) => billedAudioSeconds(s))).toEqual(billed);
  });

  it('refuses a duration that is not a finite non-negative number', () => {
    expect(() => billedAudioSeconds(Number.NaN)).toThrow(RangeError);
    expect(() => billedAudioSeconds(-1)).toThrow(RangeError);
    expect(() => billedAudioSeconds(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
