import { describe, expect, it } from 'vitest';
import { idealAnswers, learnedCap, type IdealInput } from './agents-ideal.js';

const LIMITS = { rpm: 30, rpd: 14_400, tpm: 6_000, tpd: 500_000 };

function input(capFor?: IdealInput['capFor']): IdealInput {
  // One agent, one model: prompts of 2,000 and answers of 300, so the cap decides how many fit a minute.
  const requests = Array.from({ length: 100 }, () => ({ promptTokens: 2_000, completionTokens: 300 }));
  return {
    chain: ['m'],
    limits: { m: LIMITS },
    accounting: 'cap-booked',
    ttftMs: 100,
    tokensPerSecond: 1_000,
    durationMs: 180_000,
    agents: [requests],
    otherConsumer: [],
    ...(capFor === undefined ? {} : { capFor }),
  };
}

describe('the packing-aware ideal', () => {
  it('packs whole requests with their true length as the cap: 2 × 2,300 a minute in 6,000', () => {
    expect(idealAnswers(input()).answers).toBe(6);
  });

  it('packs fewer with the caps a gateway can learn, which cover answers it has not seen', () => {
    // 1,024 before any answer, then three times 300, then less as answers are seen.
    expect(learnedCap({ promptTokens: 0, completionTokens: 0 }, [])).toBe(1_024);
    expect(learnedCap({ promptTokens: 0, completionTokens: 0 }, [300])).toBe(900);
    expect(learnedCap({ promptTokens: 0, completionTokens: 0 }, Array(20).fill(300))).toBe(Math.ceil(300 * 1.1));
    const learned = idealAnswers(input(learnedCap)).answers;
    expect(learned).toBeLessThanOrEqual(6);
    expect(learned).toBeGreaterThanOrEqual(4);
  });

  it('packs fewer with every cap at the longest answer there may be: 2,000 + 1,000 twice a minute, then 2,000 + 1,100 once', () => {
    expect(idealAnswers(input(() => 1_000)).answers).toBe(6);
    expect(idealAnswers(input(() => 1_100)).answers).toBe(3);
  });
});
