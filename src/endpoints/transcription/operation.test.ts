import { describe, expect, it } from 'vitest';
import { deploymentStub as deployment } from '../../../test/support/deployment-stub.js';
import { reportedDuration, uploadUnfit } from './operation.js';

const MB = 1024 * 1024;

const bytes = (text: string) => new TextEncoder().encode(text);

describe('uploadUnfit', () => {
  const whisper = deployment({ id: 'whisper-large-v3', maxFileBytes: { free: 25 * MB, developer: 100 * MB } });

  it('passes over a deployment whose plan limit the file exceeds, naming sizes and plan', () => {
    expect(uploadUnfit(whisper, 25 * MB, 'free')).toBeUndefined();
    expect(uploadUnfit(whisper, 25 * MB + 1, 'free')).toEqual({ reason: expect.stringMatching(/25\.0 MB; whisper-large-v3 takes at most 25 MB on the free plan/), param: 'file' });
    expect(uploadUnfit(whisper, 60 * MB, 'developer')).toBeUndefined();
  });

  it('does not judge models the catalogue has no limit for', () => {
    expect(uploadUnfit(deployment(undefined), 500 * MB, 'free')).toBeUndefined();
  });
});

describe('reportedDuration', () => {
  it('reads the duration of a verbose_json answer, even after a transcript that quotes the word', () => {
    expect(reportedDuration(bytes('{"task":"transcribe","text":"the \\"duration\\": 99","duration":12.5,"segments":[]}'))).toBe(12.5);
  });

  it('reads only the answer when it is a view into a larger buffer (a chunk of a socket read)', () => {
    const read = Buffer.from('HTTP/1.1 200 OK\r\n\r\n{"duration":7,"text":"hi"}{"duration":99}');
    const start = read.indexOf('{');
    expect(reportedDuration(read.subarray(start, read.indexOf('}') + 1))).toBe(7);
  });

  it('is undefined for json without it and for text answers, whatever they say', () => {
    expect(reportedDuration(bytes('{"text":"hello"}'))).toBeUndefined();
    expect(reportedDuration(bytes('he said "duration": 99'))).toBeUndefined();
  });
});
