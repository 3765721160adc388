import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import type { Redactor } from '../../config/secrets.js';
import type { GatewayConfig } from '../../config/types.js';
import { GatewayError, RateLimitRefusal } from '../../errors.js';
import type { Gateway } from '../../gateway.js';
import type { Logger } from '../../log.js';
import { requestLine, requestRecord, type ChatOutcome } from '../../metrics/request-record.js';
import type { Principal } from '../../middleware/api-key.js';
import { clientOf } from '../../middleware/request-id.js';
import { mayUseName } from './name-access.js';
import type { TokenPlanning } from '../../quota/token-planning.js';
import { routeRequest, trailOf, type AttemptTrail, type ServedResponse } from '../../routing/route-request.js';
import type { Operation } from '../../routing/operation.js';
import { pipeSse, relaySse, type RelayOptions, type SseDialect, type SseRelayOptions, type StreamUsage } from '../../relay/sse-relay.js';
import { pipeBytes, relayBytes } from '../../relay/byte-relay.js';
import type { RoutingTable } from '../../routing/table.js';
import { TimedSignal } from '../../routing/timed-signal.js';
import { failure } from '../../upstream/failure.js';
import { RATE_LIMIT_HEADERS } from '../../upstream/rate-limit-headers.js';
import type { RequestOptions } from './litellm-options.js';
import { answerLocally, type LocalAnswer } from './local-answer.js';

/** What @hono/node-server hands a handler; absent when the app runs elsewhere (e.g. `app.request`). */
export type NodeBindings = { Bindings: { incoming?: IncomingMessage; outgoing?: ServerResponse } };

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
  readonly source: IncomingMessage | Request;
  readonly config: GatewayConfig;
  readonly table: RoutingTable;
  readonly principal: Principal | undefined;
  /** What the gateway has learned about token counts, for endpoints that book tokens. */
  readonly planning: TokenPlanning;
  /** The alias, as soon as it is known: errors after it are counted under it. */
  noteAlias(alias: string): void;
}

/**
 * The handler every routed endpoint shares: read the request (the endpoint's `intake`), walk the alias's
 * chain, then answer on the caller's socket: a whole body with the upstream's content type, or a stream
 * relayed as it arrives. Metrics, deadlines and budget settling are the same for every endpoint.
 */
