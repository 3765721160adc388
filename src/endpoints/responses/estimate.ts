import { addContent, MESSAGE_OVERHEAD_TOKENS, tokensOf, type Tally } from '../shared/token-estimate.js';

/** A Responses API request: its `input` (text or items), instructions and tools. */
export function estimateInputTokens(body: Record<string, unknown>): number {
  const { input, instructions, tools } = body;
  const tally: Tally = { chars: typeof instructions === 'string' ? instructions.length : 0, tokens: 0 };
  if (Array.isArray(tools)) tally.chars += JSON.stringify(tools).length;
  if (typeof input === 'string') tally.chars += input.length;
  for (const item of Array.isArray(input) ? input : []) {
    tally.tokens += MESSAGE_OVERHEAD_TOKENS;
    if (typeof item !== 'object' || item === null) continue;
    const { content } = item as { content?: unknown };
    // Items without content (function calls and their outputs) count as their JSON.
    if (content === undefined) tally.chars += JSON.stringify(item).length;
    else addContent(tally, content, 'input_image');
  }
  return tokensOf(tally);
}

/** The output cap a Responses API request asked for, if any. */
export function requestedOutputTokens(body: Record<string, unknown>): number | undefined {
  const cap = body.max_output_tokens;
  return typeof cap === 'number' && cap > 0 ? cap : undefined;
}
