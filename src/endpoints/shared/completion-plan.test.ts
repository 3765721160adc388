import { describe, expect, it } from 'vitest';
import { TokenPlanning } from '../../quota/token-planning.js';
import type { Deployment } from '../../routing/deployment.js';
import { planCompletion } from './completion-plan.js';

/** Only what the plan reads of a deployment. */
function deployment(contextWindow: number | null, maxCompletionTokens: number | null): Deployment {
  return {
    id: 'd1',
    config: { model: 'some-model', completionCap: undefined },
    contextWindow,
    maxCompletionTokens,
    budget: undefined,
  } as unknown as Deployment;
}

describe('planCompletion', () => {
  it('lowers the cap so that the prompt estimate and the cap fit the context window', () => {
    const planning = new TokenPlanning();
    const plan = planCompletion(deployment(8_192, 8_192), planning, { alias: 'a', roughPrompt: 6_000, requested: 8_192, policy: 'requested' });
    // What is left of the window beside the calibrated prompt estimate is the cap.
    const prompt = planning.calibration.estimate('some-model', 6_000);
    expect(prompt).toBeGreaterThan(6_000);
    expect(plan.demand.tokens).toBe(8_192);
    expect(plan.capFor(plan.demand)).toBe(8_192 - prompt);
  });

  it('sends the learned cap under adaptive, shrinkable to the floor, never above what the client asked', () => {
    const planning = new TokenPlanning();
    for (let i = 0; i < 8; i++) planning.caps.observe('a', 400);
    const plan = planCompletion(deployment(131_072, 131_072), planning, { alias: 'a', roughPrompt: 1_000, requested: 8_192, policy: 'adaptive' });
    expect(plan.capFor(plan.demand)).toBe(Math.ceil(400 * 1.25) + 32);
    expect(plan.demand.minTokens).toBe(planning.calibration.estimate('some-model', 1_000) + Math.ceil(400 * 1.1));
    const small = planCompletion(deployment(131_072, 131_072), planning, { alias: 'a', roughPrompt: 1_000, requested: 100, policy: 'adaptive' });
    expect(small.capFor(small.demand)).toBe(100);
  });

  it('leaves the body without a cap under requested when the client named none, booking the default', () => {
    const planning = new TokenPlanning();
    const plan = planCompletion(deployment(131_072, 131_072), planning, { alias: 'a', roughPrompt: 1_000, requested: undefined, policy: 'requested' });
    expect(plan.capFor(plan.demand)).toBeUndefined();
    expect(plan.demand.tokens).toBe(planning.calibration.estimate('some-model', 1_000) + 1_024);
  });
});
