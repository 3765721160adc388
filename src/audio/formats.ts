/**
 * The audio file types Groq's speech-to-text endpoints accept (Groq's speech-to-text documentation: "Supported types: flac, mp3, mp4,
 * mpeg, mpga, m4a, ogg, wav, webm") and the MIME types clients send for them.
 */
export const AUDIO_FORMATS = ['flac', 'mp3', 'mp4', 'mpeg', 'mpga', 'm4a', 'ogg', 'wav', 'webm'] as const;

export type AudioFormat = (typeof AUDIO_FORMATS)[number];

/** MIME types per format; the first one is the canonical type for that format. */
export const AUDIO_MIME_TYPES: Readonly<Record<AudioFormat, readonly string[]>> = Object.freeze({
  flac: ['audio/flac', 'audio/x-flac'],
  mp3: ['audio/mpeg', 'audio/mp3', 'audio/x-mp3', 'audio/mpeg3', 'audio/x-mpeg-3', 'audio/mpa'],
  mp4: ['audio/mp4', 'video/mp4', 'application/mp4'],
  mpeg: ['audio/mpeg', 'video/mpeg'],
  mpga: ['audio/mpeg', 'audio/mpga'],
  m4a: ['audio/mp4', 'audio/x-m4a', 'audio/m4a'],
  ogg: ['audio/ogg', 'audio/opus', 'application/ogg', 'video/ogg'],
  wav: ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'],
  webm: ['audio/webm', 'video/webm'],
});

/** When only a MIME type is known, the format it most likely means (e.g. audio/mpeg is an mp3, not an mpga). */
const FORMAT_BY_MIME_TYPE: ReadonlyMap<string, AudioFormat> = (() => {
  const preference: readonly AudioFormat[] = ['mp3', 'm4a', 'wav', 'ogg', 'flac', 'webm', 'mp4', 'mpeg', 'mpga'];
  const map = new Map<string, AudioFormat>();
  for (const format of preference) {
    for (const mime of AUDIO_MIME_TYPES[format]) if (!map.has(mime)) map.set(mime, format);
  }
  return map;
})();

export function isAudioFormat(value: string): value is AudioFormat {
  return (AUDIO_FORMATS as readonly string[]).includes(value);
}

/**
 * The format of an upload. The file name's extension decides when there is one, as it does for Groq, which
 * judges the file by its name: `talk.mp3` is mp3 whatever content type the client sent, and `talk.txt` is no
 * audio format even when sent as `audio/mpeg`. Only a name without an extension (e.g. `blob`) falls back to
 * the content type (parameters like `; codecs=opus` ignored). Returns undefined when neither names an
 * allowed format.
 */
export function audioFormatOf(filename: string, contentType: string | undefined): AudioFormat | undefined {
  const extension = extensionOf(filename);
  if (extension !== '') return isAudioFormat(extension) ? extension : undefined;
  if (contentType === undefined) return undefined;
  const mime = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return FORMAT_BY_MIME_TYPE.get(mime);
}

/**
 * The name to send upstream: the caller's, with the format's extension added when it has none (Groq
 * judges the type by the name, so a `blob` accepted here by its content type would be refused there).
 */
export function uploadNameFor(filename: string, format: AudioFormat): string {
  return extensionOf(filename) === '' ? `${filename || 'audio'}.${format}` : filename;
}

/** The lower-cased extension of a file name without the dot, or '' when it has none. */
function extensionOf(filename: string): string {
  const base = filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot === -1 ? '' : base.slice(dot + 1).trim().toLowerCase();
}
