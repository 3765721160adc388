import { Hono } from 'hono';
import { badRequest } from '../../errors.js';
import type { Gateway } from '../../gateway.js';
import { readJsonObject } from '../../http/json-body.js';
import type { Logger } from '../../log.js';
import { speechOperation, speechUnfit } from './operation.js';
import { requireAlias, requireFit, requireMode } from '../shared/request-checks.js';
import { routedHandler, type NodeBindings } from '../shared/routed.js';

const ROUTE = '/audio/speech';

/** `POST /audio/speech`: text-to-speech, the audio streamed back as the upstream produces it. */
export function speechRoutes(gateway: Gateway, log: Logger): Hono<NodeBindings> {
  const routes = new Hono<NodeBindings>();
  routes.post(
    ROUTE,
    routedHandler(gateway, log, ROUTE, async function speechIntake(intake) {
      const { source, config, table } = intake;
      const body = await readJsonObject(source, config.general.maxRequestBodyBytes);
      const alias = requireAlias(body.model, intake);
      requireMode(table, alias, ['audio_speech'], ROUTE);
      const { input, voice } = body;
      if (typeof input !== 'string' || input.trim() === '') throw badRequest('input must be a non-empty string of text to speak', 'invalid_input', 'input');
      if (typeof voice !== 'string' || voice === '') throw badRequest('voice is required', 'invalid_voice', 'voice');
      requireFit(table, alias, (deployment) => speechUnfit(deployment, input, voice), 400, 'invalid_speech_request');
      const operation = speechOperation({ ...body, input, voice });
      return { alias, operation, stream: true, promptTokens: 0, relay: { kind: 'bytes' } };
    }),
  );
  return routes;
}
