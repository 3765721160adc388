import { addContent, MESSAGE_OVERHEAD_TOKENS, tokensOf, type Tally } from '../shared/token-estimate.js';

/** Chat messages: their text, tool calls, and the tools offered. */
export function estimatePromptTokens(body: Record<string, unknown>): number {
  const tally: Tally = { chars: 0, tokens: 0 };
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const message of messages) {
    tally.tokens += MESSAGE_OVERHEAD_TOKENS;
    if (typeof message !== 'object' || message === null) continue;
    const { content, tool_calls: toolCalls } = message as { content?: unknown; tool_calls?: unknown };
    addContent(tally, content, 'image_url');
    if (Array.isArray(toolCalls)) tally.chars += JSON.stringify(toolCalls).length;
  }
  if (Array.isArray(body.tools)) tally.chars += JSON.stringify(body.tools).length;
  return tokensOf(tally);
}

/** The completion cap the request asked for, if any. */
export function requestedCompletionTokens(body: Record<string, unknown>): number | undefined {
  const cap = body.max_completion_tokens ?? body.max_tokens;
  return typeof cap === 'number' && cap > 0 ? cap : undefined;
}
