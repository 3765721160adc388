import type { Hono } from 'hono';
import { badRequest } from '../../errors.js';
import type { Logger } from '../../log.js';
import { chatOperation } from './operation.js';
import { mockCompletion } from './mock-response.js';
import { estimatePromptTokens } from './estimate.js';
import { readRequestOptions } from '../shared/litellm-options.js';
import { requireRoutableAlias } from '../shared/request-checks.js';
import { readJsonBody, routedPost, type NodeBindings, type RoutedServices } from '../shared/routed.js';
import { chatStream } from './stream-dialect.js';

const ROUTE = '/chat/completions';

function includesUsage(body: Record<string, unknown>): boolean {
  const streamOptions = body.stream_options;
  return typeof streamOptions === 'object' && streamOptions !== null && (streamOptions as Record<string, unknown>).include_usage === true;
}

/** `POST /chat/completions`: one alias in, the first deployment of its chain that answers, out. */
export function chatRoutes(services: RoutedServices, log: Logger): Hono<NodeBindings> {
  return routedPost(services, log, ROUTE, async function chatIntake(intake) {
    const raw = await readJsonBody(intake);
    const alias = requireRoutableAlias(raw.model, intake, ['chat', 'moderation'], ROUTE);
    // LiteLLM's request-level options steer the routing here and never go upstream.
    const { options, body } = readRequestOptions(raw, intake, log, alias);
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      throw badRequest('messages must be a non-empty array', 'invalid_messages', 'messages');
    }
    const promptTokens = estimatePromptTokens(body);
    const stream = body.stream === true;
    return {
      alias,
      operation: chatOperation(body, alias, promptTokens, intake.planning),
      stream,
      promptTokens,
      relay: { kind: 'sse', dialect: chatStream },
      options,
      ...(options.mockResponse === undefined ? {} : { local: mockCompletion(alias, options.mockResponse, promptTokens, includesUsage(body)) }),
    };
  });
}
