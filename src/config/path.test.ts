import { LineCounter, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatPath } from './path.js';
import { positionOf } from './positions.js';

describe('formatPath', () => {
  it('writes LiteLLM-style paths and quotes keys that would read ambiguously', () => {
    expect(formatPath(['model_list', 2, 'litellm_params', 'model'])).toBe('model_list[2].litellm_params.model');
    expect(formatPath(['router_settings', 'fallbacks', 0, 'groq/llama', 1])).toBe(
      'router_settings.fallbacks[0]["groq/llama"][1]',
    );
    expect(formatPath([])).toBe('');
  });
});

describe('positionOf', () => {
  const text = 'a:\n  b:\n    - x: 1\n    - y: 2\n';
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });

  it('points a map entry at its key and a list item at the item', () => {
    expect(positionOf(doc, lineCounter, ['a', 'b', 1, 'y'])).toEqual({ line: 4, column: 7 });
    expect(positionOf(doc, lineCounter, ['a', 'b', 1])).toEqual({ line: 4, column: 7 });
    expect(positionOf(doc, lineCounter, ['a', 'b'])).toEqual({ line: 2, column: 3 });
  });

  it('points a missing key at its nearest existing ancestor', () => {
    expect(positionOf(doc, lineCounter, ['a', 'b', 0, 'missing'])).toEqual({ line: 3, column: 7 });
    expect(positionOf(doc, lineCounter, ['a', 'nope', 'deeper'])).toEqual({ line: 1, column: 1 });
    expect(positionOf(doc, lineCounter, ['zzz'])).toEqual({ line: 1, column: 1 });
  });
});
