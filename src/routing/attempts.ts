import { GatewayError } from '../errors.js';
import { classifyStatus, classifyUpstreamError, failure, type UpstreamFailure } from '../upstream/failure.js';
import { prepareChatBody, type ChatBody } from '../upstream/hygiene.js';
import { TimedSignal } from './timed-signal.js';
import type { Deployment } from './deployment.js';
import { attemptOrder } from './strategy.js';
import type { ModelGroup, RoutingTable } from './table.js';

export interface ChatRequest {
  readonly alias: string;
  readonly body: ChatBody;
  readonly stream: boolean;
  readonly promptTokens: number;
  /** Fires when the caller disconnects or the request deadline passes. */
  readonly signal: AbortSignal;
  /** `performance.now()` value by which the request must be answered. */
  readonly deadline: number;
}

export interface RoutingSettings {
  readonly dropParams: boolean;
  readonly attemptTimeoutMs: number;
  readonly streamTimeoutMs: number | undefined;
}

/** What happened to one deployment on the way to an answer. */
export interface AttemptRecord {
  readonly deployment: Deployment;
  readonly skipped: boolean;
  readonly reason: string;
  readonly failure: UpstreamFailure | undefined;
}

export interface AttemptTrail {
  readonly records: AttemptRecord[];
  /** Fallback groups entered after the alias's own group. */
  fallbacks: number;
  /** Further attempts inside the same group. */
  retries: number;
  /** Time spent waiting on upstreams, ms. */
  upstreamMs: number;
}

export interface ServedResponse {
  readonly deployment: Deployment;
  readonly group: ModelGroup;
  readonly upstream: Response;
  /** Non-stream responses: the whole body, already read. */
  readonly body: ArrayBuffer | undefined;
  /** Streams: the first chunk (already read, so a failure before it could fall back) and the rest. */
  readonly stream: { readonly first: Uint8Array; readonly reader: ReadableStreamDefaultReader<Uint8Array> } | undefined;
  /** Cancels the upstream call; `dispose` once the response is finished. */
  readonly attempt: TimedSignal;
  readonly trail: AttemptTrail;
}

/**
 * Walks the alias's chain: each group's deployments in attempt order, then the fallback groups, until one
 * deployment answers. Deployment faults (429, 5xx, timeouts, connection errors, bad keys, unknown model)
 * move on; the caller's own errors (400/413/422) go straight back.
 */
export async function routeChat(request: ChatRequest, table: RoutingTable, settings: RoutingSettings): Promise<ServedResponse> {
  const trail: AttemptTrail = { records: [], fallbacks: 0, retries: 0, upstreamMs: 0 };
  let chain = table.chainFor(request.alias, request.promptTokens) ?? [];
  let attemptsInGroup = 0;
  // After an upstream context-length error only larger windows can help.
  let needsContextAbove = 0;

  for (let index = 0; index < chain.length; index++) {
    const group = chain[index] as ModelGroup;
    if (index > 0 && trail.records.some((r) => !r.skipped)) trail.fallbacks++;
    attemptsInGroup = 0;
    for (const deployment of attemptOrder(group.deployments)) {
      const skip = skipReason(deployment, request.promptTokens, needsContextAbove);
      if (skip !== undefined) {
        trail.records.push({ deployment, skipped: true, reason: skip, failure: undefined });
        continue;
      }
      if (request.signal.aborted) throw abortedError(request);
      if (attemptsInGroup++ > 0) trail.retries++;
      const outcome = await attempt(deployment, request, settings, trail);
      if ('served' in outcome) return { ...outcome.served, group, trail };
      const failed = outcome.failure;
      trail.records.push({ deployment, skipped: false, reason: describeFailure(failed), failure: failed });
      if (failed.kind === 'aborted') throw abortedError(request);
      if (!failed.moveOn) throw upstreamClientError(failed);
      if (failed.kind === 'context_window') {
        needsContextAbove = Math.max(needsContextAbove, deployment.contextWindow ?? 0);
        chain = [...chain.slice(0, index + 1), ...table.contextChainFor(request.alias).filter((g) => !chain.includes(g))];
      }
    }
  }
  throw exhaustedError(request.alias, trail);
}

type AttemptOutcome =
  | { served: Omit<ServedResponse, 'group' | 'trail'> }
  | { failure: UpstreamFailure };

