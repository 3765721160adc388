import { GatewayError, badRequest } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Principal } from '../../middleware/api-key.js';
import type { ModelGroup, RoutingTable } from '../../routing/table.js';
import { mayUseName } from './name-access.js';

/**
 * LiteLLM's request-level options: they steer the gateway (read by the chat route) and are never sent
 * upstream, whichever route a body came through.
 */
export const LITELLM_REQUEST_OPTIONS = ['fallbacks', 'mock_testing_fallbacks', 'mock_response', 'num_retries', 'timeout', 'metadata'] as const;

/** Who asks, and the table their names resolve in. */
interface Caller {
  readonly table: RoutingTable;
  readonly principal: Principal | undefined;
}

/**
 * Options LiteLLM's proxy reads from a request body: they steer this gateway and are never sent
 * upstream (the body handed on has them removed).
 */
export interface RequestOptions {
  /** `fallbacks`: groups tried after the requested alias's own, instead of its configured fallbacks. */
  readonly fallbacks?: readonly ModelGroup[];
  /** `mock_testing_fallbacks: true`: the alias's own group counts as failed, without an upstream call. */
  readonly mockPrimaryFailure?: boolean;
  /** `mock_response`: answered with this text, without an upstream call. */
  readonly mockResponse?: string;
  /** `num_retries`: this request's retries, instead of the router's. */
  readonly numRetries?: number;
  /** `timeout` (seconds, as ms): this request's deadline, when shorter than the router's. */
  readonly timeoutMs?: number;
}

/** More retries than this only holds the caller longer; LiteLLM users write 0-5. */
const MAX_REQUEST_RETRIES = 10;
/** `metadata` is logged; past this many characters it is cut. */
const MAX_LOGGED_METADATA = 1000;

/**
 * Reads LiteLLM's request-level options from `body` and returns the body without them. Fallback names
 * must be aliases (or names a wildcard serves) the caller's key may use; anything malformed is a 400
 * naming the field, before any upstream call.
 */
export function readRequestOptions(
  body: Record<string, unknown>,
  ctx: Caller,
  log: Logger,
  alias: string,
): { readonly options: RequestOptions; readonly body: Record<string, unknown> } {
  if (!LITELLM_REQUEST_OPTIONS.some((name) => Object.hasOwn(body, name))) return { options: {}, body };
  const rest: Record<string, unknown> = { ...body };
  for (const name of LITELLM_REQUEST_OPTIONS) delete rest[name];
  const options: { -readonly [K in keyof RequestOptions]: RequestOptions[K] } = {};

  if (body.fallbacks !== undefined && body.fallbacks !== null) options.fallbacks = fallbackGroups(body.fallbacks, ctx, alias);
  if (body.mock_testing_fallbacks !== undefined) {
    if (typeof body.mock_testing_fallbacks !== 'boolean') throw badRequest('mock_testing_fallbacks must be true or false', 'invalid_request_option', 'mock_testing_fallbacks');
    if (body.mock_testing_fallbacks) options.mockPrimaryFailure = true;
  }
  if (body.mock_response !== undefined && body.mock_response !== null) {
    if (typeof body.mock_response !== 'string') throw badRequest('mock_response must be a string', 'invalid_request_option', 'mock_response');
    options.mockResponse = body.mock_response;
  }
  if (body.num_retries !== undefined && body.num_retries !== null) {
    const n = body.num_retries;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_REQUEST_RETRIES) {
      throw badRequest(`num_retries must be an integer from 0 to ${MAX_REQUEST_RETRIES}`, 'invalid_request_option', 'num_retries');
    }
    options.numRetries = n;
  }
  if (body.timeout !== undefined && body.timeout !== null) {
    const t = body.timeout;
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) throw badRequest('timeout must be a positive number of seconds', 'invalid_request_option', 'timeout');
    options.timeoutMs = Math.round(t * 1000);
  }
  if (body.metadata !== undefined && body.metadata !== null) {
    const text = JSON.stringify(body.metadata) ?? '';
    log.info(`request metadata for ${alias}: ${text.length > MAX_LOGGED_METADATA ? `${text.slice(0, MAX_LOGGED_METADATA)}...` : text}`);
  }
  return { options, body: rest };
}

/** LiteLLM takes a list of names; `{"model": name}` items are read as the name. */
function fallbackGroups(value: unknown, { table, principal }: Caller, alias: string): ModelGroup[] {
  if (!Array.isArray(value)) throw badRequest('fallbacks must be a list of model names', 'invalid_request_option', 'fallbacks');
  const groups: ModelGroup[] = [];
  for (const item of value) {
    const name = typeof item === 'string' ? item : isModelItem(item) ? item.model : undefined;
    if (name === undefined) throw badRequest('fallbacks must be a list of model names', 'invalid_request_option', 'fallbacks');
    const group = table.group(name);
    if (group === undefined) throw badRequest(`fallbacks: unknown model ${JSON.stringify(name)}`, 'model_not_found', 'fallbacks');
    if (!mayUseName(principal, table, name)) {
      throw new GatewayError(403, `This key may not use ${name} (in fallbacks)`, { type: 'permission_error', code: 'model_not_allowed', param: 'fallbacks' });
    }
    if (name !== alias && !groups.includes(group)) groups.push(group);
  }
  return groups;
}

function isModelItem(item: unknown): item is { model: string } {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return false;
  const keys = Object.keys(item);
  return keys.length === 1 && keys[0] === 'model' && typeof (item as { model: unknown }).model === 'string';
}
