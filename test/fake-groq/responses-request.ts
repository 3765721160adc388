/**
 * POST /openai/v1/responses bodies: Groq's validation (it rejects the OpenAI parameters it does not
 * implement, such as `store` and `previous_response_id`) and the chat-shaped view of a request that
 * the shared planning code (token counts, `reply`, CALL_TOOL) works on.
 */
import { invalidRequest, type GroqErrorBody } from './errors.js';
import type { FakeModel } from './models.js';
import { isRecord, promptTokens, type ChatMessage, type ChatRequest, type ToolDefinition } from './request.js';
import type { Validation } from './validate.js';

/** A parsed `/responses` body. Only fields the fake looks at are typed; the rest pass through. */
export interface ResponsesRequest {
  model: string;
  input: string | Record<string, unknown>[];
  instructions?: string | null;
  tools?: Record<string, unknown>[] | null;
  tool_choice?: unknown;
  stream?: boolean | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  parallel_tool_calls?: boolean | null;
  metadata?: Record<string, unknown> | null;
  reasoning?: Record<string, unknown> | null;
  text?: Record<string, unknown> | null;
  user?: string | null;
  [field: string]: unknown;
}

/** OpenAI Responses parameters Groq answers with a 400 (Groq's Responses API documentation). Any value counts, `null` and `false` included. */
export const UNSUPPORTED_RESPONSES_PARAMS = ['previous_response_id', 'store', 'truncation', 'include', 'safety_identifier', 'prompt_cache_key'] as const;

/** Groq's built-in tools (Groq's built-in tools documentation) plus ordinary function tools. */
export const RESPONSES_TOOL_TYPES = ['function', 'code_interpreter', 'browser_search', 'mcp'] as const;

type Failure = { ok: false; error: GroqErrorBody };
const fail = (message: string, param?: string): Failure => ({ ok: false, error: invalidRequest(message, param) });
const present = (record: Record<string, unknown>, field: string): boolean => field in record && record[field] !== null;
const MESSAGE_ROLES = new Set(['user', 'system', 'developer', 'assistant']);

export function validateResponsesRequest(body: Record<string, unknown>, model: FakeModel): Validation<ResponsesRequest> {
  if (model.kind !== 'chat') return fail(`model \`${model.id}\` does not support the Responses API`, 'model');
  for (const field of UNSUPPORTED_RESPONSES_PARAMS) {
    if (field in body) return fail(`'${field}' : property '${field}' is unsupported`, field);
  }

  const input = body['input'];
  if (input === undefined || input === null) return fail(`property 'input' is missing`, 'input');
  if (typeof input === 'string') {
    if (input === '') return fail(`'input' : string must not be empty`, 'input');
  } else if (Array.isArray(input)) {
    if (input.length === 0) return fail(`'input' : minimum number of items is 1`, 'input');
    for (let i = 0; i < input.length; i++) {
      const problem = checkInputItem(input[i], `input.${i}`);
      if (problem !== undefined) return problem;
    }
  } else {
    return fail(`'input' : value must be a string or an array`, 'input');
  }

  const typeProblem =
    expectType(body, 'instructions', 'string') ??
    expectType(body, 'stream', 'boolean') ??
    expectType(body, 'parallel_tool_calls', 'boolean') ??
    expectType(body, 'user', 'string') ??
    expectType(body, 'metadata', 'object') ??
    expectType(body, 'reasoning', 'object') ??
    expectType(body, 'text', 'object') ??
    checkRange(body, 'temperature', 0, 2) ??
    checkRange(body, 'top_p', 0, 1) ??
    checkMaxOutputTokens(body, model) ??
    checkTools(body['tools']) ??
    checkToolChoice(body['tool_choice']);
  if (typeProblem !== undefined) return typeProblem;

  const request = body as ResponsesRequest;
  const prompt = promptTokens(chatMessages(request));
  const completion = typeof request.max_output_tokens === 'number' ? request.max_output_tokens : 0;
  if (prompt + completion > model.contextWindow) {
    return {
      ok: false,
      error: {
        error: {
          message:
            `This model's maximum context length is ${model.contextWindow} tokens. However, you requested ` +
            `${prompt + completion} tokens (${prompt} in the input, ${completion} in the output). ` +
            'Please reduce the length of the input or max_output_tokens.',
          type: 'invalid_request_error',
          param: 'input',
          code: 'context_length_exceeded',
        },
      },
    };
  }
  return { ok: true, value: request };
}

function checkInputItem(item: unknown, path: string): Failure | undefined {
  if (!isRecord(item)) return fail(`'${path}' : value must be an object`, path);
  const type = item['type'];
  if (type !== undefined && typeof type !== 'string') return fail(`'${path}.type' : value must be a string`, `${path}.type`);
  if (type === undefined || type === 'message') {
    const role = item['role'];
    if (typeof role !== 'string' || !MESSAGE_ROLES.has(role)) {
      return fail(`'${path}.role' : value must be one of ${[...MESSAGE_ROLES].map((r) => `'${r}'`).join(', ')}`, `${path}.role`);
    }
    const content = item['content'];
    if (typeof content === 'string') return undefined;
    if (!Array.isArray(content)) return fail(`'${path}.content' : value must be a string or an array`, `${path}.content`);
    for (let j = 0; j < content.length; j++) {
      const part: unknown = content[j];
      if (!isRecord(part) || typeof part['type'] !== 'string') {
        return fail(`'${path}.content.${j}' : value must be an object with a 'type'`, `${path}.content.${j}`);
      }
    }
    return undefined;
  }
  if (type === 'function_call_output') {
    if (typeof item['call_id'] !== 'string') return fail(`'${path}.call_id' : property 'call_id' is missing`, `${path}.call_id`);
    if (typeof item['output'] !== 'string' && !Array.isArray(item['output'])) {
      return fail(`'${path}.output' : value must be a string or an array`, `${path}.output`);
    }
  }
  if (type === 'function_call') {
    for (const field of ['call_id', 'name', 'arguments']) {
      if (typeof item[field] !== 'string') return fail(`'${path}.${field}' : property '${field}' is missing`, `${path}.${field}`);
    }
  }
  return undefined;
}

