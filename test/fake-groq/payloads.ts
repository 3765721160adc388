/** Groq's response shapes: the `chat.completion` JSON body and the SSE `chat.completion.chunk` frames. */
import type { GroqErrorPayload } from './errors.js';
import type { FakeModel } from './models.js';
import type { CompletionPlan, FinishReason } from './plan.js';

export interface ResponseMeta {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly fingerprint: string;
  readonly requestId: string;
}

export interface GroqUsage {
  queue_time: number;
  prompt_tokens: number;
  prompt_time: number;
  completion_tokens: number;
  completion_time: number;
  total_tokens: number;
  total_time: number;
}

const round6 = (seconds: number): number => Math.round(seconds * 1e6) / 1e6;

/** Timings derived from token counts and the model's documented speed, so they are stable across runs. */
export function usageFor(promptTokens: number, completionTokens: number, model: FakeModel): GroqUsage {
  const promptTime = round6(promptTokens / 20_000);
  const completionTime = round6(completionTokens / (model.tokensPerSecond > 0 ? model.tokensPerSecond : 500));
  return {
    queue_time: 0.012345,
    prompt_tokens: promptTokens,
    prompt_time: promptTime,
    completion_tokens: completionTokens,
    completion_time: completionTime,
    total_tokens: promptTokens + completionTokens,
    total_time: round6(promptTime + completionTime),
  };
}

function assistantMessage(plan: CompletionPlan): Record<string, unknown> {
  if (plan.toolCall === null) return { role: 'assistant', content: plan.content ?? '' };
  const call = plan.toolCall;
  return { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] };
}

export function completionBody(meta: ResponseMeta, plan: CompletionPlan, usage: GroqUsage): Record<string, unknown> {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message: assistantMessage(plan), logprobs: null, finish_reason: plan.finishReason }],
    usage,
    system_fingerprint: meta.fingerprint,
    x_groq: { id: meta.requestId },
  };
}

export const sseFrame = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;
export const DONE_FRAME = 'data: [DONE]\n\n';
export const errorFrame = (error: GroqErrorPayload): string => sseFrame({ error });

function chunk(meta: ResponseMeta, delta: Record<string, unknown>, finishReason: FinishReason | null, extra?: Record<string, unknown>): Record<string, unknown> {
  return {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    system_fingerprint: meta.fingerprint,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...extra,
  };
}

/** Splits text into word-sized deltas whose concatenation is exactly the text. */
export function splitWords(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text === '' ? [] : [text]);
}

/** Argument fragments the way OpenAI streams them: a few characters at a time. */
export function splitArguments(args: string, size = 8): string[] {
  const parts: string[] = [];
  for (let i = 0; i < args.length; i += size) parts.push(args.slice(i, i + size));
  return parts;
}

/** Role chunk then content (or tool-call) chunks: the part a mid-stream fault may cut. */
/** `split`: how content and arguments are cut into frames (default: words, and 8-character argument fragments). */
export function streamBodyFrames(meta: ResponseMeta, plan: CompletionPlan, split?: (text: string) => string[]): string[] {
  const frames = [sseFrame(chunk(meta, { role: 'assistant', content: '' }, null, { x_groq: { id: meta.requestId } }))];
  if (plan.toolCall !== null) {
    const call = plan.toolCall;
    frames.push(sseFrame(chunk(meta, { tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, null)));
    for (const fragment of split?.(call.arguments) ?? splitArguments(call.arguments)) {
      frames.push(sseFrame(chunk(meta, { tool_calls: [{ index: 0, function: { arguments: fragment } }] }, null)));
    }
  } else {
    for (const word of split?.(plan.content ?? '') ?? splitWords(plan.content ?? '')) frames.push(sseFrame(chunk(meta, { content: word }, null)));
  }
  return frames;
}

/** Finish chunk (usage in `x_groq`, as Groq does), optional usage-only chunk, `[DONE]`. */
export function streamTailFrames(meta: ResponseMeta, finishReason: FinishReason, usage: GroqUsage, includeUsage: boolean): string[] {
  const frames = [sseFrame(chunk(meta, {}, finishReason, { x_groq: { id: meta.requestId, usage } }))];
  // Every chunk carries `choices`, even the usage-only one: Kilo Code reads `choices[0]?.delta` blindly.
  if (includeUsage) {
    frames.push(
      sseFrame({ id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, system_fingerprint: meta.fingerprint, choices: [], usage }),
    );
  }
  frames.push(DONE_FRAME);
  return frames;
}
