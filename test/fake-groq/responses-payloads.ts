/**
 * OpenAI Responses shapes as Groq serves them: the `response` object, its output items, and the SSE
 * events (`event: <type>` + `data: {"type", "sequence_number", ...}`) a streamed answer is made of.
 */
import type { GroqErrorPayload } from './errors.js';
import { newResponsesId } from './ids.js';
import { splitArguments, splitWords } from './payloads.js';
import type { CompletionPlan } from './plan.js';
import { isRecord } from './request.js';
import type { ResponsesRequest } from './responses-request.js';

export interface ResponsesMeta {
  readonly id: string;
  /** Unix seconds. */
  readonly createdAt: number;
  readonly model: string;
}

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type OutputItem = Record<string, unknown> & { type: string; id: string };

export const responsesUsage = (inputTokens: number, outputTokens: number): ResponsesUsage => ({
  input_tokens: inputTokens,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: outputTokens,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: inputTokens + outputTokens,
});

/** What each built-in tool "did", one item per tool in `tools`, in order. */
function builtInToolItems(request: ResponsesRequest, query: string): OutputItem[] {
  const items: OutputItem[] = [];
  for (const tool of request.tools ?? []) {
    switch (tool['type']) {
      case 'code_interpreter':
        items.push({
          type: 'code_interpreter_call',
          id: newResponsesId('ci'),
          status: 'completed',
          code: "print('fake-groq')",
          container_id: null,
          outputs: [],
        });
        break;
      case 'browser_search':
        // Groq reports browser_search the way OpenAI reports web_search, so OpenAI clients can read it.
        items.push({ type: 'web_search_call', id: newResponsesId('ws'), status: 'completed', action: { type: 'search', query } });
        break;
      case 'mcp': {
        const allowed = tool['allowed_tools'];
        const name = Array.isArray(allowed) && typeof allowed[0] === 'string' ? allowed[0] : 'fake_tool';
        items.push({
          type: 'mcp_call',
          id: newResponsesId('mcp'),
          server_label: String(tool['server_label']),
          name,
          arguments: '{}',
          output: `fake-groq: result of ${name}`,
          error: null,
          status: 'completed',
        });
        break;
      }
      default:
        break;
    }
  }
  return items;
}

/** Built-in tool items, then the function call (CALL_TOOL) or the assistant message. */
export function outputItems(request: ResponsesRequest, plan: CompletionPlan, query: string): OutputItem[] {
  const items = builtInToolItems(request, query);
  if (plan.toolCall !== null) {
    items.push({
      type: 'function_call',
      id: newResponsesId('fc'),
      call_id: plan.toolCall.id,
      name: plan.toolCall.name,
      arguments: plan.toolCall.arguments,
      status: 'completed',
    });
  } else {
    items.push({
      type: 'message',
      id: newResponsesId('msg'),
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: plan.content ?? '', annotations: [], logprobs: [] }],
    });
  }
  return items;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete';

export function responseObject(
  meta: ResponsesMeta,
  request: ResponsesRequest,
  status: ResponseStatus,
  output: readonly OutputItem[],
  usage: ResponsesUsage | null,
): Record<string, unknown> {
  const reasoning = isRecord(request.reasoning) ? request.reasoning : {};
  return {
    id: meta.id,
    object: 'response',
    created_at: meta.createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    max_tool_calls: null,
    model: meta.model,
    output,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: reasoning['effort'] ?? null, summary: reasoning['summary'] ?? null },
    service_tier: 'default',
    store: false,
    temperature: request.temperature ?? 1,
    text: request.text ?? { format: { type: 'text' } },
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    top_logprobs: 0,
    top_p: request.top_p ?? 1,
    truncation: 'disabled',
    usage,
    user: request.user ?? null,
    metadata: request.metadata ?? {},
  };
}

/** Status for a finished plan: a reply cut by `max_output_tokens` is `incomplete`, as on OpenAI. */
export const finalStatus = (plan: CompletionPlan): ResponseStatus => (plan.finishReason === 'length' ? 'incomplete' : 'completed');

/** Builds `event:`/`data:` frames with a running `sequence_number`. */
export class EventWriter {
  /** `start`: the sequence number of the next frame, e.g. where a mid-stream fault cut the stream. */
  constructor(private sequence = 0) {}

  frame(type: string, fields: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: this.sequence++ })}\n\n`;
  }

  /**
   * The `error` event OpenAI's streaming docs describe (`code`, `message`, `param`), plus the Groq-style
   * `error` object that makes the openai and groq SDK stream readers throw.
   */
  error(error: GroqErrorPayload): string {
    return this.frame('error', { code: error.code ?? null, message: error.message, param: error.param ?? null, error });
  }
}

const inProgress = (item: OutputItem): OutputItem => {
  switch (item.type) {
    case 'message':
      return { ...item, status: 'in_progress', content: [] };
    case 'function_call':
      return { ...item, status: 'in_progress', arguments: '' };
    case 'mcp_call':
      return { ...item, status: 'in_progress', output: null };
    default:
      return { ...item, status: 'in_progress' };
  }
};

/**
 * Every event of a streamed answer, in OpenAI's order; the last one is `response.completed` (or
 * `response.incomplete`). A mid-stream fault cuts before that last frame.
 */
export function responseEvents(
  events: EventWriter,
  meta: ResponsesMeta,
  request: ResponsesRequest,
  items: readonly OutputItem[],
  final: Record<string, unknown>,
  split?: (text: string) => string[],
): string[] {
  const started = responseObject(meta, request, 'in_progress', [], null);
  const frames = [events.frame('response.created', { response: started }), events.frame('response.in_progress', { response: started })];
  items.forEach((item, outputIndex) => {
    frames.push(events.frame('response.output_item.added', { output_index: outputIndex, item: inProgress(item) }));
    if (item.type === 'message') frames.push(...messageEvents(events, item, outputIndex, split));
    if (item.type === 'function_call') frames.push(...argumentEvents(events, item, outputIndex));
    frames.push(events.frame('response.output_item.done', { output_index: outputIndex, item }));
  });
  frames.push(events.frame(final['status'] === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final }));
  return frames;
}

function messageEvents(events: EventWriter, item: OutputItem, outputIndex: number, split: (text: string) => string[] = splitWords): string[] {
  const content = Array.isArray(item['content']) ? item['content'] : [];
  const part: unknown = content[0];
  const text = isRecord(part) && typeof part['text'] === 'string' ? part['text'] : '';
  const where = { item_id: item.id, output_index: outputIndex, content_index: 0 };
  const frames = [events.frame('response.content_part.added', { ...where, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } })];
  for (const delta of split(text)) frames.push(events.frame('response.output_text.delta', { ...where, delta, logprobs: [] }));
  frames.push(events.frame('response.output_text.done', { ...where, text, logprobs: [] }));
  frames.push(events.frame('response.content_part.done', { ...where, part }));
  return frames;
}

function argumentEvents(events: EventWriter, item: OutputItem, outputIndex: number): string[] {
  const args = typeof item['arguments'] === 'string' ? item['arguments'] : '';
  const where = { item_id: item.id, output_index: outputIndex };
  const frames = splitArguments(args).map((delta) => events.frame('response.function_call_arguments.delta', { ...where, delta }));
  frames.push(events.frame('response.function_call_arguments.done', { ...where, name: item['name'], arguments: args }));
  return frames;
}
