import { createHash, randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nodeRequest } from '../../test/support/node-request.js';
import { GatewayError } from '../errors.js';
import {
  DEFAULT_MAX_FIELD_BYTES,
  DEFAULT_MAX_FIELDS,
  maxUploadRequestBytes,
  openUploadAsFile,
  receiveUpload,
  type Upload,
  type UploadLimits,
} from './multipart-upload.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/audio/', import.meta.url));
const URL_ = 'http://gateway.test/audio/transcriptions';

/** Receives the body of `request` as the gateway gets it: a Node request. */
const receiveFrom = (request: Request, limits: UploadLimits, tmpDir?: string) => receiveUpload(nodeRequest(request), limits, tmpDir);

let tmpRoot: string;
beforeEach(async () => {
  tmpRoot = await mkdtemp(path.join(os.tmpdir(), 'multipart-upload-test-'));
});
afterEach(async () => {
  await rm(tmpRoot, { recursive: true, force: true });
});

/** What is left under the temp root the uploads were given: nothing, after a failure or dispose(). */
const leftovers = () => readdir(tmpRoot, { recursive: true });

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function webRequest(form: FormData): Request {
  return new Request(URL_, { method: 'POST', body: form });
}

/** A multipart request whose body arrives as the stream gives it. */
function streamedMultipart(body: ReadableStream<Uint8Array>, boundary: string): Request {
  return new Request(URL_, {
    method: 'POST',
    body,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    duplex: 'half',
  } as RequestInit);
}

function audioForm(bytes: Uint8Array, filename = 'talk.wav', type = 'audio/wav'): FormData {
  const form = new FormData();
  form.append('model', 'whisper-large-v3');
  form.append('file', new File([new Uint8Array(bytes)], filename, { type }));
  return form;
}

