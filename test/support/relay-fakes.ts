import type { ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { expect, vi } from 'vitest';
import type { ChunkSource } from '../../src/relay/chunk-source.js';
import type { RelayOptions, StreamEnd } from '../../src/relay/sse-relay.js';

/** An upstream body served chunk by chunk; an `Error` entry fails that read. Records whether it was cancelled. */
export function upstreamChunks(chunks: Array<string | Uint8Array | Error>): ChunkSource & { cancelled: boolean } {
  let i = 0;
  return {
    cancelled: false,
    async read() {
      const next = chunks[i++];
      if (next instanceof Error) throw next;
      return typeof next === 'string' ? Buffer.from(next) : next;
    },
    cancel() {
      this.cancelled = true;
    },
  };
}

export type RecordingResponse = ServerResponse & { head?: Record<string, string>; bytes: () => Buffer; text: () => string };

/** A ServerResponse stand-in: a writable that records its head and what was written. */
export function recordingResponse(): RecordingResponse {
  const out = new PassThrough() as unknown as RecordingResponse;
  const chunks: Buffer[] = [];
  (out as unknown as PassThrough).on('data', (chunk: Buffer) => chunks.push(chunk));
  (out as unknown as { writeHead: (status: number, head: Record<string, string>) => unknown }).writeHead = (_status, head) => {
    out.head = head;
    return out;
  };
  out.bytes = () => Buffer.concat(chunks);
  out.text = () => out.bytes().toString('utf8');
  return out;
}

/**
 * Pipes a stream whose upstream stalls, closes the caller's connection, and checks the relay's answer:
 * the upstream call and its body are cancelled and the end is reported once, as the caller's.
 */
export async function expectCancelWhenCallerLeaves(
  pipe: (out: ServerResponse, head: Record<string, string>, options: RelayOptions) => Promise<void>,
  first: Uint8Array,
): Promise<void> {
  const out = recordingResponse();
  const ends: StreamEnd[] = [];
  const cancelUpstream = vi.fn();
  const source = upstreamChunks([]);
  let release!: () => void;
  const stalled: ChunkSource = { read: () => new Promise((resolve) => (release = () => resolve(undefined))), cancel: () => source.cancel() };
  const piping = pipe(out, {}, { first, source: stalled, cancelUpstream, onEnd: (e) => ends.push(e) });
  out.destroy();
  await new Promise((r) => setImmediate(r));
  release();
  await piping;
  expect(cancelUpstream).toHaveBeenCalledOnce();
  expect(source.cancelled).toBe(true);
  expect(ends).toEqual([{ kind: 'client_cancelled' }]);
}
