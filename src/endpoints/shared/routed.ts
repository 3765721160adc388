import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context } from 'hono';
import type { Redactor } from '../../config/secrets.js';
import type { GatewayConfig } from '../../config/types.js';
import { GatewayError } from '../../errors.js';
import { readJsonObject } from '../../http/json-body.js';
import type { Gateway, GatewayState } from '../../gateway.js';
import type { Logger } from '../../log.js';
import { requestLine, requestRecord, type RequestOutcome } from '../../metrics/request-record.js';
import type { Principal } from '../../middleware/api-key.js';
import { clientOf } from '../../middleware/request-id.js';
import { mayUseName } from './name-access.js';
import type { TokenPlanning } from '../../quota/token-planning.js';
import type { AttemptTrail } from '../../routing/attempt-trail.js';
import { routeRequest, type RoutedRequest, type RouteContext, type ServedResponse } from '../../routing/route-request.js';
import { RateLimitRefusal, RoutingError } from '../../routing/routing-error.js';
import type { Operation } from '../../routing/operation.js';
import { pipeSse, type RelayOptions, type SseDialect, type SseRelayOptions, type StreamUsage } from '../../relay/sse-relay.js';
import { pipeBytes } from '../../relay/byte-relay.js';
import type { RoutingTable } from '../../routing/table.js';
import { TimedSignal } from '../../routing/timed-signal.js';
import { failure, shownFailure } from '../../upstream/failure.js';
import { RATE_LIMIT_HEADERS, relayableLimitValue } from '../../upstream/rate-limit-headers.js';
import type { RequestOptions } from './litellm-options.js';
import { answerLocally, type LocalAnswer } from './local-answer.js';

/** What @hono/node-server, which the gateway always runs on, hands a handler: the Node request and response. */
export type NodeBindings = { Bindings: { incoming: IncomingMessage; outgoing: ServerResponse } };

/** How a served stream reaches the caller: SSE fixed for its dialect, or bytes as they come (audio). */
export type StreamRelay = { readonly kind: 'sse'; readonly dialect: SseDialect } | { readonly kind: 'bytes' };

/** A request read and checked by its endpoint, ready for the attempt loop. */
export interface Intake {
  readonly alias: string;
  readonly operation: Operation;
  readonly stream: boolean;
  readonly promptTokens: number;
  readonly relay: StreamRelay;
  /** Runs once the answer is over, however it ended (temporary files go). */
  readonly dispose?: () => void;
  /** LiteLLM's request-level options the endpoint read from the body. */
  readonly options?: RequestOptions;
  /** An answer made here without the attempt loop (`mock_response`). */
  readonly local?: LocalAnswer;
}

export interface IntakeContext {
  readonly source: IncomingMessage;
  readonly config: GatewayConfig;
  readonly table: RoutingTable;
  readonly principal: Principal | undefined;
  /** What the gateway has learned about token counts, for endpoints that book tokens. */
  readonly planning: TokenPlanning;
  /** The alias, as soon as it is known: errors after it are counted under it. */
  noteAlias(alias: string): void;
}

/** A Hono app with one routed endpoint: `POST route`, its request read by `intake`. */
export function routedPost(services: RoutedServices, log: Logger, route: string, intake: (ctx: IntakeContext) => Promise<Intake>): Hono<NodeBindings> {
  const routes = new Hono<NodeBindings>();
  routes.post(route, routedHandler(services, log, route, intake));
  return routes;
}

/** The request's JSON body, within the configured size limit. */
export function readJsonBody(intake: IntakeContext): Promise<Record<string, unknown>> {
  return readJsonObject(intake.source, intake.config.general.maxRequestBodyBytes);
}

/** What the routed handler uses of the gateway: the current state, the books and queues, the reporting sinks. */
export type RoutedServices = Pick<Gateway, 'current' | 'quota' | 'planning' | 'headroom' | 'promises' | 'sharedBreakers' | 'stopping' | 'metrics' | 'activity'>;

/**
 * The handler every routed endpoint shares: read the request (the endpoint's `intake`), walk the alias's
 * chain, then answer on the caller's socket: a whole body with the upstream's content type, or a stream
 * relayed as it arrives. Metrics, deadlines and budget settling are the same for every endpoint.
 */
