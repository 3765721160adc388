import type { RouterSettings } from '../config/types.js';
import type { Logger } from '../log.js';
import type { OutsideRequests } from '../quota/outside-requests.js';
import type { Demand, QuotaStore, Refusal, Reservation, UpstreamLook, UpstreamView } from '../quota/types.js';
import { classifyUpstreamError, failure, NotSentError, shownFailure, thrownBeforeSending, type UpstreamFailure } from '../upstream/failure.js';
import { GatewayError } from '../errors.js';
import { PoolResponse } from '../upstream/pool-fetch.js';
import { limitInRateLimitMessage, limitWindowMs, requestedInRateLimitMessage, upstreamView } from '../upstream/rate-limit-headers.js';
import { BreakerOpenError } from '../breaker/breaker.js';
import { chunkSourceOf, type ChunkSource } from '../relay/chunk-source.js';
import { recordLatency, type Deployment } from './deployment.js';
import type { Operation, PreparedCall, Spend, TokenUsage } from './operation.js';
import type { ModelGroup } from './table.js';
import { TimedSignal, type AttemptSignal } from './timed-signal.js';

export type { TokenUsage } from './operation.js';

/** One caller's request as the attempt loop sees it, whatever the endpoint. */
export interface RoutedRequest {
  readonly alias: string;
  /** What the endpoint sends and how it counts. */
  readonly operation: Operation;
  /** Whether the answer is read as a stream (SSE, or audio bytes) rather than whole. */
  readonly stream: boolean;
  /** Estimated prompt tokens, for context-window checks; 0 where they do not apply. */
  readonly promptTokens: number;
  /** Fires when the caller disconnects or the request deadline passes. */
  readonly signal: AbortSignal;
  /**
   * The request's deadline, when `signal` is its signal (no shorter limit of the caller's own): an attempt
   * whose limit is the time the request has left shares it instead of making a signal of its own.
   */
  readonly deadlineSignal?: TimedSignal;
  /** `performance.now()` value by which the request must be answered. */
  readonly deadline: number;
  /** The most tokens it may book: a caller taking up a promised retry gets what was promised. */
  readonly tokenCeiling?: number;
  /** The request's own `fallbacks`: tried after the alias's group instead of the configured ones. */
  readonly extraFallbacks?: readonly ModelGroup[];
  /** `mock_testing_fallbacks`: the alias's own group counts as failed, without an upstream call. */
  readonly mockPrimaryFailure?: boolean;
  /** Whether the caller's key may use an alias; absent for every alias. Chains are filtered by it. */
  readonly mayUseAlias?: (alias: string) => boolean;
  /** The request's own `num_retries`, instead of the router's. */
  readonly numRetries?: number;
}

export interface RouteContext {
  readonly quota: QuotaStore;
  readonly log: Logger;
  /** `router_settings`: retries, `drop_params`, the completion cap policy, timeouts, the largest answer read. */
  readonly router: RouterSettings;
  /** With several instances: one half-open trial per deployment across all of them. */
  readonly trials?: { claimTrial(deploymentId: string): Promise<boolean>; releaseTrial(deploymentId: string): void };
  /** Told whenever booked capacity comes back (a settle or release), so waiting requests can re-plan. */
  readonly onCapacity?: () => void;
  /** Reads every look's per-day gap as requests of others since the budget's previous look. */
  readonly outsideRequests?: OutsideRequests;
  /** Takes the configured secrets out of upstream text: an upstream may echo its key in an error. */
  readonly redact: (text: string) => string;
}

/**
 * How a served response ends, for the books: what was spent, or that it must be given back (with the
 * failure, when a stream broke after its first byte, so the breaker counts it).
 */
export type Finish = { readonly usage: TokenUsage | undefined } | Released;

type Released = { readonly released: true; readonly failure?: UpstreamFailure };

