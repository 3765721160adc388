import { describe, expect, it } from 'vitest';
import type { SseFrame, StreamUsage } from '../../relay/sse-relay.js';
import { fixChatEvent } from './stream-dialect.js';

const plain: SseFrame = { event: undefined, data: '', plain: true };
const ignore = () => {};

describe('fixChatEvent', () => {
  it('leaves events that already carry choices as they came', () => {
    expect(fixChatEvent({ choices: [] }, plain, ignore)).toBeUndefined();
    expect(fixChatEvent({ choices: [{ delta: {} }] }, plain, ignore)).toBeUndefined();
  });

  it('writes a plain event without choices again with an empty array, and reports its usage', () => {
    const usages: StreamUsage[] = [];
    const fixed = fixChatEvent({ id: '1', x_groq: { usage: { prompt_tokens: 3 } } }, plain, (u) => usages.push(u));
    expect(fixed?.toString()).toBe(`data: ${JSON.stringify({ id: '1', x_groq: { usage: { prompt_tokens: 3 } }, choices: [] })}\n\n`);
    expect(usages).toEqual([{ prompt_tokens: 3 }]);
  });

  it('leaves an event with other lines (a name, an id) as it came: writing it again would drop them', () => {
    expect(fixChatEvent({ id: '1' }, { event: 'message', data: '{"id":"1"}', plain: false }, ignore)).toBeUndefined();
  });

  it('reports the top-level usage of a chunk with choices, and ignores a null one', () => {
    const usages: StreamUsage[] = [];
    expect(fixChatEvent({ choices: [], usage: { completion_tokens: 2 } }, plain, (u) => usages.push(u))).toBeUndefined();
    fixChatEvent({ choices: [], usage: null }, plain, (u) => usages.push(u));
    expect(usages).toEqual([{ completion_tokens: 2 }]);
  });
});
