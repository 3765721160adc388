import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors.js';

/** Routes a load balancer or orchestrator must reach without a key. */
const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/health/liveliness', '/health/liveness', '/health/readiness']);

/**
 * Requires the master key (`Authorization: Bearer <key>` or `x-litellm-api-key`) on every route but the
 * probes and any the config opens (`isOpen`), when one is configured. Both are read per request so a
 * reloaded config takes effect.
 */
export const masterKeyAuth = (masterKey: () => string | undefined, isOpen: (path: string) => boolean = () => false): MiddlewareHandler =>
  async function masterKeyAuth(c, next) {
    const expected = masterKey();
    if (expected === undefined || PUBLIC_PATHS.has(c.req.path) || isOpen(c.req.path)) return next();
    const presented = presentedKey(c.req.header('authorization'), c.req.header('x-litellm-api-key'));
    if (presented === undefined) {
      throw new GatewayError(401, 'Missing API key: send Authorization: Bearer <key> or x-litellm-api-key', {
        code: 'missing_api_key',
      });
    }
    if (!sameSecret(presented, expected)) {
      throw new GatewayError(401, 'Invalid API key', { code: 'invalid_api_key' });
    }
    return next();
  };

function presentedKey(authorization: string | undefined, litellmKey: string | undefined): string | undefined {
  if (litellmKey !== undefined && litellmKey !== '') return litellmKey.replace(/^Bearer\s+/i, '');
  const match = authorization === undefined ? null : /^Bearer\s+(.+)$/i.exec(authorization.trim());
  return match?.[1];
}

/** Constant-time comparison; hashing first makes the inputs equal length. */
export function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
