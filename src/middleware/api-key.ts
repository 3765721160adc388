import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { findClientKey } from '../config/client-key-hash.js';
import type { ClientKey } from '../config/types.js';
import { GatewayError } from '../errors.js';

/** Who is calling: the operator (master key), a client key's holder, or anyone (no keys configured). */
export type Principal =
  | { readonly kind: 'open' }
  | { readonly kind: 'master' }
  | { readonly kind: 'client'; readonly alias: string; readonly preview: string; readonly models: ReadonlySet<string> | undefined };

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal;
  }
}

export interface KeySettings {
  readonly masterKey: string | undefined;
  readonly clientKeys: readonly ClientKey[];
}

/** Routes a load balancer or orchestrator must reach without a key. */
const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/health/liveliness', '/health/liveness', '/health/readiness']);
const OPEN: Principal = { kind: 'open' };
const MASTER: Principal = { kind: 'master' };

/**
 * Requires a key (`Authorization: Bearer <key>` or `x-litellm-api-key`) on every route but the probes and
 * any the config opens (`isOpen`), once a master key or client keys are configured. Both are compared
 * in constant time; client keys by their SHA-256, which is all the config holds.
 * Settings are read per request so a reloaded config takes effect at once.
 */
export const apiKeyAuth = (settings: () => KeySettings, isOpen: (path: string) => boolean = () => false): MiddlewareHandler =>
  async function apiKeyAuth(c, next) {
    const { masterKey, clientKeys } = settings();
    if ((masterKey === undefined && clientKeys.length === 0) || PUBLIC_PATHS.has(c.req.path) || isOpen(c.req.path)) {
      // Public routes need no identity, and get none of the operator's rights.
      c.set('principal', OPEN);
      return next();
    }
    const presented = presentedKey(c.req.header('authorization'), c.req.header('x-litellm-api-key'));
    if (presented === undefined) {
      throw new GatewayError(401, 'Missing API key: send Authorization: Bearer <key> or x-litellm-api-key', { code: 'missing_api_key' });
    }
    if (masterKey !== undefined && sameSecret(presented, masterKey)) {
      c.set('principal', MASTER);
      return next();
    }
    const client = findClientKey(presented, clientKeys);
    if (client === undefined) throw new GatewayError(401, 'Invalid API key', { code: 'invalid_api_key' });
    c.set('principal', { kind: 'client', alias: client.alias, preview: client.preview, models: client.models.length > 0 ? new Set(client.models) : undefined });
    return next();
  };

/** Whether the caller may use `alias`; a client key names the aliases it may use. */
export function mayUse(principal: Principal | undefined, alias: string): boolean {
  return principal?.kind !== 'client' || principal.models === undefined || principal.models.has(alias);
}

/** Operator routes (reload) need the master key when keys are configured. */
export function requireOperator(principal: Principal | undefined): void {
  if (principal?.kind === 'client') throw new GatewayError(403, 'This route needs the master key', { type: 'permission_error', code: 'master_key_required' });
}

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
