import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { boundCounter, boundHistogram } from './bound-series.js';

function pair() {
  const make = () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['a', 'b'], registers: [registry] });
    const histogram = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['a'], buckets: [0.1, 1, 10], registers: [registry] });
    return { registry, counter, histogram };
  };
  return { bound: make(), plain: make() };
}

describe('bound series', () => {
  it('render exactly as prom-client renders the same updates through its own API', async () => {
    const { bound, plain } = pair();
    // A series created at zero elsewhere first (as the gateway's prepare does) is the one updated.
    bound.counter.inc({ a: 'x', b: 'y' }, 0);
    plain.counter.inc({ a: 'x', b: 'y' }, 0);
    const counter = boundCounter(bound.counter, { a: 'x', b: 'y' });
    const other = boundCounter(bound.counter, { b: 'z', a: 'x' });
    const histogram = boundHistogram(bound.histogram, { a: 'x' });
    for (const value of [0.05, 0.1, 0.5, 1, 3, 10, 50, 0]) {
      counter.inc();
      other.inc(value);
      histogram.observe(value);
      plain.counter.inc({ a: 'x', b: 'y' });
      plain.counter.inc({ b: 'z', a: 'x' }, value);
      plain.histogram.observe({ a: 'x' }, value);
    }
    expect(await bound.registry.metrics()).toBe(await plain.registry.metrics());
    expect(await bound.registry.metrics()).toContain('h_seconds_bucket{le="+Inf",a="x"} 8');
  });

  it('leave a series nobody updated absent, and refuse what prom-client refuses', async () => {
    const { bound } = pair();
    const counter = boundCounter(bound.counter, { a: 'x', b: 'y' });
    const histogram = boundHistogram(bound.histogram, { a: 'x' });
    expect(await bound.registry.metrics()).not.toMatch(/^c_total\{/m);
    expect(await bound.registry.metrics()).not.toMatch(/^h_seconds_count\{/m);
    counter.inc();
    histogram.observe(1);
    expect(() => counter.inc(-1)).toThrow();
    expect(() => histogram.observe(Number.POSITIVE_INFINITY)).toThrow();
    expect(await bound.registry.metrics()).toContain('c_total{a="x",b="y"} 1');
  });
});