export function routedHandler(gateway: Gateway, log: Logger, route: string, intake: (ctx: IntakeContext) => Promise<Intake>) {
  return async function routed(c: Context<NodeBindings>) {
    const { incoming, outgoing } = c.env ?? {};
    const { config, table } = gateway.current;
    // `c.get`, not `c.var`: Hono builds a new object of every variable for each `c.var` read.
    const receivedAt = c.get('receivedAt');
    const requestId = c.get('requestId');
    const requestLog = c.get('log') ?? log;
    const principal = c.get('principal');
    let alias = '';
    let stream = false;
    let queueSeconds = 0;
    // Passes refused before a wait in the headroom queue: their attempts count too (Groq's 429s among them).
    const queuedPasses: AttemptTrail[] = [];
    // This handler writes the request's line (with its attempts) when the answer is over.
    c.set('requestLogged', true);
    // The one exit of every request: counted, shown on the status page, then written as the request's log line.
    const report = (fields: Partial<ChatOutcome> & Pick<ChatOutcome, 'status'>, reason?: string) => {
      const outcome: ChatOutcome = {
        alias,
        route,
        stream,
        brokenStream: false,
        served: undefined,
        usage: undefined,
        totalSeconds: (performance.now() - receivedAt) / 1000,
        overheadSeconds: undefined,
        firstByteSeconds: undefined,
        upstreamSeconds: undefined,
        queueSeconds,
        requestId,
        client: clientOf(principal),
        errorCode: undefined,
        ...fields,
        trail: withEarlierPasses(fields.trail, queuedPasses),
      };
      gateway.metrics.recordChat(outcome);
      gateway.activity.recordRequest(outcome, reason);
      const record = requestRecord(outcome);
      if (requestLog.enabled?.('debug') ?? true) for (const attempt of record.attempts) requestLog.debug('upstream attempt', { alias, ...attempt });
      requestLog.info(requestLine(record), record);
    };

    let served: ServedResponse;
    let taken: Intake | undefined;
    // The drain's deadline ends requests still running, as the caller leaving would.
    const stopping = gateway.stopping.signal;
    const deadline = new TimedSignal(outgoing === undefined ? AbortSignal.any([c.req.raw.signal, stopping]) : stopping, config.router.timeoutMs);
    // The caller's socket closing early ends the request; one listener, no extra AbortController.
    outgoing?.once('close', () => {
      if (!outgoing.writableFinished) deadline.abort('client disconnected');
    });
    try {
      taken = await intake({
        source: incoming ?? c.req.raw,
        config,
        table,
        principal,
        planning: gateway.planning,
        noteAlias: (seen) => (alias = seen),
      });
      alias = taken.alias;
      stream = taken.stream;
      if (taken.local !== undefined) {
        deadline.dispose();
        taken.dispose?.();
        report({ status: 200 });
        return answerLocally(c, outgoing, table.group(alias), taken.local, stream);
      }
      const options = taken.options ?? {};
      // A request's own `timeout` can only shorten the router's deadline.
      const timeoutMs = Math.min(config.router.timeoutMs, options.timeoutMs ?? Infinity);
      // A caller back at its retry-after takes up the capacity promised to it, and no more.
      const claim = claimOf(principal, alias, taken.promptTokens);
      const redeemed = await gateway.promises.redeem(alias, claim);
      const request = {
        alias,
        operation: taken.operation,
        tokenCeiling: redeemed.tokens,
        stream,
        promptTokens: taken.promptTokens,
        signal: timeoutMs < config.router.timeoutMs ? AbortSignal.any([deadline.signal, AbortSignal.timeout(timeoutMs)]) : deadline.signal,
        deadline: receivedAt + timeoutMs,
        extraFallbacks: options.fallbacks,
        mockPrimaryFailure: options.mockPrimaryFailure,
        mayUseAlias: aliasFilterOf(principal, table),
      };
      const ctx = {
        quota: gateway.quota,
        log: requestLog,
        numRetries: options.numRetries ?? config.router.numRetries,
        retryPolicy: config.router.retryPolicy,
        dropParams: config.router.dropParams,
        completionCap: config.router.completionCap,
        attemptTimeoutMs: config.router.timeoutMs,
        streamTimeoutMs: config.router.streamTimeoutMs,
        maxResponseBytes: config.router.maxResponseBytes,
        trials: gateway.sharedBreakers,
        onCapacity: gateway.headroom.capacityFreed,
      };
      const waitFor = {
        maxWaitMs: config.router.maxQueueWaitSec * 1000,
        signal: deadline.signal,
        onWaited: (ms: number) => (queueSeconds = ms / 1000),
      };
      try {
        served = await gateway.headroom.run(alias, waitFor, () =>
          routeRequest(request, table, ctx).catch((err: unknown) => {
            const trail = trailOf(err);
            if (trail !== undefined) queuedPasses.push(trail);
            throw err;
          }),
        );
      } catch (err) {
        // The caller is told when its request fits: hold that capacity for it until then.
        if (err instanceof RateLimitRefusal && err.promise !== undefined) await gateway.promises.promise(alias, claim, err.promise);
        throw err;
      } finally {
        await redeemed.done();
      }
    } catch (err) {
      deadline.dispose();
      taken?.dispose?.();
      const status = err instanceof GatewayError ? err.status : 500;
      const reason = err instanceof GatewayError ? err.message : 'Internal gateway error';
      report({ status, trail: trailOf(err), errorCode: err instanceof GatewayError ? (err.code ?? undefined) : 'internal_error' }, reason);
      throw err;
    }

    const headers = responseHeaders(receivedAt, requestId, served);
    const overheadSeconds = (performance.now() - receivedAt - served.trail.upstreamMs) / 1000;
    const firstByteSeconds = served.upstreamMs / 1000;
    const servedAs = { deployment: served.deployment, group: served.group.name };
    if (served.stream === undefined) {
      deadline.dispose();
      taken.dispose?.();
      const reportServed = () => report({ status: 200, served: servedAs, trail: served.trail, usage: served.usage, overheadSeconds, firstByteSeconds, upstreamSeconds: firstByteSeconds });
      headers['content-type'] = served.upstream.headers.get('content-type') ?? 'application/json';
      if (outgoing === undefined) {
        reportServed();
        return new Response(served.body, { status: 200, headers });
      }
      // Straight to the socket: a Response object would be built only to be taken apart again. The
      // answer goes out first; counting and logging it (in the same turn, before any other request) after.
      try {
        outgoing.writeHead(200, headers);
        outgoing.end(Buffer.from(served.body as ArrayBuffer));
      } finally {
        reportServed();
      }
      return RESPONSE_ALREADY_SENT;
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
        if (end.kind === 'client_cancelled' || end.kind === 'stopped' || stopping.aborted) served.finish({ released: true });
        else if (end.kind === 'upstream_error') served.finish({ released: true, failure: failure('stream_error', end.message) });
        else served.finish({ usage });
        report({
          errorCode: end.kind === 'upstream_error' ? 'upstream_stream_error' : undefined,
          status: end.kind === 'client_cancelled' ? 499 : 200,
          brokenStream: end.kind === 'upstream_error' || end.kind === 'stopped',
          served: servedAs,
          trail: served.trail,
          usage,
          overheadSeconds,
          firstByteSeconds,
          upstreamSeconds: firstByteSeconds + (performance.now() - streamStartedAt) / 1000,
        }, end.kind === 'upstream_error' ? `stream broke after its first byte: ${end.message}` : undefined);
      },
    };
    if (relayKind.kind === 'bytes') {
      if (outgoing === undefined) return new Response(relayBytes(relay), { status: 200, headers });
      void pipeBytes(outgoing, headers, relay);
      return RESPONSE_ALREADY_SENT;
    }
    // Field by field: a spread and more keys would cost V8 a shape lookup per stream.
    const sse: SseRelayOptions = {
      first: relay.first,
      source: relay.source,
      cancelUpstream: relay.cancelUpstream,
      onEnd: relay.onEnd,
      dialect: redactingErrors(relayKind.dialect, gateway.current.redactor),
      stop: stopping,
      onUsage: (seen: StreamUsage) => (usage = seen),
    };
    if (outgoing === undefined) return new Response(relaySse(sse), { status: 200, headers });
    // Straight to the socket: no web stream between the upstream's bytes and the caller's.
    void pipeSse(outgoing, headers, sse);
    return RESPONSE_ALREADY_SENT;
  };
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

const ERROR_MARK = Buffer.from('"error"');

/**
 * The upstream's own error events in a stream (after its first byte, so relayed rather than retried)
 * carry upstream text: configured secrets are removed from them. Other events cost one byte scan.
 */
function redactingErrors(dialect: SseDialect, redactor: Redactor): SseDialect {
  return {
    ...dialect,
    fix(events, onUsage) {
      const out = dialect.fix(events, onUsage);
      return out.indexOf(ERROR_MARK) === -1 ? out : Buffer.from(redactor.redact(out.toString('utf8')));
    },
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

function responseHeaders(receivedAt: number, requestId: string, served: ServedResponse): Record<string, string> {
  const totalMs = performance.now() - receivedAt;
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
    if (value !== null) headers[name] = value;
  }
  return headers;
}
