/**
 * Pacing: when each piece of an answer goes out, as offsets from the moment generation starts, so a
 * benchmark sees Groq-like latency (time to first token, then tokens at a steady rate).
 */

export interface Pacing {
  /** Time to the first content token, ms. */
  readonly ttftMs: number;
  /** Completion tokens per second; 0 = all at once after the first token. */
  readonly tokensPerSecond: number;
}

/** Characters per content frame of a paced stream: ~16 tokens at 4 characters per token. */
export const PACED_FRAME_CHARS = 64;

/** When the last token is out: the time a non-stream answer waits before it is sent. */
export function generationMs(pacing: Pacing, completionTokens: number): number {
  return pacing.ttftMs + (pacing.tokensPerSecond > 0 ? (completionTokens * 1000) / pacing.tokensPerSecond : 0);
}

/** Offset of a content piece that starts after `tokensBefore` tokens of the answer. */
export function offsetAfter(pacing: Pacing, tokensBefore: number): number {
  return generationMs(pacing, tokensBefore);
}

/** Splits text into pieces of at most `size` characters whose concatenation is exactly the text. */
export function splitEvery(text: string, size = PACED_FRAME_CHARS): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}
