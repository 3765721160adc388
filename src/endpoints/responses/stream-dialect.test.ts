import { describe, expect, it } from 'vitest';
import type { StreamUsage } from '../../relay/sse-relay.js';
import { responsesEvents } from './stream-dialect.js';

const enc = (s: string) => Buffer.from(s);

describe('responsesEvents', () => {
  const frame = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify({ type, ...(data as object) })}\n\n`;

  it('passes Responses events unchanged and reports the usage of response.completed in chat names', () => {
    const events = enc(
      frame('response.output_text.delta', { delta: 'Hi', sequence_number: 3 }) +
        frame('response.completed', { response: { id: 'resp_1', usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7, input_tokens_details: { cached_tokens: 1 } } } }),
    );
    const usages: StreamUsage[] = [];
    expect(responsesEvents(events, (u) => usages.push(u)).equals(events)).toBe(true);
    expect(usages).toEqual([{ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, prompt_tokens_details: { cached_tokens: 1 } }]);
  });

  it('reports nothing for events without a completed response', () => {
    const usages: StreamUsage[] = [];
    responsesEvents(enc(frame('response.created', { response: { usage: null } })), (u) => usages.push(u));
    expect(usages).toEqual([]);
  });
});
