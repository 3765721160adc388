import { Hono, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { PatternRouter } from 'hono/router/pattern-router';
import { getPath } from 'hono/utils/url';
import type { Redactor } from './config/secrets.js';
import { GatewayError, jsonResponse, typeForStatus } from './errors.js';
import type { Gateway } from './gateway.js';
import type { Logger } from './log.js';
import { apiKeyAuth, requireOperator } from './middleware/api-key.js';
import { requestId } from './middleware/request-id.js';
import { requestTiming } from './middleware/request-timing.js';
import type { ConfigReloader } from './reload/config-reloader.js';
import { batchRoutes } from './endpoints/accounts/batches.js';
import { audioRoutes } from './endpoints/transcription/route.js';
import { chatRoutes } from './endpoints/chat/route.js';
import { fileRoutes } from './endpoints/accounts/files.js';
import { healthRoutes } from './endpoints/status/health.js';
import { modelRoutes } from './endpoints/models/route.js';
import { quotaRoutes } from './endpoints/status/quota.js';
import { responsesRoutes } from './endpoints/responses/route.js';
import { speechRoutes } from './endpoints/speech/route.js';
import { statusRoutes } from './endpoints/status/status.js';
import { isUiPath, uiRoutes } from './endpoints/status/ui.js';
import { VERSION } from './version.js';

/**
 * Path prefixes the OpenAI-style routes answer under: bare (LiteLLM's and Kilo Code's default), `/v1`
 * (OpenAI SDK users), `/openai/v1` (groq-sdk users whose `baseURL` is the gateway), and `/v1/v1`, which
 * Kilo Code produces when a user types a base URL ending in `/v1`.
 */
const API_PREFIXES = ['', '/v1', '/openai/v1', '/v1/v1'] as const;

/** The request's path without trailing slashes, so `/v1/models/` is `/v1/models` on every route. */
function pathWithoutTrailingSlash(request: Request): string {
  const path = getPath(request);
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') || '/' : path;
}

/**
 * The methods some route answers at a path, for a 405 with `Allow` when the path is known but the
 * method is not. Built once, from the routes as registered, the first time a request misses.
 */
function methodsByPath(app: Hono): (path: string) => string[] {
  let router: PatternRouter<string> | undefined;
  return (path) => {
    if (router === undefined) {
      router = new PatternRouter<string>();
      // Middleware is registered for ALL methods; only real routes say what a path allows.
      for (const route of app.routes) if (route.method !== 'ALL') router.add('ALL', route.path, route.method);
    }
    const [matches] = router.match('GET', path);
    return [...new Set(matches.map(([method]) => method))];
  };
}

export function createApp(gateway: Gateway, log: Logger, reloader?: ConfigReloader): Hono {
  const app = new Hono({ getPath: pathWithoutTrailingSlash });
  const general = () => gateway.current.config.general;
  app.use(requestTiming());
  app.use(requestId(log));
  // CORS stays off unless origins are configured; browsers then get exactly those.
  const corsFor = corsOfConfig();
  app.use(async function configuredCors(c, next) {
    const origins = general().corsAllowOrigins;
    if (origins.length === 0) return next();
    return corsFor(origins)(c, next);
  });
  // LiteLLM serves /metrics without a key unless require_auth_for_metrics_endpoint says otherwise.
  // The status page's files hold no data; it asks for /status with the key the user gives it.
  app.use(apiKeyAuth(general, (path) => (path === '/metrics' && !general().requireAuthForMetrics) || isUiPath(path)));

  const chat = chatRoutes(gateway, log);
  const models = modelRoutes(gateway);
  const batches = batchRoutes(gateway);
  const files = fileRoutes(gateway);
  const responses = responsesRoutes(gateway, log);
  const speech = speechRoutes(gateway, log);
  const audio = audioRoutes(gateway, log);
  for (const prefix of API_PREFIXES) {
    app.route(prefix || '/', audio);
    app.route(prefix || '/', chat);
    app.route(prefix || '/', responses);
    app.route(prefix || '/', speech);
    app.route(prefix || '/', models);
    app.route(prefix || '/', batches);
    app.route(prefix || '/', files);
  }
  app.route('/', healthRoutes(gateway, VERSION, () => reloader?.current));
  app.route('/', quotaRoutes(gateway));
  app.route('/', statusRoutes(gateway, VERSION, () => reloader?.current));
  app.route('/', uiRoutes());
  app.get('/metrics', async function metrics(c) {
    // Metrics are the operator's: open unless require_auth_for_metrics_endpoint, then the master key's.
    if (general().requireAuthForMetrics) requireOperator(c.var.principal);
    return new Response(await gateway.metrics.render(), { headers: { 'content-type': gateway.metrics.contentType } });
  });
  app.post('/config/reload', function reloadConfig(c) {
    requireOperator(c.var.principal);
    if (reloader === undefined) throw new GatewayError(404, 'This gateway was started without a config file to reload', { code: 'reload_unavailable' });
    const result = reloader.reload('api');
    if (!result.ok) throw new GatewayError(400, `Config not reloaded; the previous config keeps serving. ${result.error}`, { code: 'invalid_config' });
    return c.json({ status: 'reloaded', loaded_at: gateway.current.loadedAt.toISOString(), changes: result.changes });
  });

  const allowedMethods = methodsByPath(app);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      const response = jsonResponse(405, {
        error: { message: `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(' or ')}`, type: 'invalid_request_error', code: 'method_not_allowed' },
      });
      response.headers.set('allow', allowed.join(', '));
      return response;
    }
    return jsonResponse(404, {
      error: { message: `No route for ${c.req.method} ${c.req.path}`, type: 'not_found_error', code: 'route_not_found' },
    });
  });
  app.onError((err, c) => {
    // Messages may quote the upstream, which may quote a key: every configured secret is removed.
    if (err instanceof GatewayError) return redacted(err, gateway.current.redactor).getResponse();
    if (err instanceof HTTPException) {
      return jsonResponse(err.status, { error: { message: err.message, type: typeForStatus(err.status), code: null } });
    }
    // Our bug, not the caller's: log the stack, answer without internals.
    (c.var.log ?? log).error(`unhandled error on ${c.req.method} ${c.req.path}`, { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    return jsonResponse(500, { error: { message: 'Internal gateway error', type: 'api_error', code: 'internal_error' } });
  });
  return app;
}

/** Hono's CORS middleware for the configured origins, built once per loaded config rather than per request. */
function corsOfConfig(): (origins: readonly string[]) => MiddlewareHandler {
  let built: { readonly origins: readonly string[]; readonly handler: MiddlewareHandler } | undefined;
  return (origins) => {
    if (built?.origins !== origins) built = { origins, handler: cors({ origin: origins.includes('*') ? '*' : [...origins] }) };
    return built.handler;
  };
}

/** The error with the configured secrets taken out of every field an upstream's words may fill (its type is one of ours). */
function redacted(err: GatewayError, redactor: Redactor): GatewayError {
  const clean = (text: string | null): string | null => (text === null ? null : redactor.redact(text));
  const message = redactor.redact(err.message);
  const code = clean(err.code);
  const param = clean(err.param);
  if (message === err.message && code === err.code && param === err.param) return err;
  return new GatewayError(err.status, message, { type: err.type, code, param, headers: { ...err.headers } });
}
