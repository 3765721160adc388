import { describe, expect, it } from 'vitest';
import type { SseFrame, StreamUsage } from '../../relay/sse-relay.js';
import { reportResponsesUsage } from './stream-dialect.js';

const named = (event: string | undefined): SseFrame => ({ event, data: '', plain: false });

describe('reportResponsesUsage', () => {
  it('passes Responses events unchanged and reports the usage of response.completed in chat names', () => {
    const usages: StreamUsage[] = [];
    expect(reportResponsesUsage({ type: 'response.output_text.delta', delta: 'Hi', sequence_number: 3 }, named('response.output_text.delta'), (u) => usages.push(u))).toBeUndefined();
    const completed = { type: 'response.completed', response: { id: 'resp_1', usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7, input_tokens_details: { cached_tokens: 1 } } } };
    expect(reportResponsesUsage(completed, named('response.completed'), (u) => usages.push(u))).toBeUndefined();
    expect(usages).toEqual([{ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, prompt_tokens_details: { cached_tokens: 1 } }]);
  });

  it('reads the type from the data when the event has no name', () => {
    const usages: StreamUsage[] = [];
    reportResponsesUsage({ type: 'response.completed', response: { usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } } }, named(undefined), (u) => usages.push(u));
    expect(usages).toHaveLength(1);
  });

  it('reports the usage of an incomplete or failed response too: its tokens were spent', () => {
    const usages: StreamUsage[] = [];
    const usage = { input_tokens: 5, output_tokens: 64, total_tokens: 69 };
    reportResponsesUsage({ type: 'response.incomplete', response: { incomplete_details: { reason: 'max_output_tokens' }, usage } }, named('response.incomplete'), (u) => usages.push(u));
    reportResponsesUsage({ type: 'response.failed', response: { error: { message: 'x' }, usage } }, named(undefined), (u) => usages.push(u));
    expect(usages).toEqual([
      { prompt_tokens: 5, completion_tokens: 64, total_tokens: 69, prompt_tokens_details: null },
      { prompt_tokens: 5, completion_tokens: 64, total_tokens: 69, prompt_tokens_details: null },
    ]);
  });

  it('reports nothing for events without a completed response', () => {
    const usages: StreamUsage[] = [];
    reportResponsesUsage({ type: 'response.created', response: { usage: null } }, named('response.created'), (u) => usages.push(u));
    expect(usages).toEqual([]);
  });
});
