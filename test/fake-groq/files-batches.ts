/**
 * Groq's Files and Batch APIs, in memory and per organisation: an API key stands for one organisation,
 * so a file or batch made with key A does not exist (404) for key B, as on Groq. Shapes follow
 * groq-sdk's `resources/files.d.ts` and `resources/batches.d.ts` (OpenAI's objects).
 */
import { randomUUID } from 'node:crypto';
import { groqError, invalidRequest, unknownUrl, type GroqErrorBody } from './errors.js';
import type { Exchange } from './exchange.js';
import type { FakeModel } from './models.js';

export const FILES_PATH = '/openai/v1/files';
export const BATCHES_PATH = '/openai/v1/batches';

export type FilePurpose = 'batch' | 'batch_output';

/** A stored file; `content` is what `GET /files/{id}/content` sends. */
export interface FakeFile {
  readonly id: string;
  readonly filename: string;
  readonly purpose: FilePurpose;
  readonly createdAt: number;
  readonly content: Buffer;
}

export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

export interface BatchError {
  readonly code: string;
  readonly line: number | null;
  readonly message: string;
  readonly param: string | null;
}

/** Groq's batch object, as sent. */
export interface FakeBatch {
  readonly id: string;
  readonly object: 'batch';
  readonly endpoint: string;
  readonly errors: { readonly object: 'list'; readonly data: readonly BatchError[] } | null;
  readonly input_file_id: string;
  readonly completion_window: string;
  readonly status: BatchStatus;
  readonly output_file_id: string | null;
  readonly error_file_id: string | null;
  readonly created_at: number;
  readonly in_progress_at: number | null;
  readonly expires_at: number;
  readonly finalizing_at: number | null;
  readonly completed_at: number | null;
  readonly failed_at: number | null;
  readonly expired_at: number | null;
  readonly cancelling_at: number | null;
  readonly cancelled_at: number | null;
  readonly request_counts: { readonly total: number; readonly completed: number; readonly failed: number };
  readonly metadata: Readonly<Record<string, string>> | null;
}

type MutableBatch = { -readonly [K in keyof FakeBatch]: FakeBatch[K] };

/** One organisation's stores, in creation order. */
interface Org {
  readonly files: Map<string, FakeFile>;
  readonly batches: Map<string, MutableBatch>;
}

/** One line of a batch input file that passed validation. */
interface BatchLine {
  readonly customId: string;
  readonly model: string;
}

const BATCH_ENDPOINT = '/v1/chat/completions';
const TERMINAL: ReadonlySet<BatchStatus> = new Set(['failed', 'completed', 'expired', 'cancelled']);
/** Groq's documented range for `completion_window`: 24 hours to 7 days. */
const MIN_WINDOW_SECONDS = 24 * 3600;
const MAX_WINDOW_SECONDS = 7 * 24 * 3600;

// Groq's ids are `file_`/`batch_` + 26 lowercase base32 characters; hex digits are a subset of that alphabet.
const newId = (prefix: string): string => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 26)}`;

const fileNotFound = (id: string): GroqErrorBody => groqError(`File \`${id}\` not found`, 'invalid_request_error', 'not_found');
const batchNotFound = (id: string): GroqErrorBody => groqError(`Batch \`${id}\` not found`, 'invalid_request_error', 'not_found');

export function isFilesOrBatchesPath(path: string): boolean {
  return path === FILES_PATH || path.startsWith(`${FILES_PATH}/`) || path === BATCHES_PATH || path.startsWith(`${BATCHES_PATH}/`);
}

export class FilesAndBatches {
  private readonly orgs = new Map<string, Org>();

  constructor(
    private readonly now: () => number,
    private readonly models: ReadonlyMap<string, FakeModel>,
  ) {}

