/**
 * A cheap, deliberately generous estimate of prompt tokens, used before any network call (context-window
 * checks, budget reservations). About four characters per token for text; the real count is settled from
 * the upstream's `usage` afterwards. Each endpoint's `estimate.ts` walks its own request shape with these.
 */
export const CHARS_PER_TOKEN = 4;
/** Per-message framing (role, separators) that the tokenizer adds. */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** Groq bills an image by its tiles; without decoding it, assume a large one. */
const IMAGE_TOKENS = 1_600;

/** A running estimate: characters of text still to divide, plus tokens already known (images, framing). */
export interface Tally {
  chars: number;
  tokens: number;
}

export function tokensOf(tally: Tally): number {
  return tally.tokens + Math.ceil(tally.chars / CHARS_PER_TOKEN);
}

/** A message's content: a string, or parts of text and images (`imageType` names an image part). */
export function addContent(tally: Tally, content: unknown, imageType: string): void {
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
