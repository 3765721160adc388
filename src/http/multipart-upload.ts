import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { GatewayError, badRequest, isSystemError } from '../errors.js';

/** Largest text field value accepted unless the caller says otherwise (a Whisper `prompt` is far smaller). */
export const DEFAULT_MAX_FIELD_BYTES = 16 * 1024;
/** Most text fields accepted unless the caller says otherwise. */
export const DEFAULT_MAX_FIELDS = 32;

/** Room for one field's boundary line and part headers (the name is capped at 100 bytes by busboy). */
const FIELD_PART_OVERHEAD = 1024;
/** Room for the file part's boundary line and headers (file name, content type) and the closing boundary. */
const FILE_PART_OVERHEAD = 8 * 1024;

/** The single file name used inside the private temp directory; no extension, so nothing trusts it. */
const TEMP_FILE_NAME = 'upload';

export interface UploadLimits {
  /** Largest accepted file, in bytes; one byte more answers 413 `file_too_large`. */
  maxFileBytes: number;
  /** Largest text field value, in bytes (default {@link DEFAULT_MAX_FIELD_BYTES}). */
  maxFieldBytes?: number;
  /** Most text fields (default {@link DEFAULT_MAX_FIELDS}). */
  maxFields?: number;
}

export interface UploadedFile {
  /** The temp file holding the bytes (mode 0600 in a private mkdtemp directory). */
  readonly path: string;
  /** The file name the client sent, without any directory part; may be '' when it sent none. */
  readonly filename: string;
  /** The part's content type as sent (`application/octet-stream` when it sent none). */
  readonly contentType: string;
  readonly bytes: number;
}

export interface Upload {
  /** Text fields. A repeated name, or one ending in `[]`, gives an array under the name without `[]`. */
  readonly fields: Readonly<Record<string, string | readonly string[]>>;
  readonly file: UploadedFile;
  /** Removes the temp file and its directory. Idempotent; call it once the request is answered. */
  dispose(): Promise<void>;
}

/**
 * The request body size beyond which no valid upload under these limits can be: the file limit plus room
 * for every allowed text field and the multipart framing. A declared content-length above it is refused
 * before anything is read.
 */
export function maxUploadRequestBytes(limits: UploadLimits): number {
  const maxFieldBytes = limits.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
  const maxFields = limits.maxFields ?? DEFAULT_MAX_FIELDS;
  return limits.maxFileBytes + maxFields * (maxFieldBytes + FIELD_PART_OVERHEAD) + FILE_PART_OVERHEAD;
}

/**
 * Receives a multipart/form-data upload (the shape of `/audio/transcriptions`): text fields are collected,
 * the one file part named `file` is streamed to a private temp file while its bytes are counted, never held
 * whole in memory. The file is refused with 413 as soon as it passes `maxFileBytes` (by the declared
 * content-length when that alone is too large, else while streaming), with its temp file removed before the
 * promise rejects. Any failure (bad framing, no file, an extra file, an empty file, the client going away)
 * rejects with a {@link GatewayError} and leaves nothing on disk.
 *
 * Reads the Node request directly. When refusing it, the request is unpiped and paused
 * rather than destroyed, so the caller can still answer on the socket; an error raised before the whole body
 * was read carries a `connection: close` header (rendered by `GatewayError.getResponse()`), as the rest of
 * the body is never read and the connection cannot serve another request.
 */
export async function receiveUpload(source: IncomingMessage, limits: UploadLimits, tmpDir = os.tmpdir()): Promise<Upload> {
  const maxFileBytes = limits.maxFileBytes;
  const maxFieldBytes = limits.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
  const maxFields = limits.maxFields ?? DEFAULT_MAX_FIELDS;
  for (const [name, value] of [['maxFileBytes', maxFileBytes], ['maxFieldBytes', maxFieldBytes], ['maxFields', maxFields]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`receiveUpload: ${name} must be a non-negative integer, got ${value}`);
  }

  const contentType = headerOf(source, 'content-type');
  if (contentType === undefined || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) {
    throw closingConnection(badRequest(
      `Expected a multipart/form-data request body; got ${contentType === undefined ? 'no content-type' : `content-type '${contentType}'`}`,
      'invalid_multipart',
    ));
  }
  if (!/;\s*boundary\s*=\s*("[^"]+"|[^;\s]+)/i.test(contentType)) {
    throw closingConnection(badRequest('The multipart/form-data content-type has no boundary parameter', 'invalid_multipart'));
  }
  const declared = Number(headerOf(source, 'content-length') ?? Number.NaN);
  if (declared > maxUploadRequestBytes({ maxFileBytes, maxFieldBytes, maxFields })) throw closingConnection(fileTooLarge(maxFileBytes));

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      // busboy reports 'limit' when the file *reaches* fileSize, so one more byte than allowed.
      limits: { fileSize: maxFileBytes + 1, fieldSize: maxFieldBytes, fields: maxFields },
      // Clients (browsers, undici, the OpenAI SDKs) send file names as raw UTF-8.
      defParamCharset: 'utf8',
    });
  } catch (err) {
    throw closingConnection(badRequest(`Malformed multipart/form-data content-type: ${(err as Error).message}`, 'invalid_multipart'));
  }

  return new UploadReceiver(source, parser, maxFileBytes, maxFieldBytes).receive(tmpDir);
}

