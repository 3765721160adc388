import type { Readable } from 'node:stream';
import { PoolResponse } from '../upstream/pool-fetch.js';

/** The rest of an upstream body, one chunk at a time; `undefined` at its end. */
export interface ChunkSource {
  read(): Promise<Uint8Array | undefined>;
  /** Stops reading and frees the connection's body. */
  cancel(): void;
}

/**
 * Reads a response body without converting it: the pool's Node stream when the response came from the
 * pool (no web-stream machinery per chunk), else the web stream any other `fetch` returns.
 */
export function chunkSourceOf(response: Response): ChunkSource {
  if (response instanceof PoolResponse) return nodeChunkSource(response.nodeBody);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  return {
    read: async () => {
      const { value, done } = await reader.read();
      return done ? undefined : value;
    },
    cancel: () => void reader.cancel().catch(() => undefined),
  };
}

/**
 * A Node stream read on demand in paused mode (`readable` and `read()`), so the upstream is read only as
 * fast as the caller takes bytes. What it buffered comes out in one piece. An async iterator does the
 * same with an async generator and end-of-stream listeners per body, and a promise job per chunk more.
 * An error (or the stream closing before its end) fails the next read, buffered bytes or not, as the
 * iterator would.
 */
function nodeChunkSource(body: Readable): ChunkSource {
  let ended = false;
  let failed: unknown;
  let waiting: { resolve(chunk: Uint8Array | undefined): void; reject(err: unknown): void } | undefined;
  const wake = (): void => {
    const waiter = waiting;
    if (waiter === undefined) return;
    if (failed !== undefined) {
      waiting = undefined;
      waiter.reject(failed);
      return;
    }
    const chunk = body.read() as Uint8Array | null;
    if (chunk !== null) {
      waiting = undefined;
      waiter.resolve(chunk);
    } else if (ended) {
      waiting = undefined;
      waiter.resolve(undefined);
    }
  };
  body.on('readable', wake);
  body.once('end', () => {
    ended = true;
    wake();
  });
  body.once('error', (err: unknown) => {
    failed ??= err;
    wake();
  });
  body.once('close', () => {
    if (!ended) failed ??= Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    wake();
  });
  return {
    read: () => {
      if (failed !== undefined) return Promise.reject(failed);
      const chunk = body.read() as Uint8Array | null;
      if (chunk !== null) return Promise.resolve(chunk);
      if (ended) return Promise.resolve(undefined);
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
      });
    },
    cancel: () => body.destroy(),
  };
}