export interface Served {
  readonly deployment: Deployment;
  readonly upstream: Response;
  /** Non-stream responses: the whole body, already read and accounted for. */
  readonly body: Uint8Array | undefined;
  /** Non-stream responses: the usage the body reported. */
  readonly usage: TokenUsage | undefined;
  /** Streams: the first chunk (already read, so a failure before it could fall back) and the rest. */
  readonly stream: { readonly first: Uint8Array; readonly source: ChunkSource } | undefined;
  /** Cancels the upstream call. */
  readonly attempt: AttemptSignal;
  /** The completion cap sent, when the endpoint sends one (`x-groq-router-max-tokens`). */
  readonly completionCap: number | undefined;
  /** Settles or releases the budget, updates the counters, frees the signal. Idempotent. */
  finish(how: Finish): void;
  readonly upstreamMs: number;
}

/** A deployment whose breaker is open (or whose half-open trial is taken) and why. */
export interface Ejection {
  readonly retryAfterMs: number;
  /** The upstream failure that opened the breaker, as said to the caller. */
  readonly reason: string | undefined;
  /** Whether it is ejected because of a rate limit (the caller then gets 429, else 503). */
  readonly rateLimited: boolean;
}

/** A deployment already carrying `max_parallel_requests` upstream requests: skipped like a full budget. */
export interface Busy {
  readonly limit: number;
}

export type AttemptOutcome =
  | { readonly busy: Busy }
  | { readonly served: Served }
  | { readonly failure: UpstreamFailure; readonly upstreamMs: number }
  | { readonly refusal: Refusal }
  | { readonly ejection: Ejection };

type CallOutcome = Extract<AttemptOutcome, { served: Served } | { failure: UpstreamFailure }>;

/**
 * One deployment, once: pass it over if its breaker is open or its budget has no room, else call it
 * through its breaker, read the answer (all of it, or a stream's first chunk) and keep the books.
 * Never throws for an upstream failure; throws only the caller's own 400s.
 */
export async function attemptDeployment(deployment: Deployment, request: RoutedRequest, ctx: RouteContext): Promise<AttemptOutcome> {
  const { breaker } = deployment;
  let prepared: PreparedCall;
  try {
    prepared = request.operation.prepare(deployment, { dropParams: ctx.router.dropParams, completionCap: ctx.router.completionCap });
  } catch (err) {
    throw notSent(err instanceof GatewayError ? err : new NotSentError(err), ctx);
  }
  if (!breaker.admits) return ejectedOutcome(deployment, prepared, ctx);
  if (atParallelLimit(deployment)) return { busy: { limit: deployment.maxParallelRequests } };

  const budget = deployment.budget;
  if (prepared.keptOut !== undefined) return { refusal: prepared.keptOut };
  let reservation: Reservation | undefined;
  if (budget !== undefined) {
    const reserved = await ctx.quota.reserve(budget, withinCeiling(prepared.demand, request.tokenCeiling));
    if (!reserved.ok) return { refusal: reserved.refusal };
    reservation = reserved.reservation;
  }
  // What the call was booked with: its completion cap may have shrunk to fit the window.
  const booked: Demand = reservation?.demand ?? prepared.demand;
  const release = (): AttemptOutcome => {
    if (budget !== undefined && reservation !== undefined) void ctx.quota.release(budget, reservation).catch(() => undefined);
    return { ejection: ejectionOf(deployment) };
  };
  const trial = breaker.state === 'half-open' && ctx.trials !== undefined;
  // Another instance holds this deployment's trial: ejected as if open until it reports.
  if (trial && !(await ctx.trials?.claimTrial(deployment.id))) return release();
  try {
    return await breaker.run(
      () => callUpstream(deployment, prepared, booked, request, ctx, reservation),
      // A refusal of a request our estimate undersized is no fault of the deployment.
      (outcome) => ('failure' in outcome && !outcome.failure.refusedWithRoom ? outcome.failure : undefined),
    );
  } catch (err) {
    if (err instanceof NotSentError) throw notSent(err, ctx);
    if (!(err instanceof BreakerOpenError)) throw err;
    // Another caller took the half-open trial between our check and our call.
    return release();
  } finally {
    if (trial) ctx.trials?.releaseTrial(deployment.id);
  }
}

/** The demand lowered to `ceiling` tokens where it can shrink that far (never below its minimum). */
function withinCeiling(demand: Demand, ceiling: number | undefined): Demand {
  if (ceiling === undefined || demand.tokens <= ceiling || demand.minTokens === undefined) return demand;
  const tokens = Math.max(demand.minTokens, ceiling);
  return { ...demand, tokens, minTokens: tokens < demand.tokens && demand.minTokens < tokens ? demand.minTokens : undefined };
}

