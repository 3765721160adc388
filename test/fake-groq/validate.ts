/**
 * Groq's request validation, limited to what a gateway must get right before forwarding: Groq rejects
 * several OpenAI fields outright (`n != 1`, logprobs, `messages[].name`) and any unknown property
 * such as the `cache_control`/`provider_specific_fields` that Kilo Code and LiteLLM add.
 * Messages follow Groq's `'path' : reason` style so a failing test names the field.
 */
import { invalidRequest, type GroqErrorBody } from './errors.js';
import type { FakeModel } from './models.js';
import { isRecord, promptTokens, requestedMaxTokens, type ChatRequest } from './request.js';

export type Validation<T> = { ok: true; value: T } | { ok: false; error: GroqErrorBody };

const fail = (message: string, param?: string): { ok: false; error: GroqErrorBody } => ({ ok: false, error: invalidRequest(message, param) });
const unsupported = (path: string, property: string) => fail(`'${path}' : property '${property}' is unsupported`, path);

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const UNSUPPORTED_TOP_LEVEL = ['logprobs', 'logit_bias', 'top_logprobs', 'provider_specific_fields', 'reasoning_details'];
const UNSUPPORTED_IN_MESSAGE = ['name', 'cache_control', 'provider_specific_fields', 'reasoning_details'];

const present = (record: Record<string, unknown>, field: string): boolean => field in record && record[field] !== null;

/** First gate: enough to know which model (and so which quota bucket) the request is about. */
export function readModel(body: unknown): Validation<{ body: Record<string, unknown>; model: string }> {
  if (!isRecord(body)) return fail('request body must be a JSON object');
  if (!('model' in body) || body['model'] === null) return fail(`property 'model' is missing`, 'model');
  const model = body['model'];
  if (typeof model !== 'string' || model === '') return fail(`'model' : value must be a non-empty string`, 'model');
  return { ok: true, value: { body, model } };
}

/**
 * Full check. With `strict` off (fast mode) only what the responder needs is checked, so that a
 * benchmark measures the gateway rather than the fake.
 */
export function validateChatRequest(body: Record<string, unknown>, model: FakeModel, strict: boolean): Validation<ChatRequest> {
  const messages = body['messages'];
  if (messages === undefined || messages === null) return fail(`property 'messages' is missing`, 'messages');
  if (!Array.isArray(messages)) return fail(`'messages' : value must be an array`, 'messages');
  if (messages.length === 0) return fail(`'messages' : minimum number of items is 1`, 'messages');
  if (model.kind !== 'chat') return fail(`model \`${model.id}\` does not support chat completions`, 'model');
  if (!strict) return { ok: true, value: body as ChatRequest };

  for (let i = 0; i < messages.length; i++) {
    const problem = checkMessage(messages[i], `messages.${i}`);
    if (problem !== undefined) return problem;
  }
  for (const field of UNSUPPORTED_TOP_LEVEL) {
    if (present(body, field)) return unsupported(field, field);
  }
  if (present(body, 'n') && body['n'] !== 1) return fail(`'n' : number must be exactly 1`, 'n');
  if (present(body, 'stream') && typeof body['stream'] !== 'boolean') return fail(`'stream' : value must be a boolean`, 'stream');
  const streamOptions = body['stream_options'];
  if (streamOptions !== undefined && streamOptions !== null) {
    if (!isRecord(streamOptions)) return fail(`'stream_options' : value must be an object`, 'stream_options');
    const includeUsage = streamOptions['include_usage'];
    if (includeUsage !== undefined && includeUsage !== null && typeof includeUsage !== 'boolean') {
      return fail(`'stream_options.include_usage' : value must be a boolean`, 'stream_options.include_usage');
    }
  }
  const limitProblem = checkMaxTokens(body, model);
  if (limitProblem !== undefined) return limitProblem;
  const toolsProblem = checkTools(body['tools']);
  if (toolsProblem !== undefined) return toolsProblem;

  const prompt = promptTokens(messages);
  const completion = requestedMaxTokens(body) ?? 0;
  if (prompt + completion > model.contextWindow) {
    return {
      ok: false,
      error: {
        error: {
          message:
            `This model's maximum context length is ${model.contextWindow} tokens. However, you requested ` +
            `${prompt + completion} tokens (${prompt} in the messages, ${completion} in the completion). ` +
            'Please reduce the length of the messages or completion.',
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        },
      },
    };
  }
  return { ok: true, value: body as ChatRequest };
}

function checkMessage(message: unknown, path: string): { ok: false; error: GroqErrorBody } | undefined {
  if (!isRecord(message)) return fail(`'${path}' : value must be an object`, path);
  const role = message['role'];
  if (typeof role !== 'string' || !ROLES.has(role)) {
    return fail(`'${path}.role' : value must be one of ${[...ROLES].map((r) => `'${r}'`).join(', ')}`, `${path}.role`);
  }
  for (const field of UNSUPPORTED_IN_MESSAGE) {
    if (present(message, field)) return unsupported(`${path}.${field}`, field);
  }
  const content = message['content'];
  if (content === undefined || content === null || typeof content === 'string') return undefined;
  if (!Array.isArray(content)) return fail(`'${path}.content' : value must be a string or an array`, `${path}.content`);
  for (let j = 0; j < content.length; j++) {
    const part: unknown = content[j];
    const partPath = `${path}.content.${j}`;
    if (!isRecord(part) || typeof part['type'] !== 'string') return fail(`'${partPath}' : value must be an object with a 'type'`, partPath);
    if ('cache_control' in part) return unsupported(`${partPath}.cache_control`, 'cache_control');
  }
  return undefined;
}

function checkMaxTokens(body: Record<string, unknown>, model: FakeModel): { ok: false; error: GroqErrorBody } | undefined {
  for (const field of ['max_tokens', 'max_completion_tokens']) {
    if (!present(body, field)) continue;
    const value = body[field];
    if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`'${field}' : value must be an integer`, field);
    if (value < 1) return fail(`'${field}' : number must be at least 1`, field);
    if (model.maxCompletionTokens !== null && value > model.maxCompletionTokens) {
      return fail(
        `\`${field}\` must be less than or equal to \`${model.maxCompletionTokens}\`, the maximum value for \`${field}\` is less than the \`context_window\` for this model`,
        field,
      );
    }
  }
  return undefined;
}

function checkTools(tools: unknown): { ok: false; error: GroqErrorBody } | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) return fail(`'tools' : value must be an array`, 'tools');
  for (let i = 0; i < tools.length; i++) {
    const tool: unknown = tools[i];
    if (!isRecord(tool) || typeof tool['type'] !== 'string') return fail(`'tools.${i}' : value must be an object with a 'type'`, `tools.${i}`);
    if (tool['type'] !== 'function') continue; // Groq's built-in tools (browser_search, ...) carry no function.
    const fn = tool['function'];
    if (!isRecord(fn) || typeof fn['name'] !== 'string' || fn['name'] === '') {
      return fail(`'tools.${i}.function.name' : property 'name' is missing`, `tools.${i}.function.name`);
    }
  }
  return undefined;
}