function expectType(body: Record<string, unknown>, field: string, type: 'string' | 'boolean' | 'object'): Failure | undefined {
  if (!present(body, field)) return undefined;
  const value = body[field];
  const ok = type === 'object' ? isRecord(value) : typeof value === type;
  return ok ? undefined : fail(`'${field}' : value must be ${type === 'object' ? 'an object' : `a ${type}`}`, field);
}

function checkRange(body: Record<string, unknown>, field: string, min: number, max: number): Failure | undefined {
  if (!present(body, field)) return undefined;
  const value = body[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`'${field}' : value must be a number`, field);
  if (value < min || value > max) return fail(`'${field}' : number must be between ${min} and ${max}`, field);
  return undefined;
}

function checkMaxOutputTokens(body: Record<string, unknown>, model: FakeModel): Failure | undefined {
  const field = 'max_output_tokens';
  if (!present(body, field)) return undefined;
  const value = body[field];
  if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`'${field}' : value must be an integer`, field);
  if (value < 1) return fail(`'${field}' : number must be at least 1`, field);
  if (model.maxCompletionTokens !== null && value > model.maxCompletionTokens) {
    return fail(`\`${field}\` must be less than or equal to \`${model.maxCompletionTokens}\`, the maximum value for \`${field}\` for this model`, field);
  }
  return undefined;
}

function checkTools(tools: unknown): Failure | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) return fail(`'tools' : value must be an array`, 'tools');
  for (let i = 0; i < tools.length; i++) {
    const tool: unknown = tools[i];
    const path = `tools.${i}`;
    if (!isRecord(tool) || typeof tool['type'] !== 'string') return fail(`'${path}' : value must be an object with a 'type'`, path);
    const type = tool['type'];
    if (!(RESPONSES_TOOL_TYPES as readonly string[]).includes(type)) {
      return fail(`'${path}.type' : value must be one of ${RESPONSES_TOOL_TYPES.map((t) => `'${t}'`).join(', ')}`, `${path}.type`);
    }
    // The Responses API's function tools are flat: { type, name, parameters }, not { type, function: {...} }.
    if (type === 'function' && (typeof tool['name'] !== 'string' || tool['name'] === '')) {
      return fail(`'${path}.name' : property 'name' is missing`, `${path}.name`);
    }
    if (type === 'mcp' && (typeof tool['server_label'] !== 'string' || tool['server_label'] === '')) {
      return fail(`'${path}.server_label' : property 'server_label' is missing`, `${path}.server_label`);
    }
  }
  return undefined;
}

function checkToolChoice(choice: unknown): Failure | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (typeof choice === 'string') {
    return ['auto', 'none', 'required'].includes(choice) ? undefined : fail(`'tool_choice' : value must be one of 'auto', 'none', 'required'`, 'tool_choice');
  }
  if (isRecord(choice) && typeof choice['type'] === 'string') return undefined;
  return fail(`'tool_choice' : value must be a string or an object with a 'type'`, 'tool_choice');
}

/** `instructions` as a system message, then the input items that carry text, in chat form. */
export function chatMessages(request: ResponsesRequest): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (typeof request.instructions === 'string' && request.instructions !== '') messages.push({ role: 'system', content: request.instructions });
  if (typeof request.input === 'string') {
    messages.push({ role: 'user', content: request.input });
    return messages;
  }
  for (const item of request.input) {
    const type = item['type'];
    if (type === undefined || type === 'message') {
      messages.push({ role: String(item['role']), content: item['content'] as ChatMessage['content'] });
    } else if (type === 'function_call_output') {
      const output = item['output'];
      messages.push({ role: 'tool', tool_call_id: item['call_id'], content: typeof output === 'string' ? output : (output as ChatMessage['content']) });
    } else if (type === 'function_call') {
      const call = { id: item['call_id'], type: 'function', function: { name: item['name'], arguments: item['arguments'] } };
      messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    }
  }
  return messages;
}

/**
 * The request as /chat/completions would have received it: what `reply` gets and what planning reads
 * (`max_output_tokens` becomes `max_completion_tokens`, flat function tools become nested ones).
 */
export function chatView(request: ResponsesRequest): ChatRequest {
  const tools: ToolDefinition[] = [];
  for (const tool of request.tools ?? []) {
    if (tool['type'] !== 'function') continue;
    tools.push({ type: 'function', function: { name: String(tool['name']), description: tool['description'] as string | undefined, parameters: tool['parameters'] } });
  }
  return {
    ...request,
    messages: chatMessages(request),
    tools,
    stream: request.stream === true,
    ...(typeof request.max_output_tokens === 'number' ? { max_completion_tokens: request.max_output_tokens } : {}),
  };
}
