import { describe, expect, it } from 'vitest';
import { estimatePromptTokens, requestedCompletionTokens } from './estimate.js';

describe('estimatePromptTokens', () => {
  it('counts text in string and part content, tool calls and tools', () => {
    const small = estimatePromptTokens({ messages: [{ role: 'user', content: 'x'.repeat(400) }] });
    expect(small).toBe(4 + 100);
    const parts = estimatePromptTokens({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(400) }] }] });
    expect(parts).toBe(small);
    const withTools = estimatePromptTokens({
      messages: [{ role: 'user', content: 'x'.repeat(400) }],
      tools: [{ type: 'function', function: { name: 'read_file', parameters: { type: 'object' } } }],
    });
    expect(withTools).toBeGreaterThan(small);
  });

  it('charges images without decoding them and survives junk', () => {
    expect(estimatePromptTokens({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:' } }] }] })).toBeGreaterThan(1000);
    expect(estimatePromptTokens({ messages: [null, 3, { content: 7 }] })).toBe(12);
    expect(estimatePromptTokens({})).toBe(0);
  });
});

describe('requestedCompletionTokens', () => {
  it('prefers max_completion_tokens, else max_tokens', () => {
    expect(requestedCompletionTokens({ max_tokens: 10, max_completion_tokens: 20 })).toBe(20);
    expect(requestedCompletionTokens({ max_tokens: 10 })).toBe(10);
    expect(requestedCompletionTokens({})).toBeUndefined();
  });
});
