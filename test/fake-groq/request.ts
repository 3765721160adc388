/** The chat request as the fake understands it, plus the deterministic token arithmetic on it. */
import type { PromptCount } from './accounting.js';

export interface ContentPart {
  type: string;
  text?: string;
  [field: string]: unknown;
}

export interface ChatMessage {
  role: string;
  content?: string | ContentPart[] | null;
  [field: string]: unknown;
}

export interface FunctionDefinition {
  name: string;
  description?: string;
  parameters?: unknown;
  [field: string]: unknown;
}

export interface ToolDefinition {
  type: string;
  function?: FunctionDefinition;
  [field: string]: unknown;
}

/** A parsed `/chat/completions` body. Only fields the fake looks at are typed; the rest pass through. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  tools?: ToolDefinition[] | null;
  [field: string]: unknown;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Text of one message; tolerant of anything, because the fast path counts tokens on unvalidated input. */
export function messageText(message: unknown): string {
  if (!isRecord(message)) return '';
  const content = message['content'];
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (isRecord(part) && typeof part['text'] === 'string') text += part['text'];
  }
  return text;
}

/** ceil(chars / 4): crude, but deterministic, which is what tests asserting on usage need. */
export const tokensForText = (chars: number): number => Math.ceil(chars / 4);

export function promptTokens(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let chars = 0;
  for (const message of messages) chars += messageText(message).length;
  return tokensForText(chars);
}

/** The prompt as a counting rule sees it: `messages-json` also counts the JSON structure and the tools. */
export function promptTokensAs(count: PromptCount, messages: unknown, tools: unknown): number {
  if (count === 'content-chars') return promptTokens(messages);
  const toolsJson = Array.isArray(tools) && tools.length > 0 ? JSON.stringify(tools).length : 0;
  return tokensForText((Array.isArray(messages) ? JSON.stringify(messages).length : 0) + toolsJson);
}

/** The prompt count a fake with these options reports: the rule's count times `scale`, rounded up. */
export function scaledPromptTokens(count: PromptCount, scale: number, messages: unknown, tools: unknown): number {
  const tokens = promptTokensAs(count, messages, tools);
  return scale === 1 ? tokens : Math.ceil(tokens * scale);
}

export function lastUserText(messages: readonly unknown[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (isRecord(message) && message['role'] === 'user') return messageText(message);
  }
  return '';
}

/** The completion cap the client asked for; `max_completion_tokens` is the newer name and wins. */
export function requestedMaxTokens(request: Record<string, unknown>): number | undefined {
  for (const field of ['max_completion_tokens', 'max_tokens']) {
    const value = request[field];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}
