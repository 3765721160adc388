import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkSourceOf } from '../relay/chunk-source.js';
import { poolFetch } from './pool-fetch.js';

interface Received {
  method: string;
  contentType: string | undefined;
  body: Buffer;
}

let server: Server;
let base: string;
const agent = new Agent();
const fetch = poolFetch(agent);
let last: Received | undefined;
let connections = 0;
/** Bodies the `/slow` route has started and not finished: a test ends them or cuts them. */
const slow: Array<import('node:http').ServerResponse> = [];
const BIG = Buffer.alloc(1_000_000);
for (let i = 0; i < BIG.length; i++) BIG[i] = i % 251;
const dir = mkdtempSync(join(tmpdir(), 'pool-fetch-'));

beforeAll(async () => {
  server = createServer(async (req: IncomingMessage, res) => {
    if (req.url === '/slow') {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      slow.push(res);
      return;
    }
    if (req.url === '/hang') {
      req.resume();
      return;
    }
    if (req.url === '/big') {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-twice': 'a' }).end(BIG);
      return;
    }
    if (req.url === '/huge-error') {
      req.resume();
      // Far more than any error body: what a broken or hostile upstream may send.
      res.writeHead(500, { 'content-type': 'application/json' });
      res.write('{"error":{"message":"');
      const piece = Buffer.alloc(64 * 1024, 'x');
      let left = 64;
      const more = (): void => {
        while (left > 0 && !res.destroyed) {
          left--;
          if (!res.write(piece)) return void res.once('drain', more);
        }
        if (!res.destroyed) res.end('"}}');
      };
      more();
      return;
    }
    if (req.url === '/bom') {
      req.resume();
      res.writeHead(200, [['content-type', 'text/plain'], ['x-twice', 'a'], ['X-Twice', 'b']]);
      res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo')]));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    last = { method: req.method ?? '', contentType: req.headers['content-type'], body: Buffer.concat(chunks) };
    res.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining-requests': '7' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on('connection', () => connections++);
});

afterAll(async () => {
  await agent.close();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** `readRest()` once the body has all arrived: asked every 5 ms, for at most 5 s. */
async function restOnceComplete(source: ReturnType<typeof chunkSourceOf>): Promise<Uint8Array> {
  for (let tries = 0; tries < 1000; tries++) {
    const rest = source.readRest?.();
    if (rest !== undefined) return rest;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('the body never completed');
}

describe('poolFetch', () => {
  it('sends a JSON string body and exposes status, headers and body', async () => {
    const response = await fetch(`${base}/json`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('7');
    expect(await response.json()).toEqual({ ok: true });
    expect(last?.body.toString()).toBe('{"a":1}');
    expect(last?.contentType).toBe('application/json');
  });

  it('encodes a FormData body as multipart with its boundary, streaming a file-backed part from disk', async () => {
    const path = join(dir, 'clip.wav');
    const audio = Buffer.alloc(200_000, 7);
    writeFileSync(path, audio);
    const form = new FormData();
    form.append('model', 'whisper-large-v3');
    form.append('file', new File([await openAsBlob(path, { type: 'audio/wav' })], 'clip.wav', { type: 'audio/wav' }));
    const response = await fetch(`${base}/upload`, { method: 'POST', body: form });
    await response.text();
    expect(last?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    const parsed = await new Request('http://x/', { method: 'POST', headers: { 'content-type': last?.contentType ?? '' }, body: new Uint8Array(last?.body ?? []) }).formData();
    expect(parsed.get('model')).toBe('whisper-large-v3');
    const file = parsed.get('file') as File;
    expect(file.name).toBe('clip.wav');
    expect(Buffer.from(await file.arrayBuffer()).equals(audio)).toBe(true);
  });

  it('keeps a content type the caller set', async () => {
    const response = await fetch(`${base}/blob`, { method: 'POST', body: new Blob(['x']), headers: { 'content-type': 'text/plain' } });
    await response.text();
    expect(last?.contentType).toBe('text/plain');
    expect(last?.body.toString()).toBe('x');
  });

  it('keeps the connection alive between calls', async () => {
    const own = poolFetch(new Agent({ connections: 1 }));
    const before = connections;
    for (let i = 0; i < 3; i++) await (await own(`${base}/json`, { method: 'POST', body: '{}' })).text();
    expect(connections - before).toBe(1);
  });

  it("fails a call aborted before its answer with the signal's reason", async () => {
    const controller = new AbortController();
    const answer = fetch(`${base}/hang`, { method: 'POST', body: '{}', signal: controller.signal });
    setTimeout(() => controller.abort(new Error('deadline')), 20);
    await expect(answer).rejects.toThrow('deadline');
    const already = new AbortController();
    already.abort(new Error('before'));
    await expect(fetch(`${base}/json`, { method: 'POST', body: '{}', signal: already.signal })).rejects.toThrow('before');
  });

  it("fails the body's next read with the signal's reason once the answer has begun, and drops its connection", async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/slow`, { method: 'POST', body: '{}', signal: controller.signal });
    const source = chunkSourceOf(response);
    expect(Buffer.from((await source.read()) as Uint8Array).toString()).toBe('data: first\n\n');
    const next = source.read();
    controller.abort(new Error('deadline'));
    await expect(next).rejects.toThrow('deadline');
    const res = slow.shift();
    await new Promise((resolve) => res?.once('close', resolve));
  });

  it('reads one at a time: a second read while one waits is refused, and the first still gets what comes', async () => {
    const response = await fetch(`${base}/slow`, { method: 'POST', body: '{}' });
    const source = chunkSourceOf(response);
    await source.read();
    const first = source.read();
    await expect(source.read()).rejects.toThrow(/already waiting/);
    const res = slow.shift();
    res?.end('data: second\n\n');
    expect(Buffer.from((await first) as Uint8Array).toString()).toBe('data: second\n\n');
    expect(await source.read()).toBeUndefined();
    // The body has been read as a stream: it cannot be read whole as well.
    await expect(async () => response.text()).rejects.toThrow(/unusable/);
  });

  it('fails the next read when the upstream cuts the body, and reads it to its end otherwise', async () => {
    const cut = chunkSourceOf(await fetch(`${base}/slow`, { method: 'POST', body: '{}' }));
    await cut.read();
    const next = cut.read();
    slow.shift()?.destroy();
    await expect(next).rejects.toThrow();
    const whole = chunkSourceOf(await fetch(`${base}/slow`, { method: 'POST', body: '{}' }));
    const chunks: string[] = [Buffer.from((await whole.read()) as Uint8Array).toString()];
    slow.shift()?.end('data: last\n\n');
    for (let chunk = await whole.read(); chunk !== undefined; chunk = await whole.read()) chunks.push(Buffer.from(chunk).toString());
    expect(chunks.join('')).toBe('data: first\n\ndata: last\n\n');
    expect(await whole.read()).toBeUndefined();
  });

  it('hands the rest of a body at once only when the whole answer is in, and then it is at its end', async () => {
    const open = chunkSourceOf(await fetch(`${base}/slow`, { method: 'POST', body: '{}' }));
    // Not complete: nothing is taken, and reading goes on as before.
    expect(open.readRest?.()).toBeUndefined();
    expect(Buffer.from((await open.read()) as Uint8Array).toString()).toBe('data: first\n\n');
    slow.shift()?.end('data: last\n\n');
    expect(Buffer.from(await restOnceComplete(open)).toString()).toBe('data: last\n\n');
    expect(await open.read()).toBeUndefined();

    const whole = await fetch(`${base}/json`, { method: 'POST', body: '{}' });
    expect(JSON.parse(Buffer.from(await restOnceComplete(chunkSourceOf(whole))).toString())).toEqual({ ok: true });
    await expect(async () => whole.text()).rejects.toThrow(/unusable/);
  });

  it('pauses the socket while bytes wait unread, and loses none', async () => {
    const response = await fetch(`${base}/big`, { method: 'POST', body: '{}' });
    const source = chunkSourceOf(response);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const first = (await source.read()) as Uint8Array;
    // What arrived before the first read: the pool stopped reading at about 64 KiB (plus a socket read).
    expect(first.length).toBeLessThan(BIG.length);
    const chunks = [Buffer.from(first)];
    for (let chunk = await source.read(); chunk !== undefined; chunk = await source.read()) chunks.push(Buffer.from(chunk));
    expect(Buffer.concat(chunks).equals(BIG)).toBe(true);
  });

  it("reads text as undici's body did (byte-order mark skipped, repeated headers joined), once; and as a web stream", async () => {
    const response = await fetch(`${base}/bom`);
    expect(response.headers.get('X-Twice')).toBe('a, b');
    expect(await response.text()).toBe('héllo');
    await expect(async () => response.text()).rejects.toThrow();
    const streamed = await fetch(`${base}/big`, { method: 'POST', body: '{}' });
    expect(Buffer.from(await new Response(streamed.body).arrayBuffer()).equals(BIG)).toBe(true);
  });

  it('reads an error body whole only up to its bound (error bodies are small), and drops the rest', async () => {
    const res = await fetch(`${base}/huge-error`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(500);
    await expect(res.text()).rejects.toThrow(/upstream error body is larger than 1 MB/);
    // The pool goes on.
    expect((await fetch(`${base}/`, { method: 'POST', body: '{}' })).status).toBe(200);
  });

  it('a cancelled body drops its connection; the pool goes on', async () => {
    const response = await fetch(`${base}/slow`, { method: 'POST', body: '{}' });
    chunkSourceOf(response).cancel();
    const res = slow.shift();
    await new Promise((resolve) => res?.once('close', resolve));
    expect(await (await fetch(`${base}/json`, { method: 'POST', body: '{}' })).json()).toEqual({ ok: true });
  });
});
