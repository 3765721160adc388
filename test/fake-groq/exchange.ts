/**
 * One request/response pair: keeps the recorded call in step with what actually went on the wire and
 * turns "client went away" into an AbortSignal that every wait in the handlers listens to.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { send, sendJson, writeFrame } from './http-util.js';
import type { MutableCall } from './types.js';

export class Exchange {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly call: MutableCall,
    readonly requestId: string,
  ) {
    // 'close' also fires after a normal finish; skipping the abort then saves a DOMException per request.
    res.once('close', () => {
      if (!res.writableFinished) this.controller.abort();
    });
    // Errors on a socket the client dropped are expected; without listeners they would crash the process.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.call.status = status;
    sendJson(this.res, status, { ...headers, 'x-request-id': this.requestId }, body);
  }

  raw(status: number, body: string, headers: Record<string, string>): void {
    this.call.status = status;
    send(this.res, status, { 'content-type': 'application/json', ...headers, 'x-request-id': this.requestId }, body);
  }

  /** `flush: false` when the whole stream follows at once, to save a write. */
  startStream(headers: Record<string, string>, flush = true): void {
    this.call.status = 200;
    this.res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-request-id': this.requestId,
    });
    // Headers should reach the client now, as Groq's do, not with the first frame.
    if (flush) this.res.flushHeaders();
  }

  frame(frame: string): Promise<void> {
    return writeFrame(this.res, frame, this.signal);
  }

  /** A 200 whose body follows in `chunk()` writes: no content-length, so node sends it chunked. */
  startChunked(headers: Record<string, string>): void {
    this.call.status = 200;
    this.res.writeHead(200, { ...headers, 'x-request-id': this.requestId });
    this.res.flushHeaders();
  }

  chunk(bytes: Uint8Array): Promise<void> {
    return writeFrame(this.res, bytes, this.signal);
  }

  end(last?: string): void {
    if (!this.res.destroyed) this.res.end(last);
  }

  /** Drops the TCP connection before (or instead of) a proper HTTP ending. */
  destroy(): void {
    this.req.socket.destroy();
  }

  /** Like destroy, but only once what was already written has reached the kernel, so the client sees it. */
  destroyAfterFlush(): void {
    // An empty write queues behind earlier ones; its callback means they were all handed to the socket.
    this.res.write('', () => this.destroy());
  }

  /** Status, headers and the first half of `body` (with the full content-length), then a dropped connection. */
  truncated(status: number, body: string, headers: Record<string, string>): void {
    this.call.status = status;
    const bytes = Buffer.from(body);
    this.res.writeHead(status, { 'content-type': 'application/json', ...headers, 'content-length': String(bytes.length), 'x-request-id': this.requestId });
    this.res.write(bytes.subarray(0, bytes.length >> 1));
    this.destroyAfterFlush();
  }
}
