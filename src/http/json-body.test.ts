import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { checkFieldCount, readJsonObject } from './json-body.js';

/** A server whose handler reads the body with `readJsonObject`, after the whole body arrived or at once. */
let url = '';
let whenComplete = true;
const server = createServer((req, res) => {
  const read = () =>
    readJsonObject(req, 1_000).then(
      (body) => res.end(JSON.stringify({ ok: true, keys: Object.keys(body) })),
      (err: unknown) => res.end(JSON.stringify({ ok: false, status: err instanceof GatewayError ? err.status : 0 })),
    );
  if (!whenComplete) return void read();
  const wait = (): void => {
    if (req.complete) void read();
    else setImmediate(wait);
  };
  wait();
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Sends `body` chunked (no content-length), so only the bytes read can tell its size. */
function send(body: string): Promise<{ ok: boolean; status?: number; keys?: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res: IncomingMessage) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve(JSON.parse(text) as { ok: boolean }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.each([true, false])('readJsonObject (whole body received before the read starts: %s)', (complete) => {
  it('reads an object, refuses one over the limit with 413 and an empty or malformed one with 400', async () => {
    whenComplete = complete;
    expect(await send('{"model":"a","messages":[]}')).toEqual({ ok: true, keys: ['model', 'messages'] });
    expect(await send(JSON.stringify({ text: 'x'.repeat(2_000) }))).toEqual({ ok: false, status: 413 });
    expect(await send('')).toEqual({ ok: false, status: 400 });
    expect(await send('{"model": ')).toEqual({ ok: false, status: 400 });
  });
});

describe('checkFieldCount', () => {
  it('passes a body with up to the limit of top-level fields and refuses one with more, as a 400', () => {
    const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    expect(() => checkFieldCount(fields(256))).not.toThrow();
    let refused: unknown;
    try {
      checkFieldCount(fields(257));
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ status: 400, code: 'too_many_fields' });
  });
});