/**
 * A `File` for the uploaded bytes, backed by the temp file: nothing is read until the file is streamed, and
 * each stream (e.g. each fallback attempt that uploads it) reads the disk again. Valid until `dispose()`.
 */
export async function openUploadAsFile(file: Pick<UploadedFile, 'path' | 'filename' | 'contentType'>): Promise<File> {
  const blob = await openAsBlob(file.path, { type: file.contentType });
  // Node's Blob/File constructors keep a reference to a Blob part's backing data rather than copying it.
  return new File([blob], file.filename, { type: file.contentType });
}

class UploadReceiver {
  private settled = false;
  private dirPromise: Promise<string> | undefined;
  /** Set once mkdtemp has resolved, which is before any of the body is read. */
  private dir: string | undefined;
  private file: { path: string; filename: string; contentType: string } | undefined;
  private bytes = 0;
  private fileDone: Promise<void> | undefined;
  private fileClosed: Promise<void> | undefined;
  private readonly values = new Map<string, string[]>();
  private readonly arrayNames = new Set<string>();
  private resolve!: (upload: Upload) => void;
  private reject!: (err: unknown) => void;

  constructor(
    private readonly input: Readable,
    private readonly parser: busboy.Busboy,
    private readonly maxFileBytes: number,
    private readonly maxFieldBytes: number,
  ) {}

  receive(tmpDir: string): Promise<Upload> {
    const promise = new Promise<Upload>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Listen for the client going away from the start: it may happen while the temp directory is made.
    this.input.on('error', this.onInputError);
    this.input.on('close', this.onInputClose);
    if (this.input.destroyed && !this.input.readableEnded) this.fail(clientGone());

    this.parser.on('field', this.onField);
    this.parser.on('file', this.onFile);
    this.parser.on('fieldsLimit', () => this.fail(badRequest('Too many form fields', 'too_many_fields')));
    this.parser.on('error', (err: Error) =>
      this.fail(badRequest(`Malformed multipart/form-data body: ${err.message}`, 'invalid_multipart')),
    );
    this.parser.on('finish', () => void this.complete());

    this.dirPromise = mkdtemp(path.join(tmpDir, 'groq-router-upload-'));
    this.dirPromise.then(
      (dir) => {
        this.dir = dir;
        if (!this.settled) this.input.pipe(this.parser);
      },
      (err: unknown) => this.fail(storageError(err)),
    );
    return promise;
  }

  private readonly onInputError = (): void => this.fail(clientGone());

  private readonly onInputClose = (): void => {
    if (!this.input.readableEnded) this.fail(clientGone());
  };

  private readonly onField = (name: string | undefined, value: string, info: busboy.FieldInfo): void => {
    if (this.settled) return;
    if (name === undefined) return this.fail(badRequest('A form field has no name', 'invalid_multipart'));
    if (info.nameTruncated) return this.fail(badRequest('A form field name is too long', 'invalid_multipart'));
    const key = name.endsWith('[]') ? name.slice(0, -2) : name;
    if (key === 'file') {
      return this.fail(badRequest("The 'file' part must be a file upload (a part with a filename), not a text field", 'missing_file', 'file'));
    }
    if (info.valueTruncated) {
      return this.fail(badRequest(`Form field '${key}' is longer than the limit of ${this.maxFieldBytes} bytes`, 'field_too_large', key));
    }
    if (key !== name) this.arrayNames.add(key);
    const list = this.values.get(key);
    if (list === undefined) this.values.set(key, [value]);
    else list.push(value);
  };

  private readonly onFile = (name: string | undefined, stream: Readable, info: busboy.FileInfo): void => {
    if (this.settled) {
      discard(stream);
      return;
    }
    if (name !== 'file') {
      discard(stream);
      return this.fail(
        badRequest(`Unexpected file part '${name ?? ''}'; send the audio as a single file part named 'file'`, 'unexpected_file', name ?? null),
      );
    }
    if (this.file !== undefined) {
      discard(stream);
      return this.fail(badRequest("More than one file part named 'file'; send exactly one audio file", 'multiple_files', 'file'));
    }
    this.storeFile(stream, info);
  };