/**
 * A deployment ejected after a 429 is also held to its budget: when the budget needs longer than the
 * ejection (the usual case once Groq's headers are reconciled), that wait is the one the caller must hear,
 * or it would come back at the end of the ejection only to be refused again.
 */
async function ejectedOutcome(deployment: Deployment, prepared: PreparedCall, ctx: RouteContext): Promise<AttemptOutcome> {
  const ejection = ejectionOf(deployment);
  const budget = deployment.budget;
  if (!ejection.rateLimited || budget === undefined) return { ejection };
  const reserved = await ctx.quota.reserve(budget, prepared.demand);
  if (reserved.ok) {
    void ctx.quota.release(budget, reserved.reservation).catch(() => undefined);
    return { ejection };
  }
  const { refusal } = reserved;
  return refusal.retryAfterMs > ejection.retryAfterMs ? { refusal } : { ejection };
}

/**
 * Nothing was sent, so no deployment is to blame and no other deployment would do better: the request
 * ends here, as the caller's error (400) when its input caused it, else the gateway's (500, logged).
 */
function notSent(err: GatewayError | NotSentError, ctx: RouteContext): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err.byInput) return new GatewayError(400, `The request could not be prepared for sending: ${err.message}`, { code: 'invalid_request_body' });
  const original = err.original;
  ctx.log.error(`request failed before it was sent: ${original instanceof Error ? (original.stack ?? original.message) : String(original)}`);
  return new GatewayError(500, 'Internal gateway error while preparing the request', { code: 'internal_error' });
}

function ejectionOf(deployment: Deployment): Ejection {
  const status = deployment.breaker.status();
  return { retryAfterMs: deployment.breaker.retryAfterMs, reason: status.reason, rateLimited: status.cause?.kind === 'rate_limit' };
}

