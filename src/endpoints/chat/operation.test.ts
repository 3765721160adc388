import { describe, expect, it } from 'vitest';
import { TokenPlanning } from '../../quota/token-planning.js';
import { usageIn } from '../shared/answer-shape.js';
import { chatOperation } from './operation.js';

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const check = chatOperation({ model: 'a', messages: [{ role: 'user', content: 'hi' }] }, 'a', 10, new TokenPlanning()).checkAnswer;

describe("a chat answer's check and usage", () => {
  it('hands back the parsed completion, whose top-level usage is read (nested details included)', () => {
    const body = {
      id: 'x',
      choices: [{ message: { content: 'the word "usage":{ appears here' } }],
      usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8, prompt_tokens_details: { cached_tokens: 1 } },
      usage_breakdown: null,
      x_groq: { id: 'req' },
    };
    const checked = check?.(bytes(body), 'application/json');
    expect(checked).toEqual(body);
    expect(usageIn(checked as Record<string, unknown>)).toEqual(body.usage);
  });

  it('has no usage without one, and a cut body is no answer', () => {
    expect(usageIn(check?.(bytes({ choices: [] }), 'application/json') as Record<string, unknown>)).toBeUndefined();
    expect(check?.(new TextEncoder().encode('{"choices":[],"usage":{"prompt_tokens":3'), 'application/json')).toMatch(/not JSON/);
  });
});