async function expectGatewayError(promise: Promise<unknown>, status: number, code: string, param?: string | null): Promise<GatewayError> {
  const err = await promise.then(
    () => {
      throw new Error(`expected a ${status} ${code}, but the upload was received`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  const gatewayError = err as GatewayError;
  expect({ status: gatewayError.status, code: gatewayError.code }).toEqual({ status, code });
  if (param !== undefined) expect(gatewayError.param).toBe(param);
  return gatewayError;
}

/** A multipart body written by hand so it can be produced lazily: the head of a file part, then its bytes. */
function fileHead(boundary: string, filename = 'big.wav'): string {
  return (
    `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-large-v3\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: audio/wav\r\n\r\n`
  );
}

describe('receiveUpload of multipart bodies', () => {
  const limits: UploadLimits = { maxFileBytes: 1024 * 1024 };

  it('collects the fields and streams the file to a private temp file', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'tone-3s.wav'));
    const form = audioForm(bytes, 'tone-3s.wav');
    form.append('language', 'en');
    form.append('response_format', 'verbose_json');
    form.append('timestamp_granularities[]', 'segment');
    form.append('timestamp_granularities[]', 'word');
    form.append('only[]', 'one');
    form.append('tag', 'a');
    form.append('tag', 'b');
    const upload = await receiveFrom(webRequest(form), limits, tmpRoot);
    try {
      expect(upload.fields).toEqual({
        model: 'whisper-large-v3',
        language: 'en',
        response_format: 'verbose_json',
        timestamp_granularities: ['segment', 'word'],
        only: ['one'],
        tag: ['a', 'b'],
      });
      expect(Object.isFrozen(upload.fields)).toBe(true);
      expect(upload.file.filename).toBe('tone-3s.wav');
      expect(upload.file.contentType).toBe('audio/wav');
      expect(upload.file.bytes).toBe(bytes.byteLength);
      expect(path.dirname(path.dirname(upload.file.path))).toBe(tmpRoot);
      expect(sha256(await readFile(upload.file.path))).toBe(sha256(bytes));
      expect((await stat(upload.file.path)).mode & 0o777).toBe(0o600);
      expect((await stat(path.dirname(upload.file.path))).mode & 0o777).toBe(0o700);
    } finally {
      await upload.dispose();
    }
    expect(await leftovers()).toEqual([]);
  });

  it('dispose() removes the file and its directory and can be called again', async () => {
    const upload = await receiveFrom(webRequest(audioForm(new Uint8Array([1, 2, 3]))), limits, tmpRoot);
    await Promise.all([upload.dispose(), upload.dispose()]);
    await upload.dispose();
    await expect(stat(upload.file.path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await leftovers()).toEqual([]);
  });

  it('keeps a UTF-8 file name and drops any directory part', async () => {
    const form = new FormData();
    form.append('file', new File([new Uint8Array([1])], 'ça va – 日本.mp3', { type: 'audio/mpeg' }));
    const upload = await receiveFrom(webRequest(form), limits, tmpRoot);
    expect(upload.file.filename).toBe('ça va – 日本.mp3');
    await upload.dispose();

    const boundary = 'xyz';
    const body = `${fileHead(boundary, '../../etc/evil.mp3')}abc\r\n--${boundary}--\r\n`;
    const request = new Request(URL_, { method: 'POST', body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    const upload2 = await receiveFrom(request, limits, tmpRoot);
    expect(upload2.file.filename).toBe('evil.mp3');
    expect(path.basename(upload2.file.path)).toBe('upload');
    await upload2.dispose();
  });

  it('accepts a file of exactly maxFileBytes and refuses one byte more with 413, leaving nothing on disk', async () => {
    const ok = await receiveFrom(webRequest(audioForm(new Uint8Array(1000))), { maxFileBytes: 1000 }, tmpRoot);
    expect(ok.file.bytes).toBe(1000);
    await ok.dispose();

    const err = await expectGatewayError(receiveFrom(webRequest(audioForm(new Uint8Array(1001))), { maxFileBytes: 1000 }, tmpRoot), 413, 'file_too_large', 'file');
    expect(err.message).toMatch(/limit of [\d.]+ MB \(1000 bytes\)/);
    expect(err.toBody().error.type).toBe('invalid_request_error');
    expect(await leftovers()).toEqual([]);
  });

  it('states the limit in MB', async () => {
    const err = await expectGatewayError(
      receiveFrom(webRequest(audioForm(new Uint8Array(3 * 1024 * 1024))), { maxFileBytes: 2 * 1024 * 1024 }, tmpRoot),
      413,
      'file_too_large',
    );
    expect(err.message).toContain('limit of 2 MB');
  });

  it('refuses an oversize file as soon as the stream passes the limit, without reading the rest', async () => {
    const boundary = 'lazy-boundary';
    const head = new TextEncoder().encode(fileHead(boundary));
    const chunk = new Uint8Array(16 * 1024);
    const total = 64 * 1024 * 1024;
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled === 0) {
          pulled += head.byteLength;
          controller.enqueue(head);
        } else if (pulled < total) {
          pulled += chunk.byteLength;
          controller.enqueue(chunk);
        } else {
          controller.close();
        }
      },
    });
    const request = streamedMultipart(body, boundary);
    const err = await expectGatewayError(receiveFrom(request, { maxFileBytes: 4096 }, tmpRoot), 413, 'file_too_large', 'file');
    expect(err.headers).toEqual({ connection: 'close' });
    expect(pulled).toBeLessThan(1024 * 1024);
    expect(await leftovers()).toEqual([]);
  });

  it('refuses by the declared content-length alone, before reading anything', async () => {
    const maxFileBytes = 1000;
    const declared = maxUploadRequestBytes({ maxFileBytes }) + 1;
    const request = new Request(URL_, {
      method: 'POST',
      body: new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) }),
      headers: { 'content-type': 'multipart/form-data; boundary=b', 'content-length': String(declared) },
      duplex: 'half',
    } as RequestInit);
    await expectGatewayError(receiveFrom(request, { maxFileBytes }, tmpRoot), 413, 'file_too_large', 'file');
    // No reader was ever taken on the body.
    expect(request.body?.locked).toBe(false);
    expect(request.bodyUsed).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it('allows a declared length up to the file limit plus room for the fields', async () => {
    expect(maxUploadRequestBytes({ maxFileBytes: 1000, maxFieldBytes: 100, maxFields: 2 })).toBe(1000 + 2 * (100 + 1024) + 8192);
    expect(maxUploadRequestBytes({ maxFileBytes: 0 })).toBe(DEFAULT_MAX_FIELDS * (DEFAULT_MAX_FIELD_BYTES + 1024) + 8192);
    // A real body for a file of exactly the limit declares more than the limit, and is still received.
    const response = new Response(audioForm(new Uint8Array(1000)));
    const serialized = await response.arrayBuffer();
    expect(serialized.byteLength).toBeGreaterThan(1000);
    const matching = new Request(URL_, {
      method: 'POST',
      body: serialized,
      headers: { 'content-type': response.headers.get('content-type') ?? '', 'content-length': String(serialized.byteLength) },
    });
    const upload = await receiveFrom(matching, { maxFileBytes: 1000 }, tmpRoot);
    expect(upload.file.bytes).toBe(1000);
    await upload.dispose();
  });

  it('refuses a request that is not multipart/form-data', async () => {
    const json = new Request(URL_, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    await expectGatewayError(receiveFrom(json, limits, tmpRoot), 400, 'invalid_multipart');
    const none = new Request(URL_, { method: 'POST', body: new Uint8Array([1]) });
    await expectGatewayError(receiveFrom(none, limits, tmpRoot), 400, 'invalid_multipart');
    const urlencoded = new Request(URL_, { method: 'POST', body: new URLSearchParams({ model: 'x' }) });
    await expectGatewayError(receiveFrom(urlencoded, limits, tmpRoot), 400, 'invalid_multipart');
  });

  it('refuses multipart/form-data without a boundary', async () => {
    const request = new Request(URL_, { method: 'POST', body: 'x', headers: { 'content-type': 'multipart/form-data' } });
    const err = await expectGatewayError(receiveFrom(request, limits, tmpRoot), 400, 'invalid_multipart');
    expect(err.message).toMatch(/boundary/);
  });

  it('refuses a body cut off before the closing boundary and removes the partial file', async () => {
    const response = new Response(audioForm(new Uint8Array(5000)));
    const contentType = response.headers.get('content-type') ?? '';
    const whole = new Uint8Array(await response.arrayBuffer());
    const cut = new Request(URL_, { method: 'POST', body: whole.slice(0, whole.byteLength - 2000), headers: { 'content-type': contentType } });
    const err = await expectGatewayError(receiveFrom(cut, limits, tmpRoot), 400, 'invalid_multipart');
    expect(err.message).toMatch(/^Malformed multipart\/form-data body/);
    expect(await leftovers()).toEqual([]);
  });

  it('refuses a body that is not multipart at all', async () => {
    const request = new Request(URL_, { method: 'POST', body: 'hello, no parts here', headers: { 'content-type': 'multipart/form-data; boundary=zzz' } });
    await expectGatewayError(receiveFrom(request, limits, tmpRoot), 400, 'invalid_multipart');
    expect(await leftovers()).toEqual([]);
  });

  it('refuses a malformed part header', async () => {
    const body = `--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n${'x'.repeat(20000)}`;
    const request = new Request(URL_, { method: 'POST', body, headers: { 'content-type': 'multipart/form-data; boundary=b' } });
    await expectGatewayError(receiveFrom(request, limits, tmpRoot), 400, 'invalid_multipart');
    expect(await leftovers()).toEqual([]);
  });

  it('needs a file part named file', async () => {
    const form = new FormData();
    form.append('model', 'whisper-large-v3');
    const err = await expectGatewayError(receiveFrom(webRequest(form), limits, tmpRoot), 400, 'missing_file', 'file');
    // The whole body was read: the connection can carry on.
    expect(err.headers).toEqual({});
    expect(await leftovers()).toEqual([]);

    const asText = new FormData();
    asText.append('file', 'not a file');
    await expectGatewayError(receiveFrom(webRequest(asText), limits, tmpRoot), 400, 'missing_file', 'file');
  });

  it('refuses a second file', async () => {
    const form = audioForm(new Uint8Array(100));
    form.append('file', new File([new Uint8Array(100)], 'other.wav', { type: 'audio/wav' }));
    await expectGatewayError(receiveFrom(webRequest(form), limits, tmpRoot), 400, 'multiple_files', 'file');
    expect(await leftovers()).toEqual([]);
  });

  it('refuses a file part under another name', async () => {
    const form = audioForm(new Uint8Array(100));
    form.append('attachment', new File([new Uint8Array(100)], 'extra.wav'));
    await expectGatewayError(receiveFrom(webRequest(form), limits, tmpRoot), 400, 'unexpected_file', 'attachment');
    expect(await leftovers()).toEqual([]);
  });

  it('refuses an empty file', async () => {
    await expectGatewayError(receiveFrom(webRequest(audioForm(new Uint8Array(0))), limits, tmpRoot), 400, 'empty_file', 'file');
    expect(await leftovers()).toEqual([]);
  });

  it('caps text fields by size and number', async () => {
    const long = audioForm(new Uint8Array(10));
    long.append('prompt', 'x'.repeat(101));
    await expectGatewayError(receiveFrom(webRequest(long), { maxFileBytes: 100, maxFieldBytes: 100 }, tmpRoot), 400, 'field_too_large', 'prompt');

    const many = audioForm(new Uint8Array(10));
    for (let i = 0; i < 5; i++) many.append(`f${i}`, 'v');
    await expectGatewayError(receiveFrom(webRequest(many), { maxFileBytes: 100, maxFields: 3 }, tmpRoot), 400, 'too_many_fields');
    expect(await leftovers()).toEqual([]);
  });

  it('refuses parts without a name', async () => {
    const field = `--b\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--b--\r\n`;
    const request = new Request(URL_, { method: 'POST', body: field, headers: { 'content-type': 'multipart/form-data; boundary=b' } });
    await expectGatewayError(receiveFrom(request, limits, tmpRoot), 400, 'invalid_multipart');
    const file = `--b\r\nContent-Disposition: form-data; filename="a.wav"\r\n\r\nabc\r\n--b--\r\n`;
    const request2 = new Request(URL_, { method: 'POST', body: file, headers: { 'content-type': 'multipart/form-data; boundary=b' } });
    await expectGatewayError(receiveFrom(request2, limits, tmpRoot), 400, 'unexpected_file', null);
    expect(await leftovers()).toEqual([]);
  });

  it('keeps a field named __proto__ as a plain field', async () => {
    const form = audioForm(new Uint8Array(10));
    form.append('__proto__', 'polluted');
    const upload = await receiveFrom(webRequest(form), limits, tmpRoot);
    expect(Object.getOwnPropertyDescriptor(upload.fields, '__proto__')?.value).toBe('polluted');
    expect(Object.getPrototypeOf(upload.fields)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await upload.dispose();
  });

  it('rejects and cleans up when the body stream fails mid-upload (client gone)', async () => {
    const boundary = 'gone';
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode(fileHead(boundary)));
        else if (sent < 8) controller.enqueue(new Uint8Array(8 * 1024));
        else controller.error(new Error('socket hang up'));
        sent++;
        await new Promise((resolve) => setTimeout(resolve, 2));
      },
    });
    const request = streamedMultipart(body, boundary);
    await expectGatewayError(receiveFrom(request, limits, tmpRoot), 400, 'upload_aborted');
    expect(await leftovers()).toEqual([]);
  });

  it('streams a larger file without changing a byte', async () => {
    const bytes = randomBytes(5 * 1024 * 1024 + 7);
    const upload = await receiveFrom(webRequest(audioForm(bytes, 'big.flac', 'audio/flac')), { maxFileBytes: 6 * 1024 * 1024 }, tmpRoot);
    expect(upload.file.bytes).toBe(bytes.byteLength);
    expect(sha256(await readFile(upload.file.path))).toBe(sha256(bytes));
    await upload.dispose();
  });
});