async function callUpstream(
  deployment: Deployment,
  prepared: PreparedCall,
  booked: Demand,
  request: RoutedRequest,
  ctx: RouteContext,
  reservation: Reservation | undefined,
): Promise<CallOutcome> {
  const client = deployment.client;
  if (client === undefined) return { failure: failure('auth', 'deployment is not configured'), upstreamMs: 0 };
  const budget = deployment.budget;

  const remaining = Math.max(1, Math.floor(request.deadline - performance.now()));
  // Whole milliseconds: the SDKs refuse fractional timeouts.
  const attemptMs = Math.min(Math.ceil(deployment.config.timeoutMs ?? ctx.router.timeoutMs), remaining);
  const firstByteMs = request.stream
    ? Math.min(Math.ceil(deployment.config.streamTimeoutMs ?? ctx.router.streamTimeoutMs ?? attemptMs), attemptMs)
    : attemptMs;
  // Limited only by the request's deadline (no shorter limit of the deployment's or for a stream's first
  // byte): the attempt shares the deadline's signal, with no AbortController, timer or listener of its own.
  const signal = firstByteMs >= remaining && request.deadlineSignal !== undefined ? request.deadlineSignal.shared : new TimedSignal(request.signal, firstByteMs);
  const { stats } = deployment;
  stats.inFlight++;
  const started = performance.now();

  let finished = false;
  /** When the answer's headers arrived: the latest the upstream can have admitted (and booked) the request. */
  let answeredAt: number | undefined;
  const close = (how: Spend | Released): void => {
    if (finished) return;
    finished = true;
    stats.inFlight--;
    signal.dispose();
    if ('failure' in how && how.failure !== undefined) deployment.breaker.recordFailure(how.failure);
    if (budget === undefined || reservation === undefined) return;
    const done =
      'released' in how
        ? ctx.quota.release(budget, reservation)
        : ctx.quota.settle(budget, reservation, answeredAt === undefined ? how.actual : { ...how.actual, admittedMsAgo: performance.now() - answeredAt });
    done.then(ctx.onCapacity, (err: unknown) => ctx.log.warn(`quota bookkeeping failed for ${deployment.label}: ${String(err)}`));
  };
  /**
   * Reconciles the budget with the answer's headers; resolves to what was seen, never rejects. Every look
   * is read here, in the order the store compared them, whether or not the endpoint learns from it.
   */
  const observe = (view: UpstreamView | undefined): Promise<UpstreamLook | undefined> => {
    if (budget === undefined || view === undefined) return Promise.resolve(undefined);
    return ctx.quota.observe(budget, view).then(
      (gap): UpstreamLook => ({ tpm: gap.tpm, outsideRequests: ctx.outsideRequests?.since(budget.id, gap.rpd) }),
      (err: unknown) => {
        ctx.log.warn(`quota header sync failed for ${deployment.label}: ${String(err)}`);
        return undefined;
      },
    );
  };
  const finish = (how: Finish): void => close('released' in how ? how : prepared.streamSpent(how.usage, booked));

  try {
    const upstream = await prepared.send(client, { signal: signal.signal, timeoutMs: firstByteMs }, booked).catch((err: unknown) => {
      throw thrownBeforeSending(err) ? new NotSentError(err) : err;
    });
    answeredAt = performance.now();
    const gap = observe(upstreamView(upstream.headers, upstream.status));
    const completionCap = prepared.completionCap?.(booked);
    if (request.stream) {
      const notAStream = wrongStreamType(request.operation, upstream);
      if (notAStream !== undefined) {
        discardBody(upstream);
        close({ released: true });
        return failedAttempt(notAStream, ctx, started);
      }
      const source = chunkSourceOf(upstream);
      const first = await readFirstChunk(source);
      const inBand = request.operation.inBandError?.(first);
      if (inBand !== undefined) {
        source.cancel();
        close({ released: true });
        return failedAttempt(inBand, ctx, started);
      }
      // Once bytes flow, the time-to-first-byte limit no longer applies; the request deadline still does.
      signal.stopTimer();
      const upstreamMs = performance.now() - started;
      recordLatency(stats, upstreamMs);
      void gap.then((seen) => seen !== undefined && prepared.observed?.(seen, undefined, booked));
      const stream = { first, source };
      return { served: { deployment, upstream, body: undefined, usage: undefined, stream, attempt: signal, finish, upstreamMs, completionCap } };
    }
    const whole = await readWholeAnswer(upstream, ctx.router.maxResponseBytes);
    const checked = typeof whole === 'string' ? whole : request.operation.checkAnswer?.(whole, upstream.headers.get('content-type'));
    if (typeof checked === 'string' || typeof whole === 'string') {
      close({ released: true });
      return failedAttempt(badAnswer(typeof checked === 'string' ? checked : 'malformed answer'), ctx, started);
    }
    const upstreamMs = performance.now() - started;
    recordLatency(stats, upstreamMs);
    const spend = prepared.spent(whole, booked, checked);
    // The headers were written with this request still booked: learn from them before the store settles it.
    const seen = await gap;
    if (seen !== undefined) prepared.observed?.(seen, spend.usage, booked);
    close(spend);
    return { served: { deployment, upstream, body: whole, usage: spend.usage, stream: undefined, attempt: signal, finish, upstreamMs, completionCap } };
  } catch (err) {
    if (err instanceof NotSentError) {
      // Not an upstream call: the reservation goes back, the breaker hears nothing.
      close({ released: true });
      throw err;
    }
    const classified = signal.timedOut ? failure('timeout', `no answer within ${firstByteMs} ms`) : classifyUpstreamError(err);
    // A 429's retry-after closes the budget for no longer than the window of the limit it names.
    const view = classified.status === undefined ? undefined : upstreamView(classified.headers, classified.status, limitWindowMs(classified.message));
    // Re-planned once by the attempt loop (moving on after that), never relayed as the caller's mistake.
    const failed = refusedWithRoom(classified, view, booked) ? { ...classified, refusedWithRoom: true, moveOn: true } : classified;
    // The upstream did not count what it refused: given back first, our count compares with its own.
    close({ released: true });
    // No wait makes a request that was undersized fit as sent: its retry-after must not close the budget.
    const seen = await observe(failed.refusedWithRoom === true && view !== undefined ? { ...view, retryAfterMs: undefined } : view);
    // A refusal's headers show other consumers' spending as well as an answer's do.
    if (seen !== undefined) prepared.observed?.(seen, undefined, undefined);
    if (failed.refusedWithRoom) prepared.refusedWithRoom?.(booked, requestedInRateLimitMessage(failed.message));
    return failedAttempt(failed, ctx, started);
  }
}

