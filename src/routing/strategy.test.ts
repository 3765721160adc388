import { describe, expect, it } from 'vitest';
import type { Deployment } from './deployment.js';
import { attemptOrder } from './strategy.js';

function deployment(
  id: string,
  config: { order?: number; weight?: number; rpm?: number; inFlight?: number; latency?: number } = {},
): Deployment {
  return {
    id,
    config: { order: config.order, weight: config.weight, limits: { rpm: config.rpm } },
    stats: { inFlight: config.inFlight ?? 0, latencyEwmaMs: config.latency },
  } as unknown as Deployment;
}

/** A deterministic generator, so the weighted shuffle is testable. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('attemptOrder', () => {
  it('tries lower order first and unordered deployments last', async () => {
    const order = await attemptOrder([deployment('c'), deployment('b', { order: 2 }), deployment('a', { order: 1 })], 'simple-shuffle', undefined, seeded(1));
    expect(order.map((d) => d.id)).toEqual(['a', 'b', 'c']);
  });

  /** How often `id` comes first in 2,000 simple-shuffle orders drawn with one seeded random source. */
  async function shareFirst(group: Deployment[], id: string, seed: number): Promise<number> {
    const random = seeded(seed);
    let first = 0;
    for (let i = 0; i < 2000; i++) if ((await attemptOrder(group, 'simple-shuffle', undefined, random))[0]!.id === id) first++;
    return first / 2000;
  }

  it('spreads traffic by weight within one order', async () => {
    const share = await shareFirst([deployment('heavy', { weight: 9 }), deployment('light', { weight: 1 })], 'heavy', 42);
    expect(share).toBeGreaterThan(0.85);
    expect(share).toBeLessThan(0.95);
  });

  it('uses rpm as the weight when no weight is set', async () => {
    const share = await shareFirst([deployment('big', { rpm: 300 }), deployment('small', { rpm: 100 })], 'big', 7);
    expect(share).toBeGreaterThan(0.7);
    expect(share).toBeLessThan(0.8);
  });

  it('always returns every deployment once', async () => {
    const group = ['a', 'b', 'c', 'd'].map((id) => deployment(id));
    expect((await attemptOrder(group)).map((d) => d.id).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('least-busy tries the deployment with fewest requests in flight first', async () => {
    const group = [deployment('busy', { inFlight: 5 }), deployment('idle', { inFlight: 0 }), deployment('some', { inFlight: 2 })];
    expect((await attemptOrder(group, 'least-busy')).map((d) => d.id)).toEqual(['idle', 'some', 'busy']);
  });

  it('latency-based-routing tries the fastest first and untried deployments before slow ones', async () => {
    const group = [deployment('slow', { latency: 900 }), deployment('fast', { latency: 100 }), deployment('new')];
    expect((await attemptOrder(group, 'latency-based-routing')).map((d) => d.id)).toEqual(['new', 'fast', 'slow']);
  });

  it('keeps order tiers above every strategy', async () => {
    const group = [deployment('idle-backup', { order: 2 }), deployment('busy-primary', { order: 1, inFlight: 9 })];
    expect((await attemptOrder(group, 'least-busy')).map((d) => d.id)).toEqual(['busy-primary', 'idle-backup']);
  });
});
