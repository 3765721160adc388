import { describe, expect, it } from 'vitest';
import { TokenPlanning } from '../../quota/token-planning.js';
import type { Deployment } from '../../routing/deployment.js';
import { planCompletion } from './completion-plan.js';

/** Only what the plan reads of a deployment. */
function deployment(contextWindow: number | null, maxCompletionTokens: number | null, budgetId?: string): Deployment {
  return {
    id: 'd1',
    config: { model: 'some-model', completionCap: undefined },
    contextWindow,
    maxCompletionTokens,
    budget: budgetId === undefined ? undefined : { id: budgetId, limits: { tpm: { limit: 6_000 } } },
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
    // Eight answers seen: the floor is a quarter over the largest.
    expect(plan.demand.minTokens).toBe(planning.calibration.estimate('some-model', 1_000) + Math.ceil(400 * 1.25));
    const small = planCompletion(deployment(131_072, 131_072), planning, { alias: 'a', roughPrompt: 1_000, requested: 100, policy: 'adaptive' });
    expect(small.capFor(small.demand)).toBe(100);
  });

  it('leaves the body without a cap under requested when the client named none, booking the default', () => {
    const planning = new TokenPlanning();
    const plan = planCompletion(deployment(131_072, 131_072), planning, { alias: 'a', roughPrompt: 1_000, requested: undefined, policy: 'requested' });
    expect(plan.capFor(plan.demand)).toBeUndefined();
    expect(plan.demand.tokens).toBe(planning.calibration.estimate('some-model', 1_000) + 1_024);
  });

  it('tells neighbours what Groq counted beyond us, our own request taken out', () => {
    // Budgets watched for a minute already, so what is seen is a whole minute's level.
    const clock = { t: 0 };
    const watchedPlanning = (): TokenPlanning => {
      const planning = new TokenPlanning(undefined, () => clock.t);
      planning.neighbours.observe('b', 0);
      return planning;
    };
    const planning = watchedPlanning();
    // An upstream booking usage, as learned: the cap we book while the answer streams is not in its count.
    for (let i = 1; i <= 3; i++) {
      planning.retention.settled('b', 800, true);
      planning.retention.observe('b', { gap: -800 * i });
    }
    expect(planning.retention.keepsCap('b')).toBe(false);
    const plan = planCompletion(deployment(131_072, 131_072, 'b'), planning, { alias: 'a', roughPrompt: 1_000, requested: 8_192, policy: 'adaptive' });
    const booked = plan.demand;
    const cap = plan.capFor(booked) ?? 0;
    // Streaming: Groq counts 500 of someone else's beyond us, less the cap it has not counted yet.
    clock.t = 60_000;
    plan.observed({ tpm: 500 - cap }, undefined, booked);
    // None of it could be booked into the window (the gap was negative): all of it, and a fifth, is kept free.
    expect(planning.neighbours.spare('b')).toBe(600);
    // A refusal's headers, our booking given back: the gap is all theirs.
    clock.t = 0;
    const other = watchedPlanning();
    clock.t = 60_000;
    const refused = planCompletion(deployment(131_072, 131_072, 'b'), other, { alias: 'a', roughPrompt: 1_000, requested: 8_192, policy: 'adaptive' });
    refused.observed({ tpm: 2_000 }, undefined, undefined);
    expect(other.neighbours.spare('b')).toBe(400);
  });

  it('keeps a request off a deployment where even its least booking cannot fit beside other consumers', () => {
    const clock = { t: 0 };
    const planning = new TokenPlanning(undefined, () => clock.t);
    // Another consumer of the key was seen spending 4,000 of the 6,000 a minute.
    planning.neighbours.observe('b', 4_000);
    const big = planCompletion(deployment(131_072, 131_072, 'b'), planning, { alias: 'a', roughPrompt: 3_000, requested: 8_192, policy: 'adaptive' });
    expect(big.keptOut).toMatchObject({ budgetId: 'b', keptForOthers: true, exhausted: [{ window: 'tpm', limit: 6_000, used: 4_000 }] });
    // Its wait: until their level has faded to what leaves room for it.
    expect(big.keptOut?.retryAfterMs).toBe(planning.neighbours.msUntilLevelAtMost('b', 6_000 - (big.keptOut?.demand.tokens ?? 0)));
    expect(big.keptOut?.retryAfterMs).toBeGreaterThan(60_000);
    // A request that fits beside them is not kept out.
    const small = planCompletion(deployment(131_072, 131_072, 'b'), planning, { alias: 'a', roughPrompt: 500, requested: 8_192, policy: 'adaptive' });
    expect(small.keptOut).toBeUndefined();
  });

  it('weighs a streamed look at once where, believing Groq keeps caps, it is clear beside the prompt estimate’s error, and once only', () => {
    const planning = new TokenPlanning();
    const plans = [0, 1].map(() => planCompletion(deployment(131_072, 131_072, 'b'), planning, { alias: 'a', roughPrompt: 1_000, requested: 8_192, policy: 'adaptive' }));
    const [first, second] = plans.map((plan) => ({ plan, booked: plan.demand, cap: plan.capFor(plan.demand) ?? 0 }));
    if (first === undefined || second === undefined) throw new Error('two plans');
    // Groq books usage: at the first answer's headers its count leaves out the whole streaming cap.
    first.plan.observed({ tpm: -first.cap, outsideRequests: 0 }, undefined, first.booked);
    first.plan.spend({ prompt_tokens: first.booked.tokens - first.cap, completion_tokens: 200 }, first.booked);
    // One look, weighed once (at its headers, not again at its end): not decided yet.
    expect(planning.retention.keepsCap('b')).toBe(true);
    // Nor the first answer's unused cap, which we still keep.
    second.plan.observed({ tpm: -(first.cap - 200) - second.cap, outsideRequests: 0 }, undefined, second.booked);
    // The second, at its headers, before its answer has ended.
    expect(planning.retention.keepsCap('b')).toBe(false);
  });

  it('weighs a streamed answer’s look at Groq’s count once its usage says how Groq counted the prompt', () => {
    const planning = new TokenPlanning();
    let kept = 0;
    for (let i = 0; i < 3; i++) {
      const plan = planCompletion(deployment(131_072, 131_072, 'b'), planning, { alias: 'a', roughPrompt: 1_000, requested: 8_192, policy: 'adaptive' });
      const booked = plan.demand;
      const cap = plan.capFor(booked) ?? 0;
      const prompt = booked.tokens - cap;
      // Groq books usage: its count leaves out the caps we kept and the streaming one, and its prompt
      // count is 300 under ours.
      const before = planning.retention.keepsCap('b');
      plan.observed({ tpm: -kept - cap - 300, outsideRequests: 0 }, undefined, booked);
      // Weighed only at the answer's end, with the estimate's error taken out of the gap.
      expect(planning.retention.keepsCap('b')).toBe(before);
      plan.spend({ prompt_tokens: prompt - 300, completion_tokens: 200 }, booked);
      kept += cap - 200;
    }
    expect(planning.retention.keepsCap('b')).toBe(false);
  });
});

