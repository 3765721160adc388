/** The "speech" the fake synthesises: silence whose length grows with the input, in the asked format. */

export const SPEECH_FORMATS = ['flac', 'mp3', 'mulaw', 'ogg', 'wav'] as const;
export type SpeechFormat = (typeof SPEECH_FORMATS)[number];

export const SPEECH_CONTENT_TYPES: Readonly<Record<SpeechFormat, string>> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  mulaw: 'audio/basic',
};

/** Seconds of audio per input character, and the cap, so a test can predict the WAV's length. */
export const SECONDS_PER_CHARACTER = 0.05;
export const MAX_SPEECH_SECONDS = 30;
export const DEFAULT_SPEECH_SAMPLE_RATE = 8_000;
/** The body is written in this many pieces (fewer when tiny), so a gateway has to stream it. */
export const SPEECH_CHUNKS = 8;

export const speechSeconds = (input: string): number => Math.min(MAX_SPEECH_SECONDS, input.length * SECONDS_PER_CHARACTER);

/** A RIFF/WAVE file of 16-bit mono PCM silence (also the test audio of test/support/wav.ts). */
export function silentWav(seconds: number, sampleRate: number): Buffer {
  const dataBytes = Math.round(seconds * sampleRate) * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16); // PCM fmt chunk size
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28); // byte rate
  out.writeUInt16LE(2, 32); // block align
  out.writeUInt16LE(16, 34); // bits per sample
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  return out;
}

const MAGIC: Readonly<Record<Exclude<SpeechFormat, 'wav' | 'mulaw'>, string>> = { mp3: 'ID3', flac: 'fLaC', ogg: 'OggS' };

/**
 * WAV is real silence; mulaw is raw 8-bit mu-law silence (0xFF) at the sample rate; the compressed
 * formats are deterministic placeholder bytes (their magic number, then zeros at ~32 kbit/s).
 */
export function speechBytes(input: string, format: SpeechFormat, sampleRate: number): Buffer {
  const seconds = speechSeconds(input);
  if (format === 'wav') return silentWav(seconds, sampleRate);
  if (format === 'mulaw') return Buffer.alloc(Math.max(1, Math.round(seconds * sampleRate)), 0xff);
  const out = Buffer.alloc(Math.max(64, Math.round(seconds * 4_000)));
  out.write(MAGIC[format], 0, 'ascii');
  return out;
}

export function splitChunks(bytes: Buffer, count = SPEECH_CHUNKS): Buffer[] {
  const size = Math.max(1, Math.ceil(bytes.length / count));
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}