/**
 * How an attempt that reached the upstream ends in failure. From here on the failure is shown (to the
 * caller, on `/health` and `/status`, in the log), so the upstream's words in it (a message, a content
 * type a check quotes) are cleaned and bounded here, once for every way an attempt fails.
 */
function failedAttempt(failed: UpstreamFailure, ctx: RouteContext, started: number): CallOutcome {
  return { failure: shownFailure(failed, ctx.redact), upstreamMs: performance.now() - started };
}

/**
 * A refusal on tokens per minute of a request we booked as fitting: a 413 (larger than the limit itself)
 * or a 429 whose own headers say the window had room for everything we booked. Either way the upstream
 * counts this request larger than we do, and no wait makes it fit as it was sent.
 */
function refusedWithRoom(failed: UpstreamFailure, view: UpstreamView | undefined, booked: Demand): boolean {
  if (booked.tokens === 0 || limitInRateLimitMessage(failed.message) !== 'tpm') return false;
  if (failed.status === 413) return true;
  return failed.kind === 'rate_limit' && view?.remainingTokens !== undefined && view.remainingTokens >= booked.tokens;
}

async function readFirstChunk(source: ChunkSource): Promise<Uint8Array> {
  // Skip empty reads: the first byte is what commits the response to this deployment.
  for (;;) {
    const chunk = await source.read();
    if (chunk === undefined) throw new Error('upstream closed the stream before sending anything');
    if (chunk.byteLength > 0) return chunk;
  }
}

/**
 * Whether the deployment already has `max_parallel_requests` upstream requests (streams until they end):
 * then a request is not queued behind them in its pool, where the wait would count as the upstream's
 * time, but skipped.
 */
function atParallelLimit(deployment: Deployment): boolean {
  return deployment.stats.inFlight >= deployment.maxParallelRequests;
}

/** A 2xx that is not an answer: the deployment failed (falls back, counts against its breaker). */
function badAnswer(message: string): UpstreamFailure {
  return failure('server_error', message, { code: 'upstream_bad_response' });
}

/** A streamed request must be answered as the endpoint streams (SSE) before a byte of it is relayed. */
function wrongStreamType(operation: Operation, upstream: Response): UpstreamFailure | undefined {
  const expected = operation.streamContentType;
  if (expected === undefined) return undefined;
  const type = upstream.headers.get('content-type');
  if (type !== null && type.toLowerCase().startsWith(expected)) return undefined;
  return badAnswer(`upstream answered a streamed request with ${type ?? 'no content type'}, not ${expected}`);
}

/** Drops an answer's body unread (and its connection): nobody reads it, so its abort is no error. */
function discardBody(upstream: Response): void {
  if (upstream instanceof PoolResponse) {
    upstream.call.cancel();
    return;
  }
  void upstream.body?.cancel().catch(() => undefined);
}

/**
 * Reads a non-streamed answer whole, but never more than `maxBytes`: past it (by `content-length` or as
 * counted) the body is abandoned, which drops the upstream connection, and the reason is returned.
 * An answer that came in one chunk (the usual case) is that chunk, not a copy of it.
 */
async function readWholeAnswer(upstream: Response, maxBytes: number): Promise<Uint8Array | string> {
  const source = chunkSourceOf(upstream);
  const tooLarge = () => `upstream answer is larger than max_response_size_mb (${+(maxBytes / 1024 / 1024).toFixed(2)} MB)`;
  const declared = Number(upstream.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    source.cancel();
    return tooLarge();
  }
  const rest = source.readRest?.();
  if (rest !== undefined) return rest.byteLength > maxBytes ? tooLarge() : rest;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = await source.read();
    if (chunk === undefined) break;
    total += chunk.byteLength;
    if (total > maxBytes) {
      source.cancel();
      return tooLarge();
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, total);
}
