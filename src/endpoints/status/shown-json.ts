import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Redactor } from '../../config/secrets.js';

/**
 * A JSON answer about the gateway itself (`/status`, `/health/readiness`): the upstream's words in it
 * (why a deployment is ejected, why a request was refused) may quote a configured secret, so the whole
 * text passes the redactor, whichever field a secret reached.
 */
export function shownJson(c: Context, redactor: Redactor, body: unknown, status: ContentfulStatusCode = 200): Response {
  return c.body(redactor.redact(JSON.stringify(body)), status, { 'content-type': 'application/json' });
}
