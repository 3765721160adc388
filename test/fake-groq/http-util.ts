/** Small node:http helpers that never throw on a client that has gone away. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class BodyTooLarge extends Error {}

/** Events rather than `for await`: the async iterator costs measurably in benchmark mode. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        reject(new BodyTooLarge(`request body larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks));
    };
    const onAbort = (): void => {
      cleanup();
      reject(new Error('client went away'));
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onAbort);
    req.once('close', onAbort);
  });
}

/** The gateway's own wait, so the fake and the bench pause the same way. */
export { sleep } from '../../src/routing/timed-signal.js';

/** Resolves only when `signal` aborts: the "hang" fault. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  send(res, status, { ...headers, 'content-type': 'application/json' }, JSON.stringify(body));
}

/** Writes one SSE frame (or body chunk), honouring back-pressure so a slow reader does not buffer the whole stream. */
export async function writeFrame(res: ServerResponse, frame: string | Uint8Array, signal: AbortSignal): Promise<void> {
  if (signal.aborted || res.destroyed) return;
  if (res.write(frame)) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
