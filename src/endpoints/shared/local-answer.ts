import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import type { ModelGroup } from '../../routing/table.js';

/** An answer made here without any upstream call (LiteLLM's `mock_response`), whole and as SSE frames. */
export interface LocalAnswer {
  /** The whole answer (`stream: false`). */
  readonly json: string;
  /** The SSE frames (`stream: true`), each `data: ...\n\n`, the last one `[DONE]`. */
  readonly frames: readonly string[];
}

/**
 * Answers a request the gateway completes itself (`mock_response`) with the headers a routed answer
 * carries, so a client reading them sees the same shape; no upstream was called, hence no rate-limit
 * headers and zero upstream calls.
 */
export function answerLocally(c: Context, outgoing: ServerResponse, group: ModelGroup | undefined, answer: LocalAnswer, stream: boolean) {
  const totalMs = (performance.now() - c.get('receivedAt')).toFixed(3);
  const headers: Record<string, string> = {
    'x-litellm-model-id': group?.deployments[0]?.id ?? '',
    'x-litellm-model-group': group?.name ?? '',
    'x-litellm-attempted-fallbacks': '0',
    'x-litellm-attempted-retries': '0',
    'x-groq-router-upstream-calls': '0',
    'x-litellm-overhead-duration-ms': totalMs,
    'x-litellm-response-duration-ms': totalMs,
    'content-type': stream ? 'text/event-stream; charset=utf-8' : 'application/json',
  };
  if (stream) headers['cache-control'] = 'no-cache';
  const body = stream ? answer.frames.join('') : answer.json;
  outgoing.writeHead(200, headers);
  outgoing.end(body);
  return RESPONSE_ALREADY_SENT;
}
