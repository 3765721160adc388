/** Decides what the fake answers, independently of how it is framed (JSON or SSE). */
import type { FakeModel } from './models.js';
import { newToolCallId } from './ids.js';
import { isRecord, lastUserText, promptTokens, requestedMaxTokens, tokensForText, type ChatRequest, type ToolDefinition } from './request.js';
import { placeholderArguments } from './tool-args.js';

/** Magic word that makes the fake answer with a call to the request's first function tool. */
export const TOOL_TRIGGER = 'CALL_TOOL';

/**
 * `[[completion_tokens=N]]` in the last user message: the answer is exactly N completion tokens long
 * (N times {@link MARKER_TOKEN}), or cut at the request's cap with `finish_reason: length`.
 */
export const COMPLETION_MARKER = /\[\[completion_tokens=(\d+)\]\]/;

/** One completion token of a marker answer: four characters, so the chars/4 rule counts it as one. */
export const MARKER_TOKEN = 'tok ';

export function markedCompletionTokens(request: ChatRequest): number | undefined {
  const match = COMPLETION_MARKER.exec(lastUserText(request.messages));
  return match === null ? undefined : Number(match[1]);
}

export type FinishReason = 'stop' | 'length' | 'tool_calls';

export interface ToolCallPlan {
  readonly id: string;
  readonly name: string;
  /** JSON text, as on the wire. */
  readonly arguments: string;
}

export interface CompletionPlan {
  /** `null` when the answer is a tool call. */
  readonly content: string | null;
  readonly toolCall: ToolCallPlan | null;
  readonly finishReason: FinishReason;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export type ReplyFn = (request: ChatRequest) => string;

export const defaultReply = (model: string): string => `Hello from ${model}`;

/** `prompt`: the prompt's tokens as the fake counts them (default: content characters / 4). */
export function planCompletion(request: ChatRequest, model: FakeModel, reply: ReplyFn | undefined, prompt = promptTokens(request.messages)): CompletionPlan {
  const tool = triggeredTool(request);
  if (tool?.function !== undefined) {
    const args = JSON.stringify(placeholderArguments(tool.function.parameters));
    const call: ToolCallPlan = { id: newToolCallId(), name: tool.function.name, arguments: args };
    return { content: null, toolCall: call, finishReason: 'tool_calls', promptTokens: prompt, completionTokens: tokensForText(call.name.length + args.length) };
  }

  const marked = markedCompletionTokens(request);
  if (marked !== undefined) {
    const limit = requestedMaxTokens(request);
    const cut = limit !== undefined && limit >= 0 && marked > limit;
    const tokens = cut ? Math.floor(limit) : marked;
    return { content: MARKER_TOKEN.repeat(tokens), toolCall: null, finishReason: cut ? 'length' : 'stop', promptTokens: prompt, completionTokens: tokens };
  }

  // String() because JavaScript callers are not held to the ReplyFn type.
  const text = reply !== undefined ? String(reply(request)) : defaultReply(model.id);
  const completion = tokensForText(text.length);
  const cap = requestedMaxTokens(request);
  // Honour max_tokens the way a real model does: cut the text and say so in finish_reason.
  if (cap !== undefined && cap >= 0 && completion > cap) {
    return { content: text.slice(0, cap * 4), toolCall: null, finishReason: 'length', promptTokens: prompt, completionTokens: cap };
  }
  return { content: text, toolCall: null, finishReason: 'stop', promptTokens: prompt, completionTokens: completion };
}

function triggeredTool(request: ChatRequest): ToolDefinition | undefined {
  const tools: unknown = request.tools;
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  if (!lastUserText(request.messages).includes(TOOL_TRIGGER)) return undefined;
  return tools.find(
    (t): t is ToolDefinition => isRecord(t) && t['type'] === 'function' && isRecord(t['function']) && typeof t['function']['name'] === 'string',
  );
}
