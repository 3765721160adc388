import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Redactor } from '../../config/secrets.js';

/**
 * A JSON answer about the gateway itself (`/status`, `/health/readiness`): the upstream's words in it
 * (why a deployment is ejected, why a request was refused) may quote a configured secret, so every
 * string in it passes the redactor, whichever field a secret reached (strings only: a numeric secret
 * must not turn a number into invalid JSON).
 */
export function shownJson(c: Context, redactor: Redactor, body: unknown, status: ContentfulStatusCode = 200): Response {
  const text = JSON.stringify(body, (_key, value: unknown) => (typeof value === 'string' ? redactor.redact(value) : value));
  return c.body(text, status, { 'content-type': 'application/json' });
}
