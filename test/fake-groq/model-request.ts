/**
 * The opening every JSON model endpoint (chat, responses, speech) shares, in Groq's order: record the
 * request, 401 for a bad key, 400 for a body that is not JSON or names no model, 404 for an unknown
 * model. What follows (validation, fault, quota, answer) is the endpoint's own.
 */
import type { FakeEnv } from './env.js';
import { invalidApiKey, invalidRequest, modelNotFound } from './errors.js';
import type { Exchange } from './exchange.js';
import type { FakeModel } from './models.js';
import { isRecord } from './request.js';
import { readModel } from './validate.js';

export interface ModelRequest {
  /** The accepted key (quotas are per key and model). */
  readonly key: string;
  readonly body: Record<string, unknown>;
  readonly model: FakeModel;
  readonly modelId: string;
  /** `x-ratelimit-*` headers for (key, model) as they stand when called. */
  readonly quotaHeaders: () => Record<string, string>;
}

/** The request up to a known model, or `undefined` once a 401/400/404 has been sent. */
export function readModelRequest(env: FakeEnv, ex: Exchange, key: string | null, rawBody: Buffer): ModelRequest | undefined {
  // Parsed before the auth check only so that `calls` shows what a rejected client sent.
  const parsed = parseJson(rawBody);
  if (parsed.ok) recordRequest(env, ex, parsed.value);
  if (key === null || !env.acceptsKey(key)) {
    ex.json(401, invalidApiKey());
    return undefined;
  }
  if (!parsed.ok) {
    ex.json(400, invalidRequest(`We could not parse the JSON body of your request: ${parsed.reason}`));
    return undefined;
  }

  const envelope = readModel(parsed.value);
  if (!envelope.ok) {
    ex.json(400, envelope.error);
    return undefined;
  }
  const { body, model: modelId } = envelope.value;
  const model = env.models.get(modelId);
  if (model === undefined) {
    ex.json(404, modelNotFound(modelId));
    return undefined;
  }
  return { key, body, model, modelId, quotaHeaders: () => env.limiter.headers(key, modelId) };
}

export function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

export function recordRequest(env: FakeEnv, ex: Exchange, body: unknown): void {
  if (!env.fast) ex.call.body = body;
  if (!isRecord(body)) return;
  if (typeof body['model'] === 'string') ex.call.model = body['model'];
  ex.call.stream = body['stream'] === true;
}
