import { Hono } from 'hono';
import { badRequest } from '../../errors.js';
import type { Gateway } from '../../gateway.js';
import { readJsonObject } from '../../http/json-body.js';
import type { Logger } from '../../log.js';
import { chatOperation } from './operation.js';
import { mockCompletion } from './mock-response.js';
import { estimatePromptTokens } from './estimate.js';
import { readRequestOptions } from '../shared/litellm-options.js';
import { requireAlias, requireMode } from '../shared/request-checks.js';
import { routedHandler, type NodeBindings } from '../shared/routed.js';
import { chatStream } from './stream-dialect.js';

const ROUTE = '/chat/completions';

function includesUsage(body: Record<string, unknown>): boolean {
  const streamOptions = body.stream_options;
  return typeof streamOptions === 'object' && streamOptions !== null && (streamOptions as Record<string, unknown>).include_usage === true;
}

/** `POST /chat/completions`: one alias in, the first deployment of its chain that answers, out. */
export function chatRoutes(gateway: Gateway, log: Logger): Hono<NodeBindings> {
  const routes = new Hono<NodeBindings>();
  routes.post(
    ROUTE,
    routedHandler(gateway, log, ROUTE, async function chatIntake(intake) {
      const { source, config, table } = intake;
      const raw = await readJsonObject(source, config.general.maxRequestBodyBytes);
      const alias = requireAlias(raw.model, intake);
      requireMode(table, alias, ['chat', 'moderation'], ROUTE);
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
    }),
  );
  return routes;
}
