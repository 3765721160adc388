import { describe, expect, it } from 'vitest';
import { AUDIO_FORMATS, AUDIO_MIME_TYPES, audioFormatOf, isAudioFormat, uploadNameFor } from './formats.js';

describe('AUDIO_FORMATS', () => {
  it('is the list of supported types in Groq\'s speech-to-text documentation', () => {
    expect([...AUDIO_FORMATS]).toEqual(['flac', 'mp3', 'mp4', 'mpeg', 'mpga', 'm4a', 'ogg', 'wav', 'webm']);
  });

  it('has MIME types for every format, the canonical one first', () => {
    for (const format of AUDIO_FORMATS) expect(AUDIO_MIME_TYPES[format][0]).toMatch(/^(audio|video)\//);
    expect(AUDIO_MIME_TYPES.mp3[0]).toBe('audio/mpeg');
    expect(AUDIO_MIME_TYPES.wav[0]).toBe('audio/wav');
    expect(Object.keys(AUDIO_MIME_TYPES).sort()).toEqual([...AUDIO_FORMATS].sort());
  });

  it('isAudioFormat accepts exactly the listed names', () => {
    expect(isAudioFormat('m4a')).toBe(true);
    expect(isAudioFormat('aac')).toBe(false);
    expect(isAudioFormat('MP3')).toBe(false);
  });
});

describe('audioFormatOf', () => {
  it('takes the format from the extension, case-insensitively', () => {
    expect(audioFormatOf('talk.mp3', 'audio/mpeg')).toBe('mp3');
    expect(audioFormatOf('Talk.FLAC', undefined)).toBe('flac');
    expect(audioFormatOf('a.b.c.webm', 'video/webm')).toBe('webm');
    for (const format of AUDIO_FORMATS) expect(audioFormatOf(`x.${format}`, 'application/octet-stream')).toBe(format);
  });

  it('lets the extension win over the content type, as Groq judges by the name', () => {
    expect(audioFormatOf('talk.wav', 'audio/mpeg')).toBe('wav');
    expect(audioFormatOf('talk.txt', 'audio/mpeg')).toBeUndefined();
    expect(audioFormatOf('talk.aac', 'audio/mp4')).toBeUndefined();
  });

  it('falls back to the content type only when the name has no extension', () => {
    expect(audioFormatOf('blob', 'audio/mpeg')).toBe('mp3');
    expect(audioFormatOf('blob', 'audio/x-m4a')).toBe('m4a');
    expect(audioFormatOf('blob', 'audio/mp4')).toBe('m4a');
    expect(audioFormatOf('blob', 'video/mp4')).toBe('mp4');
    expect(audioFormatOf('', 'Audio/Ogg; codecs=opus')).toBe('ogg');
    expect(audioFormatOf('recording', 'audio/webm;codecs=opus')).toBe('webm');
    expect(audioFormatOf('', 'audio/x-wav')).toBe('wav');
    expect(audioFormatOf('blob', 'application/octet-stream')).toBeUndefined();
    expect(audioFormatOf('blob', undefined)).toBeUndefined();
    expect(audioFormatOf('blob', '')).toBeUndefined();
  });

  it('looks only at the last path segment', () => {
    expect(audioFormatOf('dir.mp3/recording', 'audio/wav')).toBe('wav');
    expect(audioFormatOf('C:\\dir.ogg\\talk', undefined)).toBeUndefined();
  });
});

describe('uploadNameFor', () => {
  it("adds the format's extension only to a name without one", () => {
    expect(uploadNameFor('blob', 'webm')).toBe('blob.webm');
    expect(uploadNameFor('', 'wav')).toBe('audio.wav');
    expect(uploadNameFor('talk.MP3', 'mp3')).toBe('talk.MP3');
  });
});
