import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../log.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** The request's id: the caller's `x-request-id` when usable, else a fresh UUID. */
    requestId: string;
    /** The gateway's logger with `request_id` on every line. */
    log: Logger;
  }
}

/** Ids a caller may choose: short, printable, nothing that could split a log line or a header. */
const USABLE_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

export const REQUEST_ID_HEADERS = ['x-request-id', 'x-litellm-call-id'] as const;

/**
 * Gives every request an id (the caller's `x-request-id` if it is a sane token, else a UUID), a logger
 * that writes it on each line, and answers it as `x-request-id` and `x-litellm-call-id` on every
 * response, errors included. Handlers that write to the socket themselves add the headers from
 * `requestIdHeaders`.
 */
export const requestId = (log: Logger): MiddlewareHandler =>
  async function requestId(c, next) {
    const offered = c.req.header('x-request-id');
    const id = offered !== undefined && USABLE_ID.test(offered) ? offered : randomUUID();
    c.set('requestId', id);
    c.set('log', log.child({ request_id: id }));
    await next();
    for (const name of REQUEST_ID_HEADERS) c.res.headers.set(name, id);
  };

export function requestIdHeaders(id: string): Record<(typeof REQUEST_ID_HEADERS)[number], string> {
  return { 'x-request-id': id, 'x-litellm-call-id': id };
}