export function routedHandler(services: RoutedServices, log: Logger, route: string, intake: (ctx: IntakeContext) => Promise<Intake>) {
  return async function routed(c: Context<NodeBindings>) {
    const { incoming, outgoing } = c.env;
    const state = services.current;
    const { config, table } = state;
    // This handler writes the request's line (with its attempts) when the answer is over.
    c.set('requestLogged', true);
    // Variables through `c.get`: each `c.var` read makes Hono copy every variable into a new object.
    const report = new RequestReport(services, c, route, c.get('log') ?? log);
    // The drain's deadline ends requests still running, as the caller leaving would.
    const stopping = services.stopping.signal;
    const deadline = new TimedSignal(services.stopping, config.router.timeoutMs);
    // The caller's socket closing early ends the request; one listener, no extra AbortController.
    outgoing.once('close', () => {
      if (!outgoing.writableFinished) deadline.abort('client disconnected');
    });
    let served: ServedResponse;
    let taken: Intake | undefined;
    try {
      taken = await intake({
        source: incoming,
        config,
        table,
        principal: c.get('principal'),
        planning: services.planning,
        noteAlias: (seen) => (report.alias = seen),
      });
      report.alias = taken.alias;
      report.stream = taken.stream;
      if (taken.local !== undefined) {
        deadline.dispose();
        taken.dispose?.();
        report.write({ status: 200 });
        return answerLocally(c, outgoing, table.group(taken.alias), taken.local, taken.stream);
      }
      served = await walkAlias(services, state, c, taken, deadline, report);
    } catch (err) {
      deadline.dispose();
      taken?.dispose?.();
      const status = err instanceof GatewayError ? err.status : 500;
      const reason = err instanceof GatewayError ? err.message : 'Internal gateway error';
      report.write({ status, trail: err instanceof RoutingError ? err.trail : undefined, errorCode: err instanceof GatewayError ? (err.code ?? undefined) : 'internal_error' }, reason);
      throw err;
    }
    writeAnswer(c, served, taken, { deadline, stopping, report, redactor: state.redactor });
    return RESPONSE_ALREADY_SENT;
  };
}

/**
 * Building the request for the attempt loop, and walking it: the endpoint's intake with LiteLLM's
 * request options, the request's deadline, a promised retry taken up, and the headroom queue's waits.
 */
async function walkAlias(services: RoutedServices, state: GatewayState, c: Context<NodeBindings>, taken: Intake, deadline: TimedSignal, report: RequestReport): Promise<ServedResponse> {
  const { config, table } = state;
  const { alias } = taken;
  const options = taken.options ?? {};
  // A request's own `timeout` can only shorten the router's deadline.
  const timeoutMs = Math.min(config.router.timeoutMs, options.timeoutMs ?? Infinity);
  // A caller back at its retry-after takes up the capacity promised to it, and no more.
  const claim = claimOf(c.get('principal'), alias, taken.promptTokens);
  const redeemed = await services.promises.redeem(alias, claim);
  const request: RoutedRequest = {
    alias,
    operation: taken.operation,
    tokenCeiling: redeemed.tokens,
    stream: taken.stream,
    promptTokens: taken.promptTokens,
    signal: timeoutMs < config.router.timeoutMs ? AbortSignal.any([deadline.signal, AbortSignal.timeout(timeoutMs)]) : deadline.signal,
    deadlineSignal: timeoutMs < config.router.timeoutMs ? undefined : deadline,
    deadline: c.get('receivedAt') + timeoutMs,
    extraFallbacks: options.fallbacks,
    mockPrimaryFailure: options.mockPrimaryFailure,
    mayUseAlias: aliasFilterOf(c.get('principal'), table),
    numRetries: options.numRetries,
  };
  const ctx: RouteContext = {
    quota: services.quota,
    log: report.log,
    router: config.router,
    trials: services.sharedBreakers,
    onCapacity: services.headroom.capacityFreed,
    outsideRequests: services.planning.outsideRequests,
    redact: state.redactor.redact,
  };
  const waitFor = {
    maxWaitMs: config.router.maxQueueWaitSec * 1000,
    signal: deadline.signal,
    onWaited: (ms: number) => (report.queueSeconds = ms / 1000),
  };
  try {
    return await services.headroom.run(alias, waitFor, () =>
      routeRequest(request, table, ctx).catch((err: unknown) => {
        if (err instanceof RoutingError) report.queuedPasses.push(err.trail);
        throw err;
      }),
    );
  } catch (err) {
    // What was set aside for this request's redemption is held again first, so a promise made now
    // comes after the later ones it was told about.
    await redeemed.done();
    // The caller is told when its request fits: hold that capacity for it until then.
    if (err instanceof RateLimitRefusal && err.promise !== undefined) {
      const heldFor = await services.promises.promise(alias, claim, err.promise);
      if (heldFor !== undefined && heldFor > err.retryAfterMs) throw err.later(heldFor);
    }
    throw err;
  } finally {
    await redeemed.done();
  }
}

