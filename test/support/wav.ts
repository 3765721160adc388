/** Test audio: a RIFF/WAVE file of silent 16-bit mono PCM, for upload tests (Whisper endpoints). */

/** `seconds` of silence at `sampleRate` Hz, 16-bit mono, with a 44-byte canonical WAV header. */
export function wavBytes(seconds: number, sampleRate = 8000): Buffer {
  if (!(seconds >= 0) || !Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new RangeError(`wavBytes: need seconds >= 0 and a positive integer sampleRate, got ${seconds}, ${sampleRate}`);
  }
  const dataBytes = Math.round(seconds * sampleRate) * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // channels
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  return wav;
}
