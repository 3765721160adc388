import { describe, expect, it } from 'vitest';
import type { Deployment } from './deployment.js';
import { attemptOrder } from './strategy.js';

function deployment(id: string, config: { order?: number; weight?: number; rpm?: number } = {}): Deployment {
  return {
    id,
    config: { order: config.order, weight: config.weight, limits: { rpm: config.rpm } },
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
  it('tries lower order first and unordered deployments last', () => {
    const order = attemptOrder([deployment('c'), deployment('b', { order: 2 }), deployment('a', { order: 1 })], seeded(1));
    expect(order.map((d) => d.id)).toEqual(['a', 'b', 'c']);
  });

  it('spreads traffic by weight within one order', () => {
    const group = [deployment('heavy', { weight: 9 }), deployment('light', { weight: 1 })];
    const random = seeded(42);
    let heavyFirst = 0;
    for (let i = 0; i < 2000; i++) if (attemptOrder(group, random)[0]!.id === 'heavy') heavyFirst++;
    expect(heavyFirst / 2000).toBeGreaterThan(0.85);
    expect(heavyFirst / 2000).toBeLessThan(0.95);
  });

  it('uses rpm as the weight when no weight is set', () => {
    const group = [deployment('big', { rpm: 300 }), deployment('small', { rpm: 100 })];
    const random = seeded(7);
    let bigFirst = 0;
    for (let i = 0; i < 2000; i++) if (attemptOrder(group, random)[0]!.id === 'big') bigFirst++;
    expect(bigFirst / 2000).toBeGreaterThan(0.7);
    expect(bigFirst / 2000).toBeLessThan(0.8);
  });

  it('always returns every deployment once', () => {
    const group = ['a', 'b', 'c', 'd'].map((id) => deployment(id));
    expect(attemptOrder(group).map((d) => d.id).sort()).toEqual(['a', 'b', 'c', 'd']);
  });
});
