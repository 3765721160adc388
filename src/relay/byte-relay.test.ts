import { describe, expect, it } from 'vitest';
import { pipeBytes } from './byte-relay.js';
import type { StreamEnd } from './sse-relay.js';
import { expectCancelWhenCallerLeaves, recordingResponse as fakeResponse, upstreamChunks as upstream } from '../../test/support/relay-fakes.js';

const audio = [Buffer.from('RIFF'), Buffer.from([0, 1, 2, 0xff]), Buffer.from('WAVEdata')];

describe('pipeBytes', () => {
  it('writes the head and every byte unchanged, then ends', async () => {
    const out = fakeResponse();
    const ends: StreamEnd[] = [];
    await pipeBytes(out, { 'content-type': 'audio/wav' }, { first: audio[0]!, source: upstream(audio.slice(1)), cancelUpstream: () => {}, onEnd: (e) => ends.push(e) });
    expect(out.head).toEqual({ 'content-type': 'audio/wav' });
    expect(out.bytes().equals(Buffer.concat(audio))).toBe(true);
    expect(ends).toEqual([{ kind: 'complete' }]);
  });

  it('cuts the connection when the upstream fails after the first byte: audio cannot carry an error', async () => {
    const out = fakeResponse();
    const ends: StreamEnd[] = [];
    await pipeBytes(out, {}, { first: audio[0]!, source: upstream([new Error('reset')]), cancelUpstream: () => {}, onEnd: (e) => ends.push(e) });
    expect(out.destroyed).toBe(true);
    expect(out.writableEnded).toBe(false);
    expect(ends).toEqual([expect.objectContaining({ kind: 'upstream_error' })]);
  });

  it('cancels the upstream when the caller leaves first', async () => {
    await expectCancelWhenCallerLeaves(pipeBytes, audio[0]!);
  });
});