interface AnswerContext {
  readonly deadline: TimedSignal;
  readonly stopping: AbortSignal;
  readonly report: RequestReport;
  readonly redactor: Redactor;
}

/**
 * Writing the answer straight to the caller's socket: a whole body, or a stream relayed as it arrives
 * (no Response object or web stream between the upstream's bytes and the caller's). The books settle
 * and the request is reported when the answer is over.
 */
function writeAnswer(c: Context<NodeBindings>, served: ServedResponse, taken: Intake, how: AnswerContext): void {
  const { outgoing } = c.env;
  const { deadline, stopping, report } = how;
  const headers = responseHeaders(c, served);
  const overheadSeconds = (performance.now() - c.get('receivedAt') - served.trail.upstreamMs) / 1000;
  const firstByteSeconds = served.upstreamMs / 1000;
  const servedAs = { deployment: served.deployment, group: served.group.name };
  if (served.stream === undefined) {
    deadline.dispose();
    taken.dispose?.();
    headers['content-type'] = served.upstream.headers.get('content-type') ?? 'application/json';
    const whole = served.body as Uint8Array;
    const answer = Buffer.isBuffer(whole) ? whole : Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength);
    // An upstream that echoes its key in an answer: taken out (one byte search per configured key).
    const body = how.redactor.foundIn(answer) ? Buffer.from(how.redactor.redactKeys(answer.toString('utf8'))) : answer;
    // With its length, the head and the whole body leave in one write with no chunked framing around them.
    headers['content-length'] = String(body.byteLength);
    // The answer goes out first; counting and logging it (in the same turn, before any other request) after.
    try {
      outgoing.writeHead(200, headers);
      outgoing.end(body);
    } finally {
      report.write({ status: 200, served: servedAs, trail: served.trail, usage: served.usage, overheadSeconds, firstByteSeconds, upstreamSeconds: firstByteSeconds });
    }
    return;
  }

  const relayKind = taken.relay;
  if (relayKind.kind === 'sse') {
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
  } else {
    headers['content-type'] = served.upstream.headers.get('content-type') ?? 'application/octet-stream';
  }
  const streamStartedAt = performance.now();
  const dispose = taken.dispose;
  let usage: StreamUsage | undefined;
  const relay: RelayOptions = {
    first: served.stream.first,
    source: served.stream.source,
    cancelUpstream: () => served.attempt.abort('client disconnected'),
    onEnd: (end) => {
      deadline.dispose();
      dispose?.();
      // A caller that left mid-stream gets its reservation back; the upstream headers correct the rest.
      // A stream the drain cut (or that broke because of it) is the gateway's doing, not the deployment's.
      // A fault of the gateway's own is not the deployment's either; the request counts as a gateway error (500).
      // The upstream's words, cleaned and bounded once, for the breaker, the log and the status page alike.
      const broke = end.kind === 'upstream_error' ? shownFailure(failure('stream_error', end.message), how.redactor.redact) : undefined;
      if (end.kind === 'client_cancelled' || end.kind === 'stopped' || end.kind === 'gateway_error' || stopping.aborted) served.finish({ released: true });
      else if (broke !== undefined) served.finish({ released: true, failure: broke });
      else served.finish({ usage });
      report.write({
        errorCode: end.kind === 'upstream_error' ? 'upstream_stream_error' : end.kind === 'gateway_error' ? 'internal_error' : undefined,
        status: end.kind === 'client_cancelled' ? 499 : end.kind === 'gateway_error' ? 500 : 200,
        brokenStream: end.kind === 'upstream_error' || end.kind === 'stopped',
        served: servedAs,
        trail: served.trail,
        usage,
        overheadSeconds,
        firstByteSeconds,
        upstreamSeconds: firstByteSeconds + (performance.now() - streamStartedAt) / 1000,
      }, broke !== undefined ? `stream broke after its first byte: ${broke.message}` : end.kind === 'gateway_error' ? end.message : undefined);
    },
  };
  if (relayKind.kind === 'bytes') {
    void pipeBytes(outgoing, headers, relay);
    return;
  }
  // Field by field: a spread and more keys would cost V8 a shape lookup per stream.
  const sse: SseRelayOptions = {
    first: relay.first,
    source: relay.source,
    cancelUpstream: relay.cancelUpstream,
    onEnd: relay.onEnd,
    dialect: relayKind.dialect,
    stop: stopping,
    redact: how.redactor.redact,
    keys: how.redactor,
    onUsage: (seen) => (usage = seen),
  };
  void pipeSse(outgoing, headers, sse);
}

