/**
 * A fake Groq API on node:http for integration tests, demos and benchmarks: Groq's paths, auth,
 * validation, rate-limit headers and 429s, plus scriptable faults. See types.ts for the API.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { handleChat } from './chat-handler.js';
import { handleAudio } from './audio-handler.js';
import { handleResponses } from './responses-handler.js';
import { handleSpeech } from './speech-handler.js';
import { resolveEnv, type FakeEnv } from './env.js';
import { groqError, invalidApiKey, unknownUrl } from './errors.js';
import { Exchange } from './exchange.js';
import { FilesAndBatches, isFilesOrBatchesPath } from './files-batches.js';
import { BodyTooLarge, readBody, sleep } from './http-util.js';
import { keyPreview, newRequestId } from './ids.js';
import { ModelListing } from './model-listing.js';
import type { FakeGroq, FakeGroqOptions, MutableCall } from './types.js';

export type { FakeCall, FakeGroq, FakeGroqOptions, QuotaSpend } from './types.js';
export type { Fault, StatusFault } from './faults.js';
export type { RateLimits, ResolvedLimits } from './limits.js';
export type { FakeModel, FakeModelKind } from './models.js';
export type { ChatRequest, ChatMessage, ContentPart, ToolDefinition } from './request.js';
export type { GroqErrorBody, GroqErrorPayload } from './errors.js';
export type { ReplyFn } from './plan.js';
export type { UsageSnapshot } from './rate-limiter.js';
export type { FakeBatch, FakeFile } from './files-batches.js';
export type { ModelsFault } from './model-listing.js';
export { GENEROUS_LIMITS, GROQ_DEV_LIMITS } from './limits.js';
export { BUILTIN_MODELS } from './models.js';
export { TOOL_TRIGGER } from './plan.js';
export { formatGroqDuration, parseGroqDuration } from './duration.js';

const CHAT_PATH = '/openai/v1/chat/completions';
const MODELS_PATH = '/openai/v1/models';
const RESPONSES_PATH = '/openai/v1/responses';
const TRANSCRIPTIONS_PATH = '/openai/v1/audio/transcriptions';
const TRANSLATIONS_PATH = '/openai/v1/audio/translations';
const SPEECH_PATH = '/openai/v1/audio/speech';

/** State that belongs to an organisation (API key): model visibility and listing faults, files and batches. */
interface PerKey {
  readonly listing: ModelListing;
  readonly filesAndBatches: FilesAndBatches;
}

export async function startFakeGroq(options: FakeGroqOptions = {}): Promise<FakeGroq> {
  const env = resolveEnv(options);
  const perKey: PerKey = { listing: new ModelListing(env.models, options.modelsByKey), filesAndBatches: new FilesAndBatches(env.now, env.models) };
  const sockets = new Set<Socket>();
  let received = 0;
  const server = createServer((req, res) => {
    received++;
    handle(env, req, res, perKey).catch((error: unknown) => internalError(res, error));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Garbage that is not HTTP at all: answer like any server would instead of crashing or hanging.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    calls: env.calls,
    get requestCount() {
      return received;
    },
    callCount: (model) => (model === undefined ? env.calls.length : env.calls.filter((c) => c.model === model).length),
    fail: (model, fault, times = Number.POSITIVE_INFINITY) => env.faults.add(model, fault, times),
    clearFaults: (model) => env.faults.clear(model),
    failModels: (key, fault, times) => perKey.listing.fail(key, fault, times),
    clearModelFaults: (key) => perKey.listing.clear(key),
    files: (key) => perKey.filesAndBatches.files(key),
    batches: (key) => perKey.filesAndBatches.batches(key),
    completeBatch: (key, batchId) => perKey.filesAndBatches.completeBatch(key, batchId),
    consume: (key, model, spend) => env.limiter.consume(key, model, spend.requests ?? 0, spend.tokens ?? 0, spend.audioSeconds ?? 0),
    usage: (key, model) => env.limiter.snapshot(key, model),
    clearCalls: () => {
      env.calls.length = 0;
      received = 0;
    },
    reset: () => {
      env.calls.length = 0;
      received = 0;
      env.faults.clear();
      env.limiter.reset();
      perKey.listing.clear();
      perKey.filesAndBatches.reset();
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // server.close() alone waits for keep-alive and hanging requests; a test teardown must not.
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

async function handle(env: FakeEnv, req: IncomingMessage, res: ServerResponse, perKey: PerKey): Promise<void> {
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
  const key = bearerKey(req.headers.authorization);
  const call: MutableCall = {
    at: env.now(),
    method,
    path,
    model: null,
    stream: false,
    keyPreview: key === null ? null : keyPreview(key),
    status: null,
    body: undefined,
    headers: env.fast ? {} : recordedHeaders(req),
    fault: null,
  };
  if (env.recordCalls) env.calls.push(call);
  const ex = new Exchange(req, res, call, env.fast ? 'req_fakefast' : newRequestId());

  let rawBody: Buffer;
  try {
    rawBody = await readBody(req, env.maxBodyBytes);
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) return; // the client went away mid-upload
    return ex.json(413, groqError(error.message, 'invalid_request_error', 'request_too_large'), { connection: 'close' });
  }
  await sleep(env.latencyMs, ex.signal);
  if (ex.signal.aborted) return;

  if (path === CHAT_PATH && method === 'POST') return handleChat(env, ex, key, rawBody);
  if (path === RESPONSES_PATH && method === 'POST') return handleResponses(env, ex, key, rawBody);
  if (path === TRANSCRIPTIONS_PATH && method === 'POST') return handleAudio(env, ex, key, rawBody, 'transcribe');
  if (path === TRANSLATIONS_PATH && method === 'POST') return handleAudio(env, ex, key, rawBody, 'translate');
  if (path === SPEECH_PATH && method === 'POST') return handleSpeech(env, ex, key, rawBody);
  if (path === MODELS_PATH && method === 'GET') {
    if (key === null || !env.acceptsKey(key)) return ex.json(401, invalidApiKey());
    return perKey.listing.list(ex, key);
  }
  if (path.startsWith(`${MODELS_PATH}/`) && method === 'GET') {
    const id = decodePathSegment(path.slice(MODELS_PATH.length + 1));
    if (id !== undefined && id !== '') return withAuth(env, ex, key, () => perKey.listing.get(ex, key as string, id));
  }
  if (isFilesOrBatchesPath(path)) {
    if (key === null || !env.acceptsKey(key)) return ex.json(401, invalidApiKey());
    return perKey.filesAndBatches.handle(ex, method, path, key, rawBody);
  }
  return ex.json(404, unknownUrl(method, path));
}

function withAuth(env: FakeEnv, ex: Exchange, key: string | null, then: () => void): void {
  if (key === null || !env.acceptsKey(key)) return ex.json(401, invalidApiKey());
  then();
}

/** SDKs percent-encode the slash in ids such as `openai/gpt-oss-20b`; a raw slash is accepted too. */
function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function bearerKey(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

function recordedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (out['authorization'] !== undefined) {
    const key = bearerKey(out['authorization']);
    out['authorization'] = key === null ? '<redacted>' : `Bearer ${keyPreview(key)}`;
  }
  return out;
}

/** Last resort: a bug in the fake must show up as a 500 in the test, never as a crashed worker. */
function internalError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const message = `fake-groq internal error: ${error instanceof Error ? error.message : String(error)}`;
  res.writeHead(500, { 'content-type': 'application/json' });
  res.end(JSON.stringify(groqError(message, 'internal_server_error', 'internal_server_error')));
}
