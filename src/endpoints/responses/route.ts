import type { Hono } from 'hono';
import { badRequest } from '../../errors.js';
import type { Logger } from '../../log.js';
import { responsesOperation } from './operation.js';
import { requireRoutableAlias } from '../shared/request-checks.js';
import { readJsonBody, routedPost, type NodeBindings, type RoutedServices } from '../shared/routed.js';
import { estimateInputTokens } from './estimate.js';
import { responsesStream } from './stream-dialect.js';

const ROUTE = '/responses';

/** `POST /responses`: the Responses API with the same chains, budgets and breakers as chat. */
export function responsesRoutes(services: RoutedServices, log: Logger): Hono<NodeBindings> {
  return routedPost(services, log, ROUTE, async function responsesIntake(intake) {
    const body = await readJsonBody(intake);
    const alias = requireRoutableAlias(body.model, intake, ['chat'], ROUTE);
    const { input } = body;
    const empty = input === undefined || input === null || input === '' || (Array.isArray(input) && input.length === 0);
    if (empty) throw badRequest('input is required: a non-empty string or array of input items', 'invalid_input', 'input');
    if (typeof input !== 'string' && !Array.isArray(input)) throw badRequest('input must be a string or an array of input items', 'invalid_input', 'input');
    const promptTokens = estimateInputTokens(body);
    return {
      alias,
      operation: responsesOperation(body, alias, promptTokens, intake.planning),
      stream: body.stream === true,
      promptTokens,
      relay: { kind: 'sse', dialect: responsesStream },
    };
  });
}
