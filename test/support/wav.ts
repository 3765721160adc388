/** Test audio: a RIFF/WAVE file of silent 16-bit mono PCM, for upload tests (Whisper endpoints). */
import { silentWav } from '../fake-groq/speech-audio.js';

/** `seconds` of silence at `sampleRate` Hz, 16-bit mono, with a 44-byte canonical WAV header. */
export function wavBytes(seconds: number, sampleRate = 8000): Buffer {
  if (!(seconds >= 0) || !Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new RangeError(`wavBytes: need seconds >= 0 and a positive integer sampleRate, got ${seconds}, ${sampleRate}`);
  }
  return silentWav(seconds, sampleRate);
}
