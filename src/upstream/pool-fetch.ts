import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { Agent, Dispatcher } from 'undici';
import type { FetchLike } from './fetch-like.js';

type NodeBody = Dispatcher.ResponseData['body'];

/**
 * A `fetch` for the SDKs built on undici's dispatcher API instead of WHATWG fetch: no Request object,
 * no web streams unless someone asks for one, the response body left as the pool's Node stream. The
 * SDKs use only a small part of `Response` (status, headers, text, body); `PoolResponse` is that part.
 */
export function poolFetch(agent: Agent): FetchLike {
  const targets = new Map<string, Target>();
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const target = typeof input === 'string' ? targetOf(input, targets) : targetOfUrl(input instanceof URL ? input : new URL(input.url));
    // groq-sdk's deployment client (DeploymentGroq) hands a fresh plain record with a JSON body: taken as
    // it is (an upload's encoder may add the content type, so those are always copied).
    const headers = typeof init.body === 'string' && isPlainRecord(init.headers) ? init.headers : plainHeaders(init.headers);
    const { statusCode, headers: responseHeaders, body } = await agent.request({
      origin: target.origin,
      path: target.path,
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers,
      body: requestBody(init.body, headers),
      signal: init.signal ?? undefined,
    });
    return new PoolResponse(target.href, statusCode, responseHeaders, body) as unknown as Response;
  }) as FetchLike;
}

interface Target {
  readonly origin: string;
  readonly path: string;
  readonly href: string;
}

/** At most this many URLs are kept parsed: a deployment calls a few fixed ones; file and batch ids vary. */
const PARSED_URLS = 64;

/** A URL's origin and path, parsed once for the URLs every routed request calls. */
function targetOf(input: string, targets: Map<string, Target>): Target {
  let target = targets.get(input);
  if (target === undefined) {
    target = targetOfUrl(new URL(input));
    if (targets.size < PARSED_URLS) targets.set(input, target);
  }
  return target;
}

function targetOfUrl(url: URL): Target {
  return { origin: url.origin, path: url.pathname + url.search, href: url.href };
}

/** The part of `Response` the SDKs and the router read, over a pooled Node stream. */
export class PoolResponse {
  readonly headers: PoolHeaders;
  private webBody: ReadableStream<Uint8Array> | undefined;

  constructor(
    readonly url: string,
    readonly status: number,
    rawHeaders: Record<string, string | string[] | undefined>,
    readonly nodeBody: NodeBody,
  ) {
    this.headers = new PoolHeaders(rawHeaders);
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get statusText(): string {
    return '';
  }

  /** A web stream for callers that want one; the router reads `nodeBody` directly. */
  get body(): ReadableStream<Uint8Array> {
    this.webBody ??= Readable.toWeb(this.nodeBody) as unknown as ReadableStream<Uint8Array>;
    return this.webBody;
  }

  text(): Promise<string> {
    return this.nodeBody.text();
  }

  json(): Promise<unknown> {
    return this.nodeBody.json();
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.nodeBody.arrayBuffer();
  }
}

/** Read-only `Headers` over the raw object undici hands back (names already lower-case). */
export class PoolHeaders {
  constructor(private readonly raw: Record<string, string | string[] | undefined>) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }

  forEach(callback: (value: string, name: string) => void): void {
    for (const name of Object.keys(this.raw)) {
      const value = this.get(name);
      if (value !== null) callback(value, name);
    }
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.raw)) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

type PoolBody = string | Uint8Array | Readable | null | undefined;

/**
 * The body as the pool takes it. Uploads (groq-sdk hands `fetch` a `FormData` for audio and files) are
 * encoded by the platform's own multipart encoder and streamed: a file-backed part is read from disk as
 * it is sent, never held whole in memory. The encoder also supplies the boundary's content type.
 */
function requestBody(body: RequestInit['body'], headers: Record<string, string>): PoolBody {
  if (body === null || body === undefined || typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof FormData || body instanceof Blob || body instanceof URLSearchParams) {
    const encoded = new Response(body);
    const type = encoded.headers.get('content-type');
    if (type !== null && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = type;
    return encoded.body === null ? null : Readable.fromWeb(encoded.body as NodeReadableStream<Uint8Array>);
  }
  if (body instanceof ReadableStream) return Readable.fromWeb(body as NodeReadableStream<Uint8Array>);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  return body as unknown as PoolBody;
}

function isPlainRecord(headers: RequestInit['headers']): headers is Record<string, string> {
  return typeof headers === 'object' && headers !== null && Object.getPrototypeOf(headers) === Object.prototype;
}

function plainHeaders(headers: RequestInit['headers']): Record<string, string> {
  if (headers === undefined || headers === null) return {};
  const out: Record<string, string> = {};
  if (typeof (headers as Headers).forEach === 'function' && !Array.isArray(headers)) {
    (headers as Headers).forEach((value, name) => {
      out[name] = value;
    });
    return out;
  }
  for (const [name, value] of Array.isArray(headers) ? headers : Object.entries(headers)) out[name as string] = String(value);
  return out;
}
