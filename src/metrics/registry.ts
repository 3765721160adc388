import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LITELLM, OURS, type Family } from './families.js';

type Metric<F extends Family> = F['type'] extends 'counter' ? Counter<string> : F['type'] extends 'gauge' ? Gauge<string> : Histogram<string>;
export type Metrics<T extends Record<string, Family>> = { readonly [K in keyof T]: Metric<T[K]> };

/** One registry per gateway (tests run several in one process), with Node's own process metrics. */
export function createRegistry(): { registry: Registry; ours: Metrics<typeof OURS>; litellm: Metrics<typeof LITELLM> } {
  const registry = new Registry();
  // Unprefixed, so the standard Node.js process dashboards work on them too.
  collectDefaultMetrics({ register: registry });
  return { registry, ours: build(OURS, registry), litellm: build(LITELLM, registry) };
}

function build<T extends Record<string, Family>>(families: T, registry: Registry): Metrics<T> {
  const out: Record<string, unknown> = {};
  for (const [key, family] of Object.entries(families)) {
    const common = { name: family.name, help: family.help, labelNames: [...family.labels], registers: [registry] };
    out[key] =
      family.type === 'counter'
        ? new Counter(common)
        : family.type === 'gauge'
          ? new Gauge(common)
          : new Histogram({ ...common, buckets: [...(family.buckets ?? [])] });
  }
  return out as Metrics<T>;
}
