/** A routing table built from config text with the shipped catalogue, for unit tests that make no request. */

import { DeploymentBreaker, type BreakerPolicy } from '../../src/breaker/breaker.js';
import { loadCatalog } from '../../src/catalog/load.js';
import { parseConfig } from '../../src/config/load.js';
import { RoutingTable } from '../../src/routing/table.js';
import type { FetchLike } from '../../src/upstream/transport.js';

const catalog = loadCatalog();
const noFetch: FetchLike = () => Promise.reject(new Error('no network in unit tests'));
const options = {
  fetch: noFetch,
  statsFor: () => ({ inFlight: 0, latencyEwmaMs: undefined }),
  breakerFor: (_id: string, label: string, policy: BreakerPolicy) => new DeploymentBreaker(label, policy, () => {}),
};

/** `env` defaults to a `GROQ_API_KEY`, so deployments written with `os.environ/GROQ_API_KEY` are configured. */
export function table(yaml: string, env: NodeJS.ProcessEnv = { GROQ_API_KEY: 'gsk_unit' }): RoutingTable {
  return new RoutingTable(parseConfig(yaml, 'test.yaml', env), catalog, options);
}
