import type { Hono } from 'hono';
import { badRequest } from '../../errors.js';
import type { Logger } from '../../log.js';
import { speechOperation, speechUnfit } from './operation.js';
import { requireFit, requireRoutableAlias } from '../shared/request-checks.js';
import { readJsonBody, routedPost, type NodeBindings, type RoutedServices } from '../shared/routed.js';

const ROUTE = '/audio/speech';

/** `POST /audio/speech`: text-to-speech, the audio streamed back as the upstream produces it. */
export function speechRoutes(services: RoutedServices, log: Logger): Hono<NodeBindings> {
  return routedPost(services, log, ROUTE, async function speechIntake(intake) {
    const body = await readJsonBody(intake);
    const alias = requireRoutableAlias(body.model, intake, ['audio_speech'], ROUTE);
    const { input, voice } = body;
    if (typeof input !== 'string' || input.trim() === '') throw badRequest('input must be a non-empty string of text to speak', 'invalid_input', 'input');
    if (typeof voice !== 'string' || voice === '') throw badRequest('voice is required', 'invalid_voice', 'voice');
    requireFit(intake.table, alias, (deployment) => speechUnfit(deployment, input, voice), 400, 'invalid_speech_request');
    const operation = speechOperation({ ...body, input, voice });
    return { alias, operation, stream: true, promptTokens: 0, relay: { kind: 'bytes' } };
  });
}
