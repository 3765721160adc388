import { randomUUID } from 'node:crypto';

/**
 * LiteLLM's `mock_response`: a chat completion with the given text, made here without any upstream
 * call, in the shape a real one has (whole, or as SSE chunks ending in `[DONE]`).
 */
export interface MockCompletion {
  /** The whole answer (`stream: false`). */
  readonly json: string;
  /** The SSE frames (`stream: true`), each `data: ...\n\n`, the last one `[DONE]`. */
  readonly frames: readonly string[];
}

/** About four characters a token, as the estimate elsewhere; the mock has no tokenizer to ask. */
const CHARS_PER_TOKEN = 4;

export function mockCompletion(model: string, content: string, promptTokens: number, includeUsage: boolean): MockCompletion {
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