/**
 * Reporting: the one exit of every request, counted, shown on the status page, then written as the
 * request's log line. Holds what is learned of the request on the way (its alias, queue waits).
 */
class RequestReport {
  alias = '';
  stream = false;
  queueSeconds = 0;
  /** Passes refused before a wait in the headroom queue: their attempts count too (Groq's 429s among them). */
  readonly queuedPasses: AttemptTrail[] = [];

  constructor(
    private readonly sinks: Pick<RoutedServices, 'metrics' | 'activity'>,
    private readonly c: Context<NodeBindings>,
    private readonly route: string,
    readonly log: Logger,
  ) {}

  write(fields: Partial<RequestOutcome> & Pick<RequestOutcome, 'status'>, reason?: string): void {
    const { c } = this;
    const outcome: RequestOutcome = {
      alias: this.alias,
      route: this.route,
      stream: this.stream,
      brokenStream: false,
      served: undefined,
      usage: undefined,
      totalSeconds: (performance.now() - c.get('receivedAt')) / 1000,
      overheadSeconds: undefined,
      firstByteSeconds: undefined,
      upstreamSeconds: undefined,
      queueSeconds: this.queueSeconds,
      requestId: c.get('requestId'),
      client: clientOf(c.get('principal')),
      errorCode: undefined,
      ...fields,
      trail: withEarlierPasses(fields.trail, this.queuedPasses),
    };
    this.sinks.metrics.recordRequest(outcome);
    this.sinks.activity.recordRequest(outcome, reason);
    const record = requestRecord(outcome);
    if (this.log.enabled?.('debug') ?? true) for (const attempt of record.attempts) this.log.debug('upstream attempt', { alias: this.alias, ...attempt });
    this.log.info(requestLine(record), record);
  }
}

/** The last pass's trail, with the attempts of the passes the headroom queue made before it. */
function withEarlierPasses(trail: AttemptTrail | undefined, passes: readonly AttemptTrail[]): AttemptTrail | undefined {
  const earlier = passes.filter((pass) => pass !== trail);
  if (trail === undefined || earlier.length === 0) return trail;
  return {
    ...trail,
    all: [...earlier.flatMap((pass) => pass.all), ...trail.all],
    calls: earlier.reduce((sum, pass) => sum + pass.calls, trail.calls),
  };
}

/**
 * Who a promised retry belongs to: the same caller sending a request of the same size to the same
 * alias. A coding agent sends the very request it was refused again; agents beside it send others.
 */
function claimOf(principal: Principal | undefined, alias: string, promptTokens: number): string {
  return `${clientOf(principal)}\n${alias}\n${promptTokens}`;
}

/** A client key limited to some aliases: its chains are filtered to them. */
function aliasFilterOf(principal: Principal | undefined, table: RoutingTable): ((alias: string) => boolean) | undefined {
  return principal?.kind === 'client' && principal.models !== undefined ? (alias) => mayUseName(principal, table, alias) : undefined;
}

function responseHeaders(c: Context, served: ServedResponse): Record<string, string> {
  const totalMs = performance.now() - c.get('receivedAt');
  const requestId = c.get('requestId');
  // One literal, no spread: an object begun by a spread and then grown key by key took V8's slow path
  // for every later key (about 12 µs per answer against 0.6 µs, measured).
  const headers: Record<string, string> = {
    'x-request-id': requestId,
    'x-litellm-call-id': requestId,
    'x-litellm-model-id': served.deployment.id,
    'x-litellm-model-group': served.group.name,
    'x-litellm-attempted-fallbacks': String(served.trail.fallbacks),
    'x-litellm-attempted-retries': String(served.trail.retries),
    'x-groq-router-upstream-calls': String(served.trail.calls),
    'x-litellm-overhead-duration-ms': (totalMs - served.trail.upstreamMs).toFixed(3),
    'x-litellm-response-duration-ms': totalMs.toFixed(3),
  };
  if (served.completionCap !== undefined) headers['x-groq-router-max-tokens'] = String(served.completionCap);
  for (const name of RATE_LIMIT_HEADERS) {
    const value = served.upstream.headers.get(name);
    if (value !== null && relayableLimitValue(value)) headers[name] = value;
  }
  return headers;
}
