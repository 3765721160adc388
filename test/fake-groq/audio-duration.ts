/** How long an uploaded audio file is, read with music-metadata the way Groq's decoder would refuse junk. */
import { parseBuffer } from 'music-metadata';

/** Groq's accepted upload types (Groq's speech-to-text documentation), by file extension, with the MIME type that helps the parser. */
export const AUDIO_TYPES: Readonly<Record<string, string>> = {
  flac: 'audio/flac',
  mp3: 'audio/mpeg',
  mp4: 'audio/mp4',
  mpeg: 'audio/mpeg',
  mpga: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  wav: 'audio/wav',
  webm: 'audio/webm',
};

/** Lower-case extension of `filename`, or '' without one. */
export function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot < 0 ? '' : filename.slice(dot + 1).toLowerCase();
}

/** Seconds of audio, or `undefined` when the bytes are not a readable file of that type. */
export async function audioDuration(bytes: Buffer, filename: string): Promise<number | undefined> {
  try {
    const metadata = await parseBuffer(bytes, { mimeType: AUDIO_TYPES[extensionOf(filename)], path: filename, size: bytes.length }, { duration: true });
    const duration = metadata.format.duration;
    return duration !== undefined && Number.isFinite(duration) && duration >= 0 ? duration : undefined;
  } catch {
    return undefined;
  }
}
