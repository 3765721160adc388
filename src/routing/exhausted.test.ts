import { describe, expect, it } from 'vitest';
import type { Refusal } from '../quota/types.js';
import type { Deployment } from './deployment.js';
import { exhaustedError } from './exhausted.js';
import { newTrail } from './attempt-trail.js';
import { RateLimitRefusal } from './routing-error.js';

/** Only what the answer reads of a deployment. */
function deployment(model: string): Deployment {
  return { label: `groq/${model}`, config: { model }, budget: { id: `key/${model}` } } as unknown as Deployment;
}

function refusal(model: string, retryAfterMs: number, keptForOthers?: true): Refusal {
  return {
    budgetId: `key/${model}`,
    demand: { requests: 1, tokens: 4_000, audioSeconds: 0 },
    retryAfterMs,
    exhausted: [{ window: 'tpm', limit: 6_000, used: 3_000, requested: 4_000 }],
    ...(keptForOthers === undefined ? {} : { keptForOthers }),
  };
}

describe('exhaustedError', () => {
  it('answers a chain out of budget with the earliest wait, promised on its budget', () => {
    const trail = newTrail();
    trail.records.push({ deployment: deployment('a'), kind: 'refused', refusal: refusal('a', 30_000) });
    trail.records.push({ deployment: deployment('b'), kind: 'refused', refusal: refusal('b', 12_000) });
    const error = exhaustedError('alias', trail);
    expect(error).toBeInstanceOf(RateLimitRefusal);
    expect((error as RateLimitRefusal).retryAfterMs).toBe(12_000);
    expect((error as RateLimitRefusal).promise?.budget.id).toBe('key/b');
  });

  it('tells a wait that rests on other consumers having stopped only when no deployment frees for certain', () => {
    const trail = newTrail();
    // Kept off `a` until the other consumers' level fades (in 10 s); `b` frees for certain in 40 s.
    trail.records.push({ deployment: deployment('a'), kind: 'refused', refusal: refusal('a', 10_000, true) });
    trail.records.push({ deployment: deployment('b'), kind: 'refused', refusal: refusal('b', 40_000) });
    const certain = exhaustedError('alias', trail) as RateLimitRefusal;
    expect(certain.retryAfterMs).toBe(40_000);
    expect(certain.promise?.budget.id).toBe('key/b');

    const onlyFading = newTrail();
    onlyFading.records.push({ deployment: deployment('a'), kind: 'refused', refusal: refusal('a', 10_000, true) });
    const guess = exhaustedError('alias', onlyFading) as RateLimitRefusal;
    expect(guess.status).toBe(429);
    expect(guess.retryAfterMs).toBe(10_000);
    // Not a promise: nothing is held for a guess.
    expect(guess.promise).toBeUndefined();
  });
});
