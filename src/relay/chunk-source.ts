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
  if (response instanceof PoolResponse) {
    const body = response.nodeBody;
    const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    return {
      read: async () => {
        const { value, done } = await chunks.next();
        return done === true ? undefined : value;
      },
      cancel: () => body.destroy(),
    };
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  return {
    read: async () => {
      const { value, done } = await reader.read();
      return done ? undefined : value;
    },
    cancel: () => void reader.cancel().catch(() => undefined),
  };
}
