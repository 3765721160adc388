import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import type { ModelMode } from '../catalog/types.js';
import type { GatewayConfig } from '../config/types.js';
import { GatewayError, badRequest } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { Logger } from '../log.js';
import type { ChatOutcome } from '../metrics/gateway-metrics.js';
import { mayUse, type Principal } from '../middleware/api-key.js';
import { routeRequest, trailOf, type ServedResponse } from '../routing/attempts.js';
import type { Deployment } from '../routing/deployment.js';
import type { Operation, Unfit } from '../routing/operation.js';
import { pipeSse, relaySse, type RelayOptions, type SseDialect, type StreamUsage } from '../routing/sse-relay.js';
import { pipeBytes, relayBytes } from '../routing/byte-relay.js';
import type { RoutingTable } from '../routing/table.js';
import { TimedSignal } from '../routing/timed-signal.js';
import { failure } from '../upstream/failure.js';
import { RATE_LIMIT_HEADERS } from '../upstream/rate-limit-headers.js';

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
}

export interface IntakeContext {
  readonly source: IncomingMessage | Request;
  readonly config: GatewayConfig;
  readonly table: RoutingTable;
  readonly principal: Principal | undefined;
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
    const receivedAt = c.var.receivedAt;
    let alias = '';
    let stream = false;
    const report = (fields: Partial<ChatOutcome> & Pick<ChatOutcome, 'status'>) =>
      gateway.metrics.recordChat({
        alias,
        route,
        stream,
        brokenStream: false,
        served: undefined,
        trail: undefined,
        usage: undefined,
        totalSeconds: (performance.now() - receivedAt) / 1000,
        overheadSeconds: undefined,
        firstByteSeconds: undefined,
        upstreamSeconds: undefined,
        ...fields,
      });

    let served: ServedResponse;
    let taken: Intake | undefined;
    const deadline = new TimedSignal(outgoing === undefined ? c.req.raw.signal : undefined, config.router.timeoutMs);
    // The caller's socket closing early ends the request; one listener, no extra AbortController.
    outgoing?.once('close', () => {
      if (!outgoing.writableFinished) deadline.abort('client disconnected');
    });
    try {
      taken = await intake({
        source: incoming ?? c.req.raw,
        config,
        table,
        principal: c.var.principal,
        noteAlias: (seen) => (alias = seen),
      });
      alias = taken.alias;
      stream = taken.stream;
      const request = {
        alias,
        operation: taken.operation,
        stream,
        promptTokens: taken.promptTokens,
        signal: deadline.signal,
        deadline: receivedAt + config.router.timeoutMs,
      };
      const ctx = {
        quota: gateway.quota,
        log,
        numRetries: config.router.numRetries,
        retryPolicy: config.router.retryPolicy,
        dropParams: config.router.dropParams,
        attemptTimeoutMs: config.router.timeoutMs,
        streamTimeoutMs: config.router.streamTimeoutMs,
        trials: gateway.sharedBreakers,
      };
      const waitFor = { maxWaitMs: config.router.maxQueueWaitSec * 1000, signal: deadline.signal };
      served = await gateway.headroom.run(alias, waitFor, () => routeRequest(request, table, ctx));
    } catch (err) {
      deadline.dispose();
      taken?.dispose?.();
      report({ status: err instanceof GatewayError ? err.status : 500, trail: trailOf(err) });
      throw err;
    }

    const headers = responseHeaders(c, served);
    const overheadSeconds = (performance.now() - receivedAt - served.trail.upstreamMs) / 1000;
    const firstByteSeconds = served.upstreamMs / 1000;
    const servedAs = { deployment: served.deployment, group: served.group.name };
    if (served.stream === undefined) {
      deadline.dispose();
      taken.dispose?.();
      report({ status: 200, served: servedAs, trail: served.trail, usage: served.usage, overheadSeconds, firstByteSeconds, upstreamSeconds: firstByteSeconds });
      headers['content-type'] = served.upstream.headers.get('content-type') ?? 'application/json';
      if (outgoing === undefined) return new Response(served.body, { status: 200, headers });
      // Straight to the socket: a Response object would be built only to be taken apart again.
      outgoing.writeHead(200, headers);
      outgoing.end(Buffer.from(served.body as ArrayBuffer));
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
      dialect: relayKind.kind === 'sse' ? relayKind.dialect : undefined,
      first: served.stream.first,
      source: served.stream.source,
      cancelUpstream: () => served.attempt.abort('client disconnected'),
      onUsage: (seen) => (usage = seen),
      onEnd: (end) => {
        deadline.dispose();
        dispose?.();
        // A caller that left mid-stream gets its reservation back; the upstream headers correct the rest.
        if (end.kind === 'client_cancelled') served.finish({ released: true });
        else if (end.kind === 'upstream_error') served.finish({ released: true, failure: failure('stream_error', end.message) });
        else served.finish({ usage });
        if (end.kind === 'upstream_error') log.warn(`stream from ${served.deployment.label} failed after first byte: ${end.message}`);
        report({
          status: end.kind === 'client_cancelled' ? 499 : 200,
          brokenStream: end.kind === 'upstream_error',
          served: servedAs,
          trail: served.trail,
          usage,
          overheadSeconds,
          firstByteSeconds,
          upstreamSeconds: firstByteSeconds + (performance.now() - streamStartedAt) / 1000,
        });
      },
    };
    if (relayKind.kind === 'bytes') {
      if (outgoing === undefined) return new Response(relayBytes(relay), { status: 200, headers });
      void pipeBytes(outgoing, headers, relay);
      return RESPONSE_ALREADY_SENT;
    }
    if (outgoing === undefined) return new Response(relaySse(relay), { status: 200, headers });
    // Straight to the socket: no web stream between the upstream's bytes and the caller's.
    void pipeSse(outgoing, headers, relay);
    return RESPONSE_ALREADY_SENT;
  };
}

