/**
 * A cheap, deliberately generous estimate of prompt tokens, used before any network call (context-window
 * checks now, budget reservations later). About four characters per token for text; the real count is
 * settled from the upstream's `usage` afterwards.
 */
const CHARS_PER_TOKEN = 4;
/** Per-message framing (role, separators) that the tokenizer adds. */
const MESSAGE_OVERHEAD_TOKENS = 4;
/** Groq bills an image by its tiles; without decoding it, assume a large one. */
const IMAGE_TOKENS = 1_600;

/** Prompt tokens of a Responses API request: its `input` (text or items), instructions and tools. */
export function estimateInputTokens(body: Record<string, unknown>): number {
  const { input, instructions, tools } = body;
  let chars = typeof instructions === 'string' ? instructions.length : 0;
  if (Array.isArray(tools)) chars += JSON.stringify(tools).length;
  if (typeof input === 'string') return Math.ceil((chars + input.length) / CHARS_PER_TOKEN);
  if (!Array.isArray(input)) return Math.ceil(chars / CHARS_PER_TOKEN);
  let tokens = 0;
  for (const item of input) {
    tokens += MESSAGE_OVERHEAD_TOKENS;
    if (typeof item !== 'object' || item === null) continue;
    const content = (item as { content?: unknown }).content;
    if (typeof content === 'string') chars += content.length;
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (typeof part !== 'object' || part === null) continue;
        const { text, type } = part as { text?: unknown; type?: unknown };
        if (typeof text === 'string') chars += text.length;
        else if (type === 'input_image') tokens += IMAGE_TOKENS;
      }
    } else chars += JSON.stringify(item).length;
  }
  return tokens + Math.ceil(chars / CHARS_PER_TOKEN);
}

export function estimatePromptTokens(body: Record<string, unknown>): number {
  let chars = 0;
  let tokens = 0;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const message of messages) {
    tokens += MESSAGE_OVERHEAD_TOKENS;
    if (typeof message !== 'object' || message === null) continue;
    const { content, tool_calls: toolCalls } = message as { content?: unknown; tool_calls?: unknown };
    if (typeof content === 'string') chars += content.length;
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (typeof part !== 'object' || part === null) continue;
        const { text, type } = part as { text?: unknown; type?: unknown };
        if (typeof text === 'string') chars += text.length;
        else if (type === 'image_url') tokens += IMAGE_TOKENS;
      }
    }
    if (Array.isArray(toolCalls)) chars += JSON.stringify(toolCalls).length;
  }
  if (Array.isArray(body.tools)) chars += JSON.stringify(body.tools).length;
  return tokens + Math.ceil(chars / CHARS_PER_TOKEN);
}

/**
 * Completion tokens booked for a request that names no cap, until its real usage settles the booking.
 * Groq's own accounting books a default the same way.
 */
export const DEFAULT_COMPLETION_ESTIMATE = 1024;

/** The completion cap the request asked for, if any. */
export function requestedCompletionTokens(body: Record<string, unknown>): number | undefined {
  const cap = body.max_completion_tokens ?? body.max_tokens;
  return typeof cap === 'number' && cap > 0 ? cap : undefined;
}

/** The output cap a Responses API request asked for, if any. */
export function requestedOutputTokens(body: Record<string, unknown>): number | undefined {
  const cap = body.max_output_tokens;
  return typeof cap === 'number' && cap > 0 ? cap : undefined;
}
