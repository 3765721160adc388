import Groq, { type ClientOptions } from 'groq-sdk';
import type { FetchLike } from './fetch-like.js';

type FinalRequestOptions = Parameters<Groq['buildRequest']>[0];
type BuiltRequest = Awaited<ReturnType<Groq['buildRequest']>>;

/** The headers groq-sdk sets per call; everything else it sends is the same for every JSON call of a client. */
const RETRY_COUNT = 'x-stainless-retry-count';
const TIMEOUT = 'x-stainless-timeout';

/**
 * Where a fast-path request keeps its headers between `buildRequest` and `fetchWithTimeout` (both ours)
 * while the SDK's debug logging is off: not in `req.headers`, which the SDK copies and redacts into its
 * debug details on every call before its logger drops them.
 */
const CALL_HEADERS = Symbol('call headers');
type LeanRequest = Omit<BuiltRequest['req'], 'headers'> & { headers?: Headers; [CALL_HEADERS]?: Record<string, string> };

/**
 * groq-sdk's client for a deployment's routed calls, with less built per call. Every call still goes
 * through the SDK (its errors, its serialisation, its headers); two of its per-call costs are taken off:
 *
 * - A JSON call without extra headers or query reuses the headers the SDK built for the first such call
 *   (the SDK builds three WHATWG `Headers` per call to arrive at the same set each time; only the retry
 *   count and the timeout header change) and the URL it built for that path.
 * - A call with a `signal` is sent with that signal as it is: no `AbortController` link and no timer of
 *   the SDK's own. The router's callers always pass the attempt's signal, which aborts at the same
 *   deadline as the `timeout` they pass (`UpstreamCallOptions`); the SDK would otherwise arm a second
 *   timer for it and add an `abort` listener to the signal that it never removes.
 *
 * A call the fast path does not fit (uploads, extra headers, a query) is built by the SDK as usual.
 */
export class DeploymentGroq extends Groq {
  private headerTemplate: Record<string, string> | undefined;
  /** The latest fast-path call's headers, handed to the next call whose two per-call headers are the same. */
  private lastHeaders: CallHeaders | undefined;
  private readonly urls = new Map<string, string>();
  /** The same `fetch` the SDK holds (privately). */
  private readonly send: FetchLike;

  constructor(options: ClientOptions & { fetch: FetchLike }) {
    super(options);
    this.send = options.fetch;
  }

  override async buildRequest(
    options: FinalRequestOptions,
    context: { retryCount?: number } = {},
  ): Promise<BuiltRequest> {
    const { body, timeout } = options;
    if (
      options.headers !== undefined ||
      options.query != null ||
      options.defaultBaseURL !== undefined ||
      options.fetchOptions !== undefined ||
      this.fetchOptions !== undefined ||
      this.idempotencyHeader !== undefined ||
      !isPlainObject(body) ||
      // A timeout the SDK would refuse: it refuses it (a `timeout` key, even undefined, must be an integer).
      ('timeout' in options && !(Number.isInteger(timeout) && (timeout as number) >= 0))
    ) {
      return super.buildRequest(options, context);
    }
    const template = this.headerTemplate;
    if (template === undefined) {
      const built = await super.buildRequest(options, context);
      this.headerTemplate = templateOf(built.req.headers);
      return built;
    }
    const headers = this.callHeaders(template, context.retryCount ?? 0, timeout ? Math.trunc(timeout / 1000) : undefined);
    const method = options.method.toUpperCase();
    const json = JSON.stringify(body);
    const signal = options.signal ?? undefined;
    // The SDK hands `req.headers` only to `fetch` (the pool's, which takes a plain record) and to its debug
    // formatter, which runs on every call whatever the log level: with debug logging on it gets them (it
    // reads plain objects too, redacting `authorization` the same way); otherwise they wait beside it.
    const req: LeanRequest =
      this.logLevel === 'debug' ? { method, headers: headers as unknown as Headers, body: json, signal } : { method, body: json, signal, [CALL_HEADERS]: headers };
    return { req: req as BuiltRequest['req'], url: this.urlFor(options.path), timeout: timeout ?? this.timeout };
  }

  override async fetchWithTimeout(url: RequestInfo, init: LeanRequest | undefined, ms: number, controller: AbortController): Promise<Response> {
    const headers = init?.[CALL_HEADERS];
    if (init?.signal == null) return super.fetchWithTimeout(url, headers === undefined ? (init as RequestInit | undefined) : { method: init?.method, headers: headers as unknown as Headers, body: init?.body }, ms, controller);
    // The method is upper-cased already (buildRequest's fast path) or as the SDK left it.
    const method = init.method?.toUpperCase() ?? 'GET';
    if (headers !== undefined) return this.send.call(undefined, url, { method, headers: headers as unknown as Headers, body: init.body, signal: init.signal });
    return this.send.call(undefined, url, init.method === method ? init : { ...init, method });
  }

  /**
   * The template with the two headers the SDK sets per call, as it sets them. The same record as the
   * previous call's when those two are the same, as they almost always are (retries are the router's,
   * so the count is 0, and the timeout header counts whole seconds of a deadline that rarely moves by
   * one between calls): building it took a copy of the template and two keys added to it, which V8 did
   * on its slow path, about as long as serialising the body (the CPU profile, 50 connections). Nothing
   * changes a record once it is handed out: the pool's `fetch` gives it to undici as it is, and the
   * SDK's debug formatter copies it.
   */
  private callHeaders(template: Record<string, string>, retryCount: number, timeoutSeconds: number | undefined): Record<string, string> {
    const last = this.lastHeaders;
    if (last !== undefined && last.retryCount === retryCount && last.timeoutSeconds === timeoutSeconds) return last.headers;
    const headers: Record<string, string> = { ...template };
    headers[RETRY_COUNT] = String(retryCount);
    if (timeoutSeconds !== undefined) headers[TIMEOUT] = String(timeoutSeconds);
    this.lastHeaders = { retryCount, timeoutSeconds, headers };
    return headers;
  }

  private urlFor(path: string): string {
    let url = this.urls.get(path);
    if (url === undefined) {
      url = this.buildURL(path, undefined);
      // The routed paths are a handful of constants; anything else is built each time.
      if (this.urls.size < 16) this.urls.set(path, url);
    }
    return url;
  }
}

interface CallHeaders {
  readonly retryCount: number;
  readonly timeoutSeconds: number | undefined;
  readonly headers: Record<string, string>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function templateOf(headers: Headers): Record<string, string> {
  const template: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name !== RETRY_COUNT && name !== TIMEOUT) template[name] = value;
  });
  return template;
}

// groq-sdk's `User-Agent` is the client's constructor name: the upstream sees `Groq/JS <version>` as before.
Object.defineProperty(DeploymentGroq, 'name', { value: 'Groq' });
