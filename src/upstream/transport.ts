import { Agent } from 'undici';
import type { FetchLike } from './fetch-like.js';
import { poolFetch } from './pool-fetch.js';

export type { FetchLike } from './fetch-like.js';

export interface Transport {
  /** The shared pool, for calls that belong to no deployment (model listings). */
  readonly fetch: FetchLike;
  /**
   * A deployment's own pool of at most `connections` sockets: streams held on one deployment never take
   * the sockets another needs, though all of them may be on the same host (api.groq.com). The same pool
   * while the deployment stays across reloads.
   */
  fetchFor(deploymentId: string, connections: number): FetchLike;
  close(): Promise<void>;
}

/**
 * One pooled keep-alive connection pool shared by every upstream client, so a request never pays for a
 * new TCP/TLS handshake and the process never opens more sockets per origin than `connections`; its
 * `fetch` speaks to the pool directly rather than through WHATWG fetch (see `poolFetch`).
 */
export function createTransport(options: { connections?: number; keepAliveTimeoutMs?: number } = {}): Transport {
  const agentOf = (connections: number): Agent =>
    new Agent({
      connections,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      keepAliveMaxTimeout: 600_000,
      // Header and body deadlines are ours (per request, per attempt), not the pool's.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  const shared = agentOf(options.connections ?? 256);
  const own = new Map<string, { readonly connections: number; readonly agent: Agent; readonly fetch: FetchLike }>();
  return {
    fetch: poolFetch(shared),
    fetchFor(deploymentId, connections) {
      const known = own.get(deploymentId);
      if (known !== undefined && known.connections === connections) return known.fetch;
      // A changed limit gets a new pool; the old one finishes what it carries and goes.
      if (known !== undefined) void known.agent.close().catch(() => undefined);
      const agent = agentOf(connections);
      const entry = { connections, agent, fetch: poolFetch(agent) };
      own.set(deploymentId, entry);
      return entry.fetch;
    },
    close: async () => {
      await Promise.all([shared.close(), ...[...own.values()].map((entry) => entry.agent.close())]);
    },
  };
}
