import { describe, expect, it } from 'vitest';
import { deploymentStub as deployment } from '../../../test/support/deployment-stub.js';
import { TokenPlanning } from '../../quota/token-planning.js';
import { responsesOperation } from './operation.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('responsesOperation', () => {
  const unsupported = { store: true, include: ['x'], prompt_cache_key: 'k' };

  const requested = { dropParams: true, completionCap: 'requested' } as const;

  it('replaces the alias, drops unsupported parameters under drop_params and clamps the output cap', async () => {
    const sent: Record<string, unknown>[] = [];
    const client = { responses: async (body: Record<string, unknown>) => (sent.push(body), new Response('{}')) };
    const planning = new TokenPlanning();
    const op = responsesOperation({ model: 'alias', input: 'hi', max_output_tokens: 99_999, ...unsupported }, 'alias', 10, planning);
    const prepared = op.prepare(deployment({ id: 'llama' }, { maxCompletionTokens: 8192 }), requested);
    await prepared.send(client as never, { signal: new AbortController().signal, timeoutMs: 1000 }, prepared.demand);
    expect(sent[0]).toEqual({ model: 'llama', input: 'hi', max_output_tokens: 8192 });
    // The prompt is booked as calibration estimates it (with its margins), beside the clamped cap.
    const prompt = planning.calibration.estimate('llama', 10);
    expect(prompt).toBeGreaterThan(10);
    expect(prepared.demand).toEqual({ requests: 1, tokens: prompt + 8192, audioSeconds: 0, minTokens: undefined });
  });

  it('refuses unsupported parameters by name without drop_params', () => {
    const op = responsesOperation({ model: 'alias', input: 'hi', ...unsupported }, 'alias', 10, new TokenPlanning());
    expect(() => op.prepare(deployment({ id: 'llama' }), { ...requested, dropParams: false })).toThrow(/store, include, prompt_cache_key are not supported by groq/);
  });

  it('settles tokens from the usage of a whole answer, cached input excluded', () => {
    const op = responsesOperation({ model: 'alias', input: 'hi', max_output_tokens: 500 }, 'alias', 10, new TokenPlanning());
    const prepared = op.prepare(deployment({ id: 'llama' }), requested);
    const answer = bytes('{"output":[],"usage":{"input_tokens":7,"output_tokens":3,"total_tokens":10,"input_tokens_details":{"cached_tokens":4}}}');
    const checked = op.checkAnswer?.(answer, 'application/json');
    if (typeof checked === 'string') throw new Error(checked);
    const spend = prepared.spent(answer, { requests: 1, tokens: 500, audioSeconds: 0 }, checked);
    // Without a budget there is no cap to keep: usage, its completion counted from the end of the answer.
    expect(spend.actual).toEqual({ tokens: 6, tokensAtEnd: 3 });
    expect(spend.usage?.prompt_tokens).toBe(7);
  });
});
