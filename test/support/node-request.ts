import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/**
 * The Node request @hono/node-server would hand the gateway for `request`: its headers, and its body as a
 * Node stream read only when the reader asks (so a body never read stays unlocked). Lets tests build
 * bodies with FormData and web streams.
 */
export function nodeRequest(request: Request): IncomingMessage {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const body = new Readable({
    read() {
      reader ??= request.body?.getReader();
      if (reader === undefined) {
        this.push(null);
        return;
      }
      reader.read().then(
        ({ value, done }) => void this.push(done ? null : value),
        (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
      );
    },
    destroy(err, callback) {
      void reader?.cancel().catch(() => undefined);
      callback(err);
    },
  });
  return Object.assign(body, { headers: Object.fromEntries(request.headers) }) as unknown as IncomingMessage;
}