async function attempt(
  deployment: Deployment,
  request: ChatRequest,
  settings: RoutingSettings,
  trail: AttemptTrail,
): Promise<AttemptOutcome> {
  const client = deployment.client;
  if (client === undefined) return { failure: failure('auth', 'deployment is not configured') };
  // May throw a 400 for the caller (e.g. an unsupported parameter without drop_params).
  const body = prepareChatBody(request.body, {
    provider: deployment.provider,
    model: deployment.config.model,
    maxCompletionTokens: deployment.maxCompletionTokens,
    dropParams: settings.dropParams,
  });
  // Whole milliseconds: the SDKs refuse fractional timeouts.
  const remaining = Math.max(1, Math.floor(request.deadline - performance.now()));
  const attemptMs = Math.min(Math.ceil(deployment.config.timeoutMs ?? settings.attemptTimeoutMs), remaining);
  const firstByteMs = request.stream
    ? Math.min(Math.ceil(deployment.config.streamTimeoutMs ?? settings.streamTimeoutMs ?? attemptMs), attemptMs)
    : attemptMs;
  const signal = new TimedSignal(request.signal, firstByteMs);
  const started = performance.now();
  try {
    const upstream = await client.chatCompletions(body, { signal: signal.signal, timeoutMs: firstByteMs });
    if (request.stream) {
      const reader = (upstream.body as ReadableStream<Uint8Array>).getReader();
      const first = await readFirstChunk(reader);
      const inBandError = inBandStreamError(first);
      if (inBandError !== undefined) {
        void reader.cancel().catch(() => undefined);
        signal.dispose();
        return { failure: inBandError };
      }
      // Once bytes flow, the time-to-first-byte limit no longer applies; the request deadline still does.
      signal.stopTimer();
      return { served: { deployment, upstream, body: undefined, stream: { first, reader }, attempt: signal } };
    }
    const bytes = await upstream.arrayBuffer();
    signal.stopTimer();
    return { served: { deployment, upstream, body: bytes, stream: undefined, attempt: signal } };
  } catch (err) {
    const failed = signal.timedOut ? failure('timeout', `no answer within ${Math.round(firstByteMs)} ms`) : classifyUpstreamError(err);
    signal.dispose();
    return { failure: failed };
  } finally {
    trail.upstreamMs += performance.now() - started;
  }
}

async function readFirstChunk(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Uint8Array> {
  // Skip empty reads: the first byte is what commits the response to this deployment.
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('upstream closed the stream before sending anything');
    if (value !== undefined && value.byteLength > 0) return value;
  }
}

const DATA_ERROR_PREFIX = 'data: {"error"';

/** An upstream that opens a stream with an error frame has failed before anything reached the caller. */
function inBandStreamError(first: Uint8Array): UpstreamFailure | undefined {
  const head = Buffer.from(first.buffer, first.byteOffset, Math.min(first.byteLength, 256)).toString('utf8');
  if (!head.startsWith(DATA_ERROR_PREFIX)) return undefined;
  const text = Buffer.from(first.buffer, first.byteOffset, first.byteLength).toString('utf8');
  const json = text.slice('data: '.length).split('\n', 1)[0] ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    parsed = undefined;
  }
  const classified = classifyStatus(500, parsed, undefined);
  return failure('stream_error', classified.message, { code: classified.code, type: classified.type });
}

function skipReason(deployment: Deployment, promptTokens: number, needsContextAbove: number): string | undefined {
  if (deployment.client === undefined) return `not configured: ${deployment.config.unconfiguredReason ?? 'no API key'}`;
  const window = deployment.contextWindow;
  if (window !== null && (promptTokens > window || (needsContextAbove > 0 && window <= needsContextAbove))) {
    return `context window ${window} tokens is too small for ~${promptTokens} prompt tokens`;
  }
  return undefined;
}

function describeFailure(failed: UpstreamFailure): string {
  const status = failed.status !== undefined ? `${failed.status} ` : '';
  return `${status}${failed.kind.replace('_', ' ')}: ${failed.message}`;
}

function abortedError(request: ChatRequest): GatewayError {
  if (performance.now() >= request.deadline) {
    return new GatewayError(408, `request timed out for ${request.alias}`, { code: 'timeout' });
  }
  // The caller is gone; this answer is never read, but keeps the handler's contract.
  return new GatewayError(499 as 400, 'client closed the request', { code: 'client_closed_request' });
}

/** The caller's own mistake, as the upstream described it, with the upstream's status. */
function upstreamClientError(failed: UpstreamFailure): GatewayError {
  const status = (failed.status ?? 400) as 400;
  return new GatewayError(status, failed.message, { code: failed.code ?? null, headers: rateLimitHeaders(failed.headers) });
}

function rateLimitHeaders(headers: Headers | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  headers?.forEach((value, name) => {
    if (name.startsWith('x-ratelimit-')) out[name] = value;
  });
  return out;
}

/** Every deployment in the chain failed or was skipped: say what was tried and why. */
function exhaustedError(alias: string, trail: AttemptTrail): GatewayError {
  const tried = trail.records.map((r) => `${r.deployment.label}: ${r.skipped ? 'skipped, ' : ''}${r.reason}`);
  const message = `No deployment of ${alias} could answer. Tried: ${tried.join('; ') || 'nothing (no deployments)'}`;
  const failures = trail.records.flatMap((r) => (r.failure ? [r.failure] : []));
  const attemptedHeaders = {
    'x-litellm-attempted-fallbacks': String(trail.fallbacks),
    'x-litellm-attempted-retries': String(trail.retries),
  };
  if (failures.length > 0 && failures.every((f) => f.kind === 'rate_limit')) {
    const waits = failures.map((f) => f.retryAfterSec ?? 1);
    const retryAfter = Math.max(1, Math.ceil(Math.min(...waits)));
    return new GatewayError(429, message, {
      code: 'rate_limit_exceeded',
      headers: { 'retry-after': String(retryAfter), ...attemptedHeaders },
    });
  }
  const last = failures.at(-1);
  if (last === undefined) return new GatewayError(503, message, { code: 'no_deployment_available', headers: attemptedHeaders });
  if (last.kind === 'timeout') return new GatewayError(504, message, { type: 'timeout_error', code: 'timeout', headers: attemptedHeaders });
  const status = last.kind === 'server_error' && last.status !== undefined ? (last.status as 500) : 502;
  return new GatewayError(status, message, { code: last.code ?? 'upstream_error', headers: attemptedHeaders });
}
