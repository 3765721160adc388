import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../log.js';
import { requestLine, requestRecord } from '../metrics/request-record.js';
import type { Principal } from './api-key.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** The request's id: the caller's `x-request-id` when usable, else a fresh UUID. */
    requestId: string;
    /** The gateway's logger with `request_id` on every line. */
    log: Logger;
    /** Set by a handler that writes the request's log line itself (the routed endpoints, with their attempts). */
    requestLogged: boolean;
  }
}

/** Ids a caller may choose: short, printable, nothing that could split a log line or a header. */
const USABLE_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

export const REQUEST_ID_HEADERS = ['x-request-id', 'x-litellm-call-id'] as const;

/** Scrapes and probes arrive every few seconds and say nothing about traffic: no line for them. */
const QUIET_PATHS: ReadonlySet<string> = new Set(['/metrics', '/health/liveliness', '/health/liveness', '/health/readiness']);

/**
 * Gives every request an id (the caller's `x-request-id` if it is a sane token, else a UUID), a logger
 * that writes it on each line, and answers it as `x-request-id` and `x-litellm-call-id` on every
 * response, errors included. Handlers that write to the socket themselves write both headers
 * (`REQUEST_ID_HEADERS`). Requests no routed handler logged (refused before routing, listings, files) get
 * their one request line here.
 */
export const requestId = (log: Logger): MiddlewareHandler<{ Bindings: { incoming?: IncomingMessage } }> =>
  async function requestId(c, next) {
    // Node's own parsed headers when served by Node: asking the Request for one builds its whole Headers.
    const incoming = c.env?.incoming;
    const offered = incoming === undefined ? c.req.header('x-request-id') : incoming.headers['x-request-id'];
    const id = typeof offered === 'string' && USABLE_ID.test(offered) ? offered : randomUUID();
    const requestLog = log.child({ request_id: id });
    c.set('requestId', id);
    c.set('log', requestLog);
    await next();
    // An answer written straight to the socket carried the ids already (the routed handler writes them).
    if (c.res !== RESPONSE_ALREADY_SENT) for (const name of REQUEST_ID_HEADERS) c.res.headers.set(name, id);
    // `c.get`, not `c.var`: Hono builds a new object of every variable for each `c.var` read.
    if (c.get('requestLogged') === true || QUIET_PATHS.has(c.req.path)) return;
    const record = requestRecord({
      alias: '',
      route: `${c.req.method} ${c.req.path}`,
      stream: false,
      status: c.res.status,
      brokenStream: false,
      served: undefined,
      trail: undefined,
      usage: undefined,
      totalSeconds: (performance.now() - c.get('receivedAt')) / 1000,
      overheadSeconds: undefined,
      firstByteSeconds: undefined,
      upstreamSeconds: undefined,
      queueSeconds: 0,
      requestId: id,
      client: clientOf(c.get('principal')),
      errorCode: undefined,
    });
    requestLog.info(requestLine(record), record);
  };

/** A client key's alias (else its masked preview), `master`, or `anonymous`: never a key. */
export function clientOf(principal: Principal | undefined): string {
  if (principal === undefined || principal.kind === 'open') return 'anonymous';
  if (principal.kind === 'master') return 'master';
  return principal.alias || principal.preview;
}
