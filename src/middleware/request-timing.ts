import type { MiddlewareHandler } from 'hono';

declare module 'hono' {
  interface ContextVariableMap {
    /** `performance.now()` when the request reached the gateway. */
    receivedAt: number;
  }
}

/** Stamps the arrival time, from which overhead and duration headers are computed. */
export const requestTiming = (): MiddlewareHandler =>
  async function requestTiming(c, next) {
    c.set('receivedAt', performance.now());
    await next();
  };
