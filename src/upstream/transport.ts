import { Agent } from 'undici';
import { poolFetch } from './pool-fetch.js';

/** The `fetch` signature both SDKs accept through their `fetch` option. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface Transport {
  readonly fetch: FetchLike;
  close(): Promise<void>;
}

/**
 * One pooled keep-alive connection pool shared by every upstream client, so a request never pays for a
 * new TCP/TLS handshake and the process never opens more sockets per origin than `connections`; its
 * `fetch` speaks to the pool directly rather than through WHATWG fetch (see `poolFetch`).
 */
export function createTransport(options: { connections?: number; keepAliveTimeoutMs?: number } = {}): Transport {
  const agent = new Agent({
    connections: options.connections ?? 256,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: 600_000,
    // Header and body deadlines are ours (per request, per attempt), not the pool's.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  return { fetch: poolFetch(agent), close: () => agent.close() };
}
