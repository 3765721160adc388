import { describe, expect, it } from 'vitest';
import type { StreamUsage } from '../../relay/sse-relay.js';
import { fixChatEvent } from './stream-dialect.js';

describe('fixChatEvent', () => {
  it('leaves events that already carry choices as they came', () => {
    expect(fixChatEvent({ choices: [] }, undefined, undefined)).toBeUndefined();
    expect(fixChatEvent({ choices: [{ delta: {} }] }, undefined, undefined)).toBeUndefined();
  });

  it('does not add choices to an in-band error frame', () => {
    expect(fixChatEvent({ error: { message: 'x' } }, undefined, undefined)).toBeUndefined();
  });

  it('writes an event without choices again with an empty array, and reports its usage', () => {
    const usages: StreamUsage[] = [];
    const fixed = fixChatEvent({ id: '1', x_groq: { usage: { prompt_tokens: 3 } } }, undefined, (u) => usages.push(u));
    expect(fixed?.toString()).toBe(`data: ${JSON.stringify({ id: '1', x_groq: { usage: { prompt_tokens: 3 } }, choices: [] })}\n\n`);
    expect(usages).toEqual([{ prompt_tokens: 3 }]);
  });

  it('reports the top-level usage of a chunk with choices, and ignores a null one', () => {
    const usages: StreamUsage[] = [];
    expect(fixChatEvent({ choices: [], usage: { completion_tokens: 2 } }, undefined, (u) => usages.push(u))).toBeUndefined();
    fixChatEvent({ choices: [], usage: null }, undefined, (u) => usages.push(u));
    expect(usages).toEqual([{ completion_tokens: 2 }]);
  });
});