  /** Answers a request on a Files or Batch API path (`isFilesOrBatchesPath`) for an accepted `key`. */
  async handle(ex: Exchange, method: string, path: string, key: string, body: Buffer): Promise<void> {
    const org = this.org(key);
    if (path === FILES_PATH) {
      if (method === 'POST') return this.upload(ex, org, body);
      if (method === 'GET') return ex.json(200, { object: 'list', data: [...org.files.values()].map(fileObject) });
    } else if (path.startsWith(`${FILES_PATH}/`)) {
      const [id, rest, extra] = path.slice(FILES_PATH.length + 1).split('/');
      const file = id === undefined ? undefined : org.files.get(decode(id));
      if (extra === undefined && (rest === undefined || rest === 'content') && id !== undefined && id !== '') {
        if (file === undefined) return ex.json(404, fileNotFound(decode(id)));
        if (rest === 'content' && method === 'GET') return ex.raw(200, file.content.toString('utf8'), { 'content-type': 'application/octet-stream' });
        if (rest === undefined && method === 'GET') return ex.json(200, fileObject(file));
        if (rest === undefined && method === 'DELETE') {
          org.files.delete(file.id);
          return ex.json(200, { id: file.id, object: 'file', deleted: true });
        }
      }
    } else if (path === BATCHES_PATH) {
      if (method === 'POST') return this.createBatch(ex, org, body);
      // Newest first, with OpenAI's cursor fields so `openai`'s CursorPage knows there is no next page.
      if (method === 'GET') {
        const data = [...org.batches.values()].reverse();
        return ex.json(200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
      }
    } else {
      const [id, rest, extra] = path.slice(BATCHES_PATH.length + 1).split('/');
      if (id !== undefined && id !== '' && extra === undefined && (rest === undefined || rest === 'cancel')) {
        const batch = org.batches.get(decode(id));
        if (batch === undefined) return ex.json(404, batchNotFound(decode(id)));
        if (rest === undefined && method === 'GET') return ex.json(200, batch);
        if (rest === 'cancel' && method === 'POST') return this.cancel(ex, batch);
      }
    }
    ex.json(404, unknownUrl(method, path));
  }

  files(key: string): readonly FakeFile[] {
    return [...(this.orgs.get(key)?.files.values() ?? [])];
  }

  batches(key: string): readonly FakeBatch[] {
    return [...(this.orgs.get(key)?.batches.values() ?? [])].map((b) => ({ ...b }));
  }

  /**
   * Finishes a batch as Groq would once it has run: every request answered with `Hello from <model>`,
   * an output file (`purpose: batch_output`) holding one result line per request.
   */
  completeBatch(key: string, batchId: string): FakeBatch {
    const org = this.orgs.get(key);
    const batch = org?.batches.get(batchId);
    if (org === undefined || batch === undefined) throw new Error(`fake-groq: no batch ${batchId} for that key`);
    if (TERMINAL.has(batch.status) || batch.status === 'cancelling') throw new Error(`fake-groq: batch ${batchId} is already ${batch.status}`);
    const input = org.files.get(batch.input_file_id);
    const lines = input === undefined ? [] : parseBatchLines(input.content, this.models).lines;
    const at = this.seconds();
    const output = lines.map((line) => JSON.stringify(resultLine(line, at)));
    const file: FakeFile = {
      id: newId('file'),
      filename: `${batch.id}_output.jsonl`,
      purpose: 'batch_output',
      createdAt: at,
      content: Buffer.from(output.length === 0 ? '' : `${output.join('\n')}\n`),
    };
    org.files.set(file.id, file);
    Object.assign(batch, {
      status: 'completed',
      output_file_id: file.id,
      in_progress_at: batch.in_progress_at ?? at,
      finalizing_at: at,
      completed_at: at,
      request_counts: { total: lines.length, completed: lines.length, failed: 0 },
    } satisfies Partial<MutableBatch>);
    return { ...batch };
  }

  reset(): void {
    this.orgs.clear();
  }

  private org(key: string): Org {
    let org = this.orgs.get(key);
    if (org === undefined) {
      org = { files: new Map(), batches: new Map() };
      this.orgs.set(key, org);
    }
    return org;
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private async upload(ex: Exchange, org: Org, body: Buffer): Promise<void> {
    const contentType = ex.req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data/i.test(contentType)) {
      return ex.json(400, invalidRequest('Request must be multipart/form-data with fields file and purpose'));
    }
    let form: FormData;
    try {
      // The fake already holds the whole body; the platform's parser is all it needs.
      form = await new Request('http://fake-groq.invalid/', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) }).formData();
    } catch (error) {
      return ex.json(400, invalidRequest(`Malformed multipart body: ${error instanceof Error ? error.message : String(error)}`));
    }
    const purpose = form.get('purpose');
    if (purpose !== 'batch') {
      return ex.json(400, invalidRequest(`purpose must be "batch", got ${purpose === null ? 'none' : JSON.stringify(String(purpose))}`, 'purpose'));
    }
    const file = form.get('file');
    if (file === null || typeof file === 'string') return ex.json(400, invalidRequest('file is required and must be a file', 'file'));
    if (!file.name.toLowerCase().endsWith('.jsonl')) {
      return ex.json(400, invalidRequest(`The Batch API only supports .jsonl files, got ${JSON.stringify(file.name)}`, 'file'));
    }
    const content = Buffer.from(await file.arrayBuffer());
    const badLine = firstNonJsonLine(content);
    if (badLine !== undefined) return ex.json(400, invalidRequest(`file is not valid JSONL: line ${badLine} is not a JSON object`, 'file'));
    const stored: FakeFile = { id: newId('file'), filename: file.name, purpose: 'batch', createdAt: this.seconds(), content };
    org.files.set(stored.id, stored);
    ex.json(200, fileObject(stored));
  }

  private createBatch(ex: Exchange, org: Org, body: Buffer): void {
    let params: unknown;
    try {
      params = JSON.parse(body.toString('utf8'));
    } catch {
      return ex.json(400, invalidRequest('Request body is not valid JSON'));
    }
    ex.call.body = params;
    if (typeof params !== 'object' || params === null || Array.isArray(params)) return ex.json(400, invalidRequest('Request body must be a JSON object'));
    const { input_file_id: inputFileId, endpoint, completion_window: window, metadata } = params as Record<string, unknown>;
    if (typeof inputFileId !== 'string' || inputFileId === '') return ex.json(400, invalidRequest('input_file_id is required', 'input_file_id'));
    const input = org.files.get(inputFileId);
    if (input === undefined) return ex.json(400, invalidRequest(`Input file \`${inputFileId}\` not found`, 'input_file_id'));
    if (input.purpose !== 'batch') return ex.json(400, invalidRequest(`Input file \`${inputFileId}\` must have purpose "batch"`, 'input_file_id'));
    if (endpoint !== BATCH_ENDPOINT) return ex.json(400, invalidRequest(`endpoint must be "${BATCH_ENDPOINT}"`, 'endpoint'));
    const windowSeconds = typeof window === 'string' ? durationSeconds(window) : undefined;
    if (windowSeconds === undefined || windowSeconds < MIN_WINDOW_SECONDS || windowSeconds > MAX_WINDOW_SECONDS) {
      return ex.json(400, invalidRequest('completion_window must be a duration from 24h to 7d, e.g. "24h"', 'completion_window'));
    }
    if (metadata !== undefined && metadata !== null && !isStringMap(metadata)) {
      return ex.json(400, invalidRequest('metadata must be a map of strings', 'metadata'));
    }

    const at = this.seconds();
    const { lines, errors } = parseBatchLines(input.content, this.models);
    const batch: MutableBatch = {
      id: newId('batch'),
      object: 'batch',
      endpoint,
      errors: errors.length > 0 ? { object: 'list', data: errors } : null,
      input_file_id: inputFileId,
      completion_window: window as string,
      status: errors.length > 0 ? 'failed' : 'validating',
      output_file_id: null,
      error_file_id: null,
      created_at: at,
      in_progress_at: null,
      expires_at: at + windowSeconds,
      finalizing_at: null,
      completed_at: null,
      failed_at: errors.length > 0 ? at : null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: errors.length > 0 ? 0 : lines.length, completed: 0, failed: 0 },
      metadata: (metadata as Record<string, string> | null | undefined) ?? null,
    };
    org.batches.set(batch.id, batch);
    ex.json(200, batch);
  }

  /** Answers `cancelling`, as Groq does; the stored batch is `cancelled` from then on. */
  private cancel(ex: Exchange, batch: MutableBatch): void {
    if (TERMINAL.has(batch.status) || batch.status === 'cancelling') {
      return ex.json(400, invalidRequest(`Cannot cancel a batch with status ${batch.status}`));
    }
    const at = this.seconds();
    batch.cancelling_at = at;
    const answer = { ...batch, status: 'cancelling' as const };
    batch.status = 'cancelled';
    batch.cancelled_at = at;
    ex.json(200, answer);
  }
}