describe('openUploadAsFile', () => {
  it('gives a File with the bytes on disk, its name and type, readable more than once', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'tone-3s.mp3'));
    const upload = await receiveFrom(webRequest(audioForm(bytes, 'tone-3s.mp3', 'audio/mpeg')), { maxFileBytes: 1024 * 1024 }, tmpRoot);
    try {
      const file = await openUploadAsFile(upload.file);
      expect(file).toBeInstanceOf(File);
      expect(file.name).toBe('tone-3s.mp3');
      expect(file.type).toBe('audio/mpeg');
      expect(file.size).toBe(bytes.byteLength);
      expect(sha256(new Uint8Array(await file.arrayBuffer()))).toBe(sha256(bytes));
      // A fallback sends it again: a second read, and a second File, see the same bytes.
      const chunks: Uint8Array[] = [];
      for await (const chunk of file.stream() as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(bytes));
      const again = await openUploadAsFile(upload.file);
      expect(sha256(new Uint8Array(await again.arrayBuffer()))).toBe(sha256(bytes));
      // It serialises into a FormData body as groq-sdk builds one.
      const form = new FormData();
      form.append('file', file, file.name);
      const serialized = Buffer.from(await new Response(form).arrayBuffer());
      expect(serialized.includes(bytes)).toBe(true);
    } finally {
      await upload.dispose();
    }
  });
});

