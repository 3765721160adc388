import type { ServerResponse } from 'node:http';
import type { MiddlewareHandler } from 'hono';

export interface InFlightCounter {
  requestStarted(): void;
  requestEnded(): void;
}

/**
 * Counts HTTP requests under way, from arrival until the last byte of the answer left (or the caller
 * went): the socket response's `close`, since streams outlive the handler.
 */
export const inFlight = (counter: InFlightCounter): MiddlewareHandler<{ Bindings: { outgoing: ServerResponse } }> =>
  async function inFlight(c, next) {
    counter.requestStarted();
    c.env.outgoing.once('close', () => counter.requestEnded());
    await next();
  };