function fileObject(file: FakeFile): Record<string, unknown> {
  return { id: file.id, object: 'file', bytes: file.content.length, created_at: file.createdAt, filename: file.filename, purpose: file.purpose };
}

/** 1-based number of the first non-empty line that is not a JSON object, if any. */
function firstNonJsonLine(content: Buffer): number | undefined {
  const lines = content.toString('utf8').split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return index + 1;
    } catch {
      return index + 1;
    }
  }
  return undefined;
}

/** Groq's batch input format: `{custom_id, method: "POST", url: "/v1/chat/completions", body: {model, ...}}` per line. */
function parseBatchLines(content: Buffer, models: ReadonlyMap<string, FakeModel>): { lines: BatchLine[]; errors: BatchError[] } {
  const lines: BatchLine[] = [];
  const errors: BatchError[] = [];
  const seen = new Set<string>();
  const fail = (line: number | null, code: string, message: string, param: string | null = null): void => {
    errors.push({ code, line, message, param });
  };
  for (const [index, text] of content.toString('utf8').split('\n').entries()) {
    if (text.trim() === '') continue;
    const n = index + 1;
    const value = JSON.parse(text) as Record<string, unknown>;
    const body = value.body as Record<string, unknown> | undefined;
    if (typeof value.custom_id !== 'string' || value.custom_id === '') fail(n, 'missing_required_parameter', 'custom_id is required', 'custom_id');
    else if (seen.has(value.custom_id)) fail(n, 'duplicate_custom_id', `custom_id ${JSON.stringify(value.custom_id)} is used more than once`, 'custom_id');
    else if (value.method !== 'POST') fail(n, 'invalid_value', 'method must be "POST"', 'method');
    else if (value.url !== BATCH_ENDPOINT) fail(n, 'invalid_url', `url must be "${BATCH_ENDPOINT}"`, 'url');
    else if (typeof body !== 'object' || body === null || typeof body.model !== 'string') fail(n, 'missing_required_parameter', 'body.model is required', 'body.model');
    else if (models.get(body.model)?.kind !== 'chat') fail(n, 'model_not_found', `The model \`${body.model}\` does not exist or you do not have access to it.`, 'body.model');
    else {
      seen.add(value.custom_id);
      lines.push({ customId: value.custom_id, model: body.model });
    }
  }
  if (lines.length === 0 && errors.length === 0) fail(null, 'empty_file', 'The input file has no requests', null);
  return { lines, errors };
}

function resultLine(line: BatchLine, at: number): Record<string, unknown> {
  const content = `Hello from ${line.model}`;
  const completionTokens = content.split(' ').length;
  return {
    id: newId('batch_req'),
    custom_id: line.customId,
    response: {
      status_code: 200,
      request_id: newId('req'),
      body: {
        id: `chatcmpl-${randomUUID()}`,
        object: 'chat.completion',
        created: at,
        model: line.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: completionTokens, total_tokens: 10 + completionTokens },
      },
    },
    error: null,
  };
}

function durationSeconds(text: string): number | undefined {
  const match = /^(\d+)([hd])$/.exec(text.trim());
  if (match === null) return undefined;
  return Number(match[1]) * (match[2] === 'd' ? 86_400 : 3600);
}

function isStringMap(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
