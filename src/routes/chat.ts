import { Hono } from 'hono';
import { badRequest } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { readJsonObject } from '../http/json-body.js';
import type { Logger } from '../log.js';
import { chatOperation } from '../operations/chat.js';
import { estimatePromptTokens } from '../routing/estimate.js';
import { fixEvents } from '../routing/sse-relay.js';
import { requireAlias, requireMode } from './request-checks.js';
import { routedHandler, type NodeBindings } from './routed.js';

const ROUTE = '/chat/completions';

/** `POST /chat/completions`: one alias in, the first deployment of its chain that answers, out. */
export function chatRoutes(gateway: Gateway, log: Logger): Hono<NodeBindings> {
  const routes = new Hono<NodeBindings>();
  routes.post(
    ROUTE,
    routedHandler(gateway, log, ROUTE, async function chatIntake(intake) {
      const { source, config, table } = intake;
      const body = await readJsonObject(source, config.general.maxRequestBodyBytes);
      const alias = requireAlias(body.model, intake);
      requireMode(table, alias, ['chat', 'moderation'], ROUTE);
      if (!Array.isArray(body.messages) || body.messages.length === 0) {
        throw badRequest('messages must be a non-empty array', 'invalid_messages', 'messages');
      }
      const promptTokens = estimatePromptTokens(body);
      return {
        alias,
        operation: chatOperation(body, alias, promptTokens, intake.planning),
        stream: body.stream === true,
        promptTokens,
        relay: { kind: 'sse', dialect: fixEvents },
      };
    }),
  );
  return routes;
}
