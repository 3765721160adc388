import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
const dir = mkdtempSync(join(tmpdir(), 'pool-fetch-'));

beforeAll(async () => {
  server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    last = { method: req.method ?? '', contentType: req.headers['content-type'], body: Buffer.concat(chunks) };
    res.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining-requests': '7' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await agent.close();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

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
});
