import { PoolResponse } from '../upstream/pool-fetch.js';

/** The rest of an upstream body, one chunk at a time; `undefined` at its end. */
export interface ChunkSource {
  read(): Promise<Uint8Array | undefined>;
  /**
   * All that is left of the body at once, when the whole of it has arrived already (nothing more is then
   * read); `undefined` otherwise, or where the source cannot tell.
   */
  readRest?(): Uint8Array | undefined;
  /** Stops reading and frees the connection's body. */
  cancel(): void;
}

/**
 * Reads a response body without converting it: the pool's own queue when the response came from the
 * pool (no stream machinery per chunk), else the web stream any other `fetch` returns.
 */
export function chunkSourceOf(response: Response): ChunkSource {
  if (response instanceof PoolResponse) return response.call;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  return {
    read: async () => {
      const { value, done } = await reader.read();
      return done ? undefined : value;
    },
    cancel: () => void reader.cancel().catch(() => undefined),
  };
}
