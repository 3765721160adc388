import { open } from 'node:fs/promises';
import type { IAudioMetadata } from 'music-metadata';
import { GatewayError, badRequest, isSystemError } from '../errors.js';
import { AUDIO_FORMATS, audioFormatOf, type AudioFormat } from './formats.js';

/** Loaded with the first audio request: a gateway that never transcribes does not carry its ~15 MB of parsers. */
let parsers: Promise<typeof import('music-metadata')> | undefined;
const musicMetadata = () => (parsers ??= import('music-metadata'));

/** Groq bills every transcription or translation as at least this long (Groq's speech-to-text documentation). */
export const MIN_BILLED_AUDIO_SECONDS = 10;

/**
 * The bitrate assumed for a file whose container tells neither its duration nor its bitrate (a browser's
 * live WebM recording): speech-quality Opus. Assuming less would book more than the audio is; assuming
 * music bitrates would book a fraction of it and let Groq's own ASH limit answer 429 first.
 */
export const FALLBACK_BITRATE_BPS = 32_000;

/** Read-ahead for the metadata parser: frame-by-frame scans (VBR mp3 without a Xing header) read from it. */
const READ_CHUNK_BYTES = 256 * 1024;

export interface AudioFacts {
  format: AudioFormat;
  durationSeconds: number;
  /** True when the container gave the duration; false when it was estimated from the bitrate or size. */
  measured: boolean;
}

export interface AudioFileRef {
  path: string;
  filename: string;
  contentType: string;
  bytes: number;
}

/**
 * What an uploaded audio file is and how long it plays. The name (or, without an extension, the content
 * type) must be one of Groq's supported types, else 400 `unsupported_file_type`. Then the real container is
 * read with music-metadata, recognised by its content, never by the name: a file it cannot read as audio at
 * all (text renamed to .mp3, an image) is 400 `invalid_audio_file` (an empty one 400 `empty_file`). A readable container
 * without a duration (e.g. a WebM recorded live, like a browser's MediaRecorder writes) gets an estimate:
 * size over the container's bitrate, or over 32 kbit/s when that is unknown too, with `measured: false`.
 */
export async function inspectAudio(file: AudioFileRef): Promise<AudioFacts> {
  const format = audioFormatOf(file.filename, file.contentType);
  if (format === undefined) {
    const named = file.filename === '' ? `content type '${file.contentType}'` : `'${file.filename}'`;
    throw new GatewayError(400, `Unsupported file type ${named}. Supported types: ${AUDIO_FORMATS.join(', ')}`, {
      code: 'unsupported_file_type',
      param: 'file',
    });
  }

  const handle = await open(file.path, 'r');
  let size: number;
  let media: IAudioMetadata['format'];
  try {
    size = (await handle.stat()).size;
    if (size === 0) throw badRequest('The uploaded file is empty', 'empty_file', 'file');
    // A stream without a `path` (unlike fs.createReadStream's) makes music-metadata detect the type from the
    // bytes; parseFile(path) would pick the parser from the extension and "read" a text file named .mp3.
    // Buffered reads also keep frame-by-frame scans fast, where parseFile reads each frame header separately.
    const stream = handle.createReadStream({ autoClose: false, highWaterMark: READ_CHUNK_BYTES });
    try {
      const { parseStream } = await musicMetadata();
      media = (await parseStream(stream, { size }, { duration: true, skipCovers: true })).format;
    } catch (err) {
      if (isSystemError(err)) throw err;
      throw invalidAudio(file.filename, (err as Error).message);
    } finally {
      stream.destroy();
    }
  } finally {
    await handle.close();
  }

  if (media.container === undefined && media.codec === undefined) throw invalidAudio(file.filename, 'no audio container found');
  if (media.hasAudio === false) throw invalidAudio(file.filename, 'it holds no audio track');

  const duration = media.duration;
  if (duration !== undefined && Number.isFinite(duration) && duration > 0) return { format, durationSeconds: duration, measured: true };
  const bitrate = media.bitrate !== undefined && Number.isFinite(media.bitrate) && media.bitrate > 0 ? media.bitrate : FALLBACK_BITRATE_BPS;
  return { format, durationSeconds: (size * 8) / bitrate, measured: false };
}

/**
 * The seconds Groq bills for audio of this length: rounded up to the hundredth of a second, at least
 * {@link MIN_BILLED_AUDIO_SECONDS}.
 */
export function billedAudioSeconds(durationSeconds: number): number {
  if (!Number.isFinite(durationSeconds) || durationSeconds < 0) {
    throw new RangeError(`billedAudioSeconds: duration must be a finite non-negative number, got ${durationSeconds}`);
  }
  // Snap away binary noise first, so 1.1 s (110.00000000000001 hundredths) bills as 1.10 and not 1.11.
  const hundredths = Math.ceil(Math.round(durationSeconds * 100 * 1e6) / 1e6);
  return Math.max(MIN_BILLED_AUDIO_SECONDS, hundredths / 100);
}

function invalidAudio(filename: string, reason: string): GatewayError {
  const name = filename === '' ? 'The uploaded file' : `'${filename}'`;
  return badRequest(`${name} is not a readable audio file (${reason})`, 'invalid_audio_file', 'file');
}