describe('receiveUpload from a Node IncomingMessage', () => {
  type Outcome = { upload: Omit<Upload, 'dispose'>; sha256: string; mode: number } | { error: unknown };
  let server: http.Server;
  let origin: string;
  let limits: UploadLimits = { maxFileBytes: 1024 * 1024 };
  let outcomes: Outcome[] = [];
  let outcomeWaiters: ((outcome: Outcome) => void)[] = [];

  const record = (outcome: Outcome) => {
    outcomes.push(outcome);
    for (const waiter of outcomeWaiters.splice(0)) waiter(outcome);
  };
  const nextOutcome = () => new Promise<Outcome>((resolve) => (outcomes.length > 0 ? resolve(outcomes[0] as Outcome) : outcomeWaiters.push(resolve)));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const upload = await receiveUpload(req, limits, tmpRoot);
      const outcome = {
        upload: { fields: upload.fields, file: upload.file },
        sha256: sha256(await readFile(upload.file.path)),
        mode: (await stat(upload.file.path)).mode & 0o777,
      };
      await upload.dispose();
      record(outcome);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(outcome));
    } catch (error) {
      record({ error });
      if (res.destroyed) return;
      if (error instanceof GatewayError) {
        // As the app's error handler does (GatewayError.getResponse): the error's own headers go out with it.
        res.writeHead(error.status, { 'content-type': 'application/json', ...error.headers }).end(JSON.stringify(error.toBody()));
      } else {
        res.writeHead(500, { connection: 'close' }).end(String(error));
      }
    }
  }

  beforeAll(async () => {
    server = http.createServer((req, res) => void handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    limits = { maxFileBytes: 1024 * 1024 };
    outcomes = [];
    outcomeWaiters = [];
  });

  /** Starts a chunked POST and resolves with the response, which may come before the body is finished. */
  type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string; socketClosed: Promise<void> };
  function startUpload(headers: Record<string, string>): { request: http.ClientRequest; response: Promise<Answer> } {
    const request = http.request(`${origin}/audio/transcriptions`, { method: 'POST', headers });
    const response = new Promise<Answer>((resolve, reject) => {
      request.on('response', (res) => {
        let body = '';
        const socketClosed = new Promise<void>((closed) => res.socket.once('close', () => closed()));
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, socketClosed }));
        res.on('error', reject);
      });
      request.on('error', reject);
    });
    return { request, response };
  }

  it('receives a real multipart upload sent by fetch', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'tone-3s.ogg'));
    const form = audioForm(bytes, 'tone-3s.ogg', 'audio/ogg');
    form.append('timestamp_granularities[]', 'word');
    const res = await fetch(`${origin}/audio/transcriptions`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    const outcome = (await res.json()) as { upload: Omit<Upload, 'dispose'>; sha256: string; mode: number };
    expect(outcome.upload.fields).toEqual({ model: 'whisper-large-v3', timestamp_granularities: ['word'] });
    expect(outcome.upload.file).toMatchObject({ filename: 'tone-3s.ogg', contentType: 'audio/ogg', bytes: bytes.byteLength });
    expect(outcome.sha256).toBe(sha256(bytes));
    expect(outcome.mode).toBe(0o600);
    expect(await leftovers()).toEqual([]);
  });

  it('answers the errors in the OpenAI shape', async () => {
    const res = await fetch(`${origin}/audio/transcriptions`, { method: 'POST', body: new URLSearchParams({ model: 'x' }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { message: expect.stringContaining('multipart/form-data') as unknown, type: 'invalid_request_error', code: 'invalid_multipart' } });

    const noFile = new FormData();
    noFile.append('model', 'whisper-large-v3');
    const res2 = await fetch(`${origin}/audio/transcriptions`, { method: 'POST', body: noFile });
    expect(res2.status).toBe(400);
    expect(await res2.json()).toMatchObject({ error: { code: 'missing_file', param: 'file' } });
  });

  it('answers 413 while the client is still sending, and removes the partial file', async () => {
    limits = { maxFileBytes: 2048 };
    const boundary = 'node-boundary';
    const { request, response } = startUpload({ 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' });
    request.write(fileHead(boundary));
    // Far more than the limit, but not the whole body: the request is never ended.
    for (let i = 0; i < 8; i++) request.write(Buffer.alloc(4096, i));
    const answer = await response;
    expect(request.writableEnded).toBe(false);
    expect(answer.status).toBe(413);
    // The rest of the body is never read, so the server closes the connection after answering.
    expect(answer.headers.connection).toBe('close');
    await answer.socketClosed;
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'file_too_large', param: 'file', type: 'invalid_request_error' } });
    expect(JSON.parse(answer.body).error.message).toMatch(/MB/);
    expect(await leftovers()).toEqual([]);
    request.destroy();
  });

  it('answers 413 from the declared content-length before any of the body is sent', async () => {
    limits = { maxFileBytes: 4096, maxFields: 2, maxFieldBytes: 256 };
    const declared = maxUploadRequestBytes(limits) + 1;
    const { request, response } = startUpload({ 'content-type': 'multipart/form-data; boundary=b', 'content-length': String(declared) });
    request.flushHeaders();
    const answer = await response;
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'file_too_large', param: 'file' } });
    expect(await leftovers()).toEqual([]);
    request.destroy();
  });

  it('rejects and cleans up when the client disconnects mid-upload', async () => {
    const boundary = 'bye';
    const { request, response } = startUpload({ 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' });
    response.catch(() => {});
    request.write(fileHead(boundary));
    request.write(Buffer.alloc(32 * 1024, 1));
    // Wait until the server has the temp file open, then drop the connection.
    for (let i = 0; i < 200 && !(await leftovers()).some((entry) => entry.endsWith('upload')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await leftovers()).some((entry) => entry.endsWith('upload'))).toBe(true);
    request.destroy();
    const outcome = await nextOutcome();
    expect('error' in outcome).toBe(true);
    const error = (outcome as { error: unknown }).error as GatewayError;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.code).toBe('upload_aborted');
    expect(await leftovers()).toEqual([]);
  });
});
