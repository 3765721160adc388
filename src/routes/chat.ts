import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context } from 'hono';
import { GatewayError, badRequest } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { readJsonObject } from '../http/json-body.js';
import type { Logger } from '../log.js';
import type { ChatOutcome } from '../metrics/gateway-metrics.js';
import { mayUse } from '../middleware/api-key.js';
import { routeChat, trailOf, type ServedResponse } from '../routing/attempts.js';
import { estimatePromptTokens } from '../routing/estimate.js';
import { pipeSse, relaySse, type RelayOptions, type StreamUsage } from '../routing/sse-relay.js';
import type { RoutingTable } from '../routing/table.js';
import { TimedSignal } from '../routing/timed-signal.js';
import { failure } from '../upstream/failure.js';
import { RATE_LIMIT_HEADERS } from '../upstream/rate-limit-headers.js';

const ROUTE = '/chat/completions';

/** What @hono/node-server hands a handler; absent when the app runs elsewhere (e.g. `app.request`). */
type NodeBindings = { Bindings: { incoming?: IncomingMessage; outgoing?: ServerResponse } };

/** `POST /chat/completions`: one alias in, the first deployment of its chain that answers, out. */
export function chatRoutes(gateway: Gateway, log: Logger): Hono<NodeBindings> {
  const routes = new Hono<NodeBindings>();
  routes.post(ROUTE, async function chatCompletions(c) {
    const { incoming, outgoing } = c.env ?? {};
    const { config, table } = gateway.current;
    const receivedAt = c.var.receivedAt;
    let alias = '';
    let stream = false;
    const report = (fields: Partial<ChatOutcome> & Pick<ChatOutcome, 'status'>) =>
      gateway.metrics.recordChat({
        alias,
        route: ROUTE,
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
    const deadline = new TimedSignal(outgoing === undefined ? c.req.raw.signal : undefined, config.router.timeoutMs);
    // The caller's socket closing early ends the request; one listener, no extra AbortController.
    outgoing?.once('close', () => {
      if (!outgoing.writableFinished) deadline.abort('client disconnected');
    });
    try {
      const body = await readJsonObject(incoming ?? c.req.raw, config.general.maxRequestBodyBytes);
      alias = requireAlias(body, table);
      if (!mayUse(c.var.principal, alias)) {
        throw new GatewayError(403, `This key may not use ${alias}`, { type: 'permission_error', code: 'model_not_allowed', param: 'model' });
      }
      if (!Array.isArray(body.messages) || body.messages.length === 0) {
        throw badRequest('messages must be a non-empty array', 'invalid_messages', 'messages');
      }
      stream = body.stream === true;
      const request = {
        alias,
        body,
        stream,
        promptTokens: estimatePromptTokens(body),
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
      served = await gateway.headroom.run(alias, waitFor, () => routeChat(request, table, ctx));
    } catch (err) {
      deadline.dispose();
      report({ status: err instanceof GatewayError ? err.status : 500, trail: trailOf(err) });
      throw err;
    }

    const headers = responseHeaders(c, served);
    const overheadSeconds = (performance.now() - receivedAt - served.trail.upstreamMs) / 1000;
    const firstByteSeconds = served.upstreamMs / 1000;
    const servedAs = { deployment: served.deployment, group: served.group.name };
    if (served.stream === undefined) {
      deadline.dispose();
      report({ status: 200, served: servedAs, trail: served.trail, usage: served.usage, overheadSeconds, firstByteSeconds, upstreamSeconds: firstByteSeconds });
      headers['content-type'] = 'application/json';
      if (outgoing === undefined) return new Response(served.body, { status: 200, headers });
      // Straight to the socket: a Response object would be built only to be taken apart again.
      outgoing.writeHead(200, headers);
      outgoing.end(Buffer.from(served.body as ArrayBuffer));
      return RESPONSE_ALREADY_SENT;
    }

    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    const streamStartedAt = performance.now();
    let usage: StreamUsage | undefined;
    const relay: RelayOptions = {
      first: served.stream.first,
      source: served.stream.source,
      cancelUpstream: () => served.attempt.abort('client disconnected'),
      onUsage: (seen) => (usage = seen),
      onEnd: (end) => {
        deadline.dispose();
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
    if (outgoing === undefined) return new Response(relaySse(relay), { status: 200, headers });
    // Straight to the socket: no web stream between the upstream's bytes and the caller's.
    void pipeSse(outgoing, headers, relay);
    return RESPONSE_ALREADY_SENT;
  });
  return routes;
}

function requireAlias(body: Record<string, unknown>, table: RoutingTable): string {
  const alias = body.model;
  if (typeof alias !== 'string' || alias === '') throw badRequest('model is required', 'missing_model', 'model');
  if (table.groups.has(alias)) return alias;
  const hint = table.groups.has(`groq/${alias}`) ? ` Did you mean groq/${alias}?` : '';
  throw new GatewayError(404, `Unknown model ${JSON.stringify(alias)}.${hint} Available: ${[...table.groups.keys()].join(', ')}`, {
    code: 'model_not_found',
    param: 'model',
  });
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
