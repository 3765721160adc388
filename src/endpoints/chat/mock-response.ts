import { randomUUID } from 'node:crypto';
import type { LocalAnswer } from '../shared/local-answer.js';
import { CHARS_PER_TOKEN } from '../shared/token-estimate.js';

/**
 * LiteLLM's `mock_response`: a chat completion with the given text, made here without any upstream
 * call, in the shape a real one has (whole, or as SSE chunks ending in `[DONE]`).
 */
export function mockCompletion(model: string, content: string, promptTokens: number, includeUsage: boolean): LocalAnswer {
  const id = `chatcmpl-mock-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const completionTokens = Math.ceil(content.length / CHARS_PER_TOKEN);
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  const base = { id, created, model, system_fingerprint: null };
  const json = JSON.stringify({
    ...base,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
    usage,
  });
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const events: unknown[] = [chunk({ role: 'assistant', content: '' }, null), chunk({ content }, null), chunk({}, 'stop')];
  if (includeUsage) events.push({ ...base, object: 'chat.completion.chunk', choices: [], usage });
  const frames = [...events.map((e) => `data: ${JSON.stringify(e)}\n\n`), 'data: [DONE]\n\n'];
  return { json, frames };
}
