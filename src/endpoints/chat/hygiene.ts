import { badRequest } from '../../errors.js';
import { isRecord } from '../../is-record.js';
import type { ProviderSpec } from '../../upstream/providers.js';
import { dropUnsupported } from '../shared/drop-params.js';
import { LITELLM_REQUEST_OPTIONS } from '../shared/litellm-options.js';

export type ChatBody = Record<string, unknown>;

export interface HygieneOptions {
  readonly provider: ProviderSpec;
  /** Upstream model id that replaces the alias. */
  readonly model: string;
  readonly dropParams: boolean;
}

const TOKEN_CAP_FIELDS = ['max_tokens', 'max_completion_tokens'] as const;

/**
 * Returns the body to send to one deployment: the alias replaced by the upstream model id, fields the
 * provider rejects removed, unsupported parameters dropped or refused (the planned completion cap is written at send time, `withCompletionCap`). The caller's
 * body is never mutated; objects without anything to strip are shared, not copied.
 */
export function prepareChatBody(body: ChatBody, options: HygieneOptions): ChatBody {
  const { provider } = options;
  const out: ChatBody = { ...body, model: options.model };
  for (const field of provider.strippedTopLevelFields) delete out[field];
  for (const field of LITELLM_REQUEST_OPTIONS) delete out[field];
  dropUnsupported(out, provider.unsupportedParams, provider.name, options.dropParams);
  if (provider.singleChoiceOnly && out.n !== undefined && out.n !== null && out.n !== 1) {
    throw badRequest(`n must be 1 for ${provider.name}, got ${JSON.stringify(out.n)}`, 'unsupported_parameter', 'n');
  }
  if (Array.isArray(body.messages)) out.messages = cleanMessages(body.messages, provider);
  return out;
}

/**
 * The prepared body with the planned completion cap written into every cap field the client named,
 * else `max_tokens` (which every OpenAI-compatible server reads); the body itself is not changed.
 */
export function withCompletionCap(body: ChatBody, cap: number | undefined): ChatBody {
  if (cap === undefined) return body;
  const out: ChatBody = { ...body };
  const named = TOKEN_CAP_FIELDS.filter((field) => out[field] !== undefined && out[field] !== null);
  for (const field of named.length > 0 ? named : (['max_tokens'] as const)) out[field] = cap;
  return out;
}

function cleanMessages(messages: unknown[], provider: ProviderSpec): unknown[] {
  let changed = false;
  const cleaned = messages.map((message) => {
    const next = cleanMessage(message, provider);
    if (next !== message) changed = true;
    return next;
  });
  return changed ? cleaned : messages;
}

function cleanMessage(message: unknown, provider: ProviderSpec): unknown {
  if (!isRecord(message)) return message;
  let out: Record<string, unknown> | undefined;
  for (const field of provider.strippedMessageFields) {
    if (field in message) {
      out ??= { ...message };
      delete out[field];
    }
  }
  if (Array.isArray(message.content)) {
    const parts = cleanContentParts(message.content, provider);
    if (parts !== message.content) {
      out ??= { ...message };
      out.content = parts;
    }
  }
  return out ?? message;
}

function cleanContentParts(parts: unknown[], provider: ProviderSpec): unknown[] {
  let changed = false;
  const cleaned = parts.map((part) => {
    if (!isRecord(part)) return part;
    const strip = provider.strippedContentPartFields.filter((field) => field in part);
    if (strip.length === 0) return part;
    changed = true;
    const copy = { ...part };
    for (const field of strip) delete copy[field];
    return copy;
  });
  return changed ? cleaned : parts;
}
