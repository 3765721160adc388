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

/** A running estimate: characters of text still to divide, plus tokens already known (images, framing). */
interface Tally {
  chars: number;
  tokens: number;
}

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
  return tally.tokens + Math.ceil(tally.chars / CHARS_PER_TOKEN);
}

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
  return tally.tokens + Math.ceil(tally.chars / CHARS_PER_TOKEN);
}

/** A message's content: a string, or parts of text and images (`imageType` names an image part). */
function addContent(tally: Tally, content: unknown, imageType: string): void {
  if (typeof content === 'string') {
    tally.chars += content.length;
    return;
  }
  if (!Array.isArray(content)) return;
  for (const part of content) {
    if (typeof part !== 'object' || part === null) continue;
    const { text, type } = part as { text?: unknown; type?: unknown };
    if (typeof text === 'string') tally.chars += text.length;
    else if (type === imageType) tally.tokens += IMAGE_TOKENS;
  }
}

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
