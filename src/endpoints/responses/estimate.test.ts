import { describe, expect, it } from 'vitest';
import { estimateInputTokens } from './estimate.js';

describe('estimateInputTokens', () => {
  it('counts a string input, instructions and tools at about four characters a token', () => {
    expect(estimateInputTokens({ input: 'x'.repeat(400) })).toBe(100);
    expect(estimateInputTokens({ input: 'x'.repeat(400), instructions: 'y'.repeat(400) })).toBe(200);
    expect(estimateInputTokens({ input: 'hi', tools: [{ type: 'browser_search' }] })).toBeGreaterThan(estimateInputTokens({ input: 'hi' }));
  });

  it('counts input items: framing, text parts, images, and items without content as their JSON', () => {
    const text = estimateInputTokens({ input: [{ role: 'user', content: [{ type: 'input_text', text: 'x'.repeat(400) }] }] });
    expect(text).toBe(104);
    expect(estimateInputTokens({ input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'data:' }] }] })).toBeGreaterThan(1000);
    expect(estimateInputTokens({ input: [{ type: 'function_call_output', call_id: 'c', output: 'x'.repeat(400) }] })).toBeGreaterThan(100);
    expect(estimateInputTokens({})).toBe(0);
  });
});