  private storeFile(stream: Readable, info: busboy.FileInfo): void {
    // The directory exists: the body is only piped into the parser once mkdtemp has resolved.
    const filePath = path.join(this.dir as string, TEMP_FILE_NAME);
    this.file = { path: filePath, filename: info.filename ?? '', contentType: info.mimeType };
    stream.on('limit', () => this.fail(fileTooLarge(this.maxFileBytes)));
    const counter = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.bytes += chunk.byteLength;
        if (this.bytes > this.maxFileBytes) callback(fileTooLarge(this.maxFileBytes));
        else callback(null, chunk);
      },
    });
    const out = createWriteStream(filePath, { flags: 'wx', mode: 0o600 });
    this.fileClosed = new Promise((resolve) => out.once('close', () => resolve()));
    this.fileDone = pipeline(stream, counter, out);
    this.fileDone.catch((err: unknown) => {
      if (err instanceof GatewayError) this.fail(err);
      else if (isSystemError(err)) this.fail(storageError(err));
      else this.fail(badRequest(`Malformed multipart/form-data body: ${(err as Error).message}`, 'invalid_multipart'));
    });
  }

  /** The parser has read the whole body: check what came and hand the upload over. */
  private async complete(): Promise<void> {
    if (this.settled) return;
    if (this.file === undefined) {
      return this.fail(badRequest("No file part named 'file' in the multipart/form-data body", 'missing_file', 'file'));
    }
    await this.fileDone?.catch(() => {});
    await this.fileClosed;
    if (this.settled) return;
    if (this.bytes === 0) return this.fail(badRequest('The uploaded file is empty', 'empty_file', 'file'));
    const dir = path.dirname(this.file.path);
    this.settled = true;
    this.detachInput();
    let disposal: Promise<void> | undefined;
    this.resolve({
      fields: this.collectFields(),
      file: Object.freeze({ ...this.file, bytes: this.bytes }),
      dispose: () => (disposal ??= rm(dir, { recursive: true, force: true })),
    });
  }

  /** Settles with `error` once nothing is left on disk; the first failure wins, later ones are ignored. */
  private fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    // The rest of the body stays unread: the connection cannot carry another request.
    if (!this.input.readableEnded) error = closingConnection(error);
    this.detachInput();
    // Not synchronously: fail() is often called from inside the parser's own write.
    setImmediate(() => this.parser.destroy());
    void this.removeTempDir().then(
      () => this.reject(error),
      () => this.reject(error),
    );
  }

  private async removeTempDir(): Promise<void> {
    const dir = await this.dirPromise?.catch(() => undefined);
    if (dir === undefined) return;
    // Wait for the write stream to close (it is destroyed with the parser) so no file appears after rm.
    await this.fileClosed;
    await rm(dir, { recursive: true, force: true });
  }

  /** Stops reading the request without destroying it, so the caller can still answer on the connection. */
  private detachInput(): void {
    this.input.unpipe(this.parser);
    this.input.pause();
    this.input.off('error', this.onInputError);
    this.input.off('close', this.onInputClose);
  }

  private collectFields(): Readonly<Record<string, string | readonly string[]>> {
    const fields: Record<string, string | readonly string[]> = {};
    for (const [key, list] of this.values) {
      // defineProperty: a field named `__proto__` stays a plain own property.
      const value = list.length === 1 && !this.arrayNames.has(key) ? (list[0] as string) : Object.freeze([...list]);
      Object.defineProperty(fields, key, { value, enumerable: true, writable: false, configurable: false });
    }
    return Object.freeze(fields);
  }
}

/** Drains a file part we will not keep; the parser destroys it with an error when it is cut short. */
function discard(stream: Readable): void {
  stream.on('error', () => {});
  stream.resume();
}

function headerOf(source: IncomingMessage, name: string): string | undefined {
  const value = source.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** 413 for a file over the limit, stating the limit in MB (as `max_request_size_mb` counts them: 2^20 bytes). */
export function fileTooLarge(maxFileBytes: number): GatewayError {
  return new GatewayError(
    413,
    `The uploaded file is larger than the limit of ${formatMegabytes(maxFileBytes)} MB (${maxFileBytes} bytes)`,
    { code: 'file_too_large', param: 'file' },
  );
}

function formatMegabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return String(Number(mb >= 1 ? mb.toFixed(2) : mb.toPrecision(3)));
}

/**
 * The same error, answered with `connection: close`: when a request body is refused unread, Node keeps a
 * keep-alive connection open with the rest of the body pending, which no further request can use.
 */
function closingConnection<T>(error: T): T {
  if (!(error instanceof GatewayError)) return error;
  const { status, message, type, code, param, headers } = error;
  return new GatewayError(status, message, { type, code, param, headers: { ...headers, connection: 'close' } }) as T;
}

function clientGone(): GatewayError {
  return badRequest('The client closed the connection before the upload was complete', 'upload_aborted');
}

function storageError(err: unknown): GatewayError {
  const code = isSystemError(err) ? err.code : 'unknown';
  return new GatewayError(500, `Could not store the uploaded file (${code})`, { code: 'upload_storage_failed' });
}
