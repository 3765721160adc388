import { describe, expect, it } from 'vitest';
import { usageOf } from './operation.js';

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer;

describe('usageOf', () => {
  it('reads the top-level usage of a completion, nested details included', () => {
    const body = {
      id: 'x',
      choices: [{ message: { content: 'the word "usage":{ appears here' } }],
      usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8, prompt_tokens_details: { cached_tokens: 1 } },
      usage_breakdown: null,
      x_groq: { id: 'req' },
    };
    expect(usageOf(bytes(body))).toEqual(body.usage);
  });

  it('is undefined without usage or for a cut body', () => {
    expect(usageOf(bytes({ choices: [] }))).toBeUndefined();
    expect(usageOf(new TextEncoder().encode('{"usage":{"prompt_tokens":3').buffer as ArrayBuffer)).toBeUndefined();
  });
});