/** The alias named in `model`, known to the table and allowed for the caller's key. */
export function requireAlias(model: unknown, { table, principal, noteAlias }: IntakeContext): string {
  if (typeof model !== 'string' || model === '') throw badRequest('model is required', 'missing_model', 'model');
  if (!table.groups.has(model)) {
    const hint = table.groups.has(`groq/${model}`) ? ` Did you mean groq/${model}?` : '';
    throw new GatewayError(404, `Unknown model ${JSON.stringify(model)}.${hint} Available: ${[...table.groups.keys()].join(', ')}`, {
      code: 'model_not_found',
      param: 'model',
    });
  }
  noteAlias(model);
  if (!mayUse(principal, model)) {
    throw new GatewayError(403, `This key may not use ${model}`, { type: 'permission_error', code: 'model_not_allowed', param: 'model' });
  }
  return model;
}

/**
 * Refuses, before any upstream call, a request that no deployment of the alias's own group could take
 * (an unknown voice, a file over every plan limit): the caller's mistake, said as such, not a 503.
 */
export function requireFit(table: RoutingTable, alias: string, unfit: (deployment: Deployment) => Unfit | undefined, status: 400 | 413, code: string): void {
  const group = table.groups.get(alias);
  if (group === undefined) return;
  const unfits: Unfit[] = [];
  for (const deployment of group.deployments) {
    const found = unfit(deployment);
    if (found === undefined) return;
    unfits.push(found);
  }
  const reasons = [...new Set(unfits.map((u) => u.reason))];
  throw new GatewayError(status, `${alias} cannot take this request: ${reasons.join('; ')}`, { code, param: unfits[0]?.param ?? null });
}

const ENDPOINT_FOR_MODE: Readonly<Record<ModelMode, string>> = {
  chat: '/chat/completions or /responses',
  moderation: '/chat/completions',
  audio_transcription: '/audio/transcriptions or /audio/translations',
  audio_speech: '/audio/speech',
};

/**
 * Refuses, before any upstream call, an alias whose models are documented as something this endpoint
 * cannot use (a whisper alias sent to chat). Deployments the catalogue does not know are given the benefit
 * of the doubt.
 */
export function requireMode(table: RoutingTable, alias: string, modes: readonly ModelMode[], route: string): void {
  const group = table.groups.get(alias);
  const known = group?.deployments.flatMap((d) => (d.catalog === undefined ? [] : [d.catalog.mode])) ?? [];
  if (group === undefined || known.length < group.deployments.length || known.some((mode) => modes.includes(mode))) return;
  const mode = known[0] as ModelMode;
  throw badRequest(`${alias} is a ${mode.replace('_', ' ')} model and cannot serve ${route}; use ${ENDPOINT_FOR_MODE[mode]}`, 'wrong_model_type', 'model');
}

function responseHeaders(c: Context, served: ServedResponse): Record<string, string> {
  const totalMs = performance.now() - c.var.receivedAt;
  const headers: Record<string, string> = {
    'x-litellm-model-id': served.deployment.id,
    'x-litellm-model-group': served.group.name,
    'x-litellm-attempted-fallbacks': String(served.trail.fallbacks),
    'x-litellm-attempted-retries': String(served.trail.retries),
    'x-groq-router-upstream-calls': String(served.trail.calls),
    'x-litellm-overhead-duration-ms': (totalMs - served.trail.upstreamMs).toFixed(3),
    'x-litellm-response-duration-ms': totalMs.toFixed(3),
  };
  for (const name of RATE_LIMIT_HEADERS) {
    const value = served.upstream.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return headers;
}
