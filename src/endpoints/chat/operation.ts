import type { TokenPlanning } from '../../quota/token-planning.js';
import { requestedCompletionTokens } from './estimate.js';
import type { Operation, TokenUsage } from '../../routing/operation.js';
import { prepareChatBody, withCompletionCap, type ChatBody } from './hygiene.js';
import { planCompletion } from '../shared/completion-plan.js';
import { jsonObjectWithArray, usageIn } from '../shared/answer-shape.js';
import { inBandStreamError } from '../shared/in-band-error.js';

/**
 * `POST /chat/completions`: the body cleaned per deployment, prompt plus completion cap booked as tokens
 * (see `planCompletion` for the cap), and the cap booked is the cap sent.
 */
export function chatOperation(body: ChatBody, alias: string, roughPrompt: number, planning: TokenPlanning): Operation {
  const requested = requestedCompletionTokens(body);
  return {
    prepare(deployment, { dropParams, completionCap: policy }) {
      const plan = planCompletion(deployment, planning, { alias, roughPrompt, requested, policy });
      // Cleaned now, so the caller's own 400s are thrown before anything is booked or sent.
      const cleaned = prepareChatBody(body, { provider: deployment.provider, model: deployment.config.model, dropParams });
      return {
        demand: plan.demand,
        keptOut: plan.keptOut,
        send: (client, options, booked) => client.chatCompletions(withCompletionCap(cleaned, plan.capFor(booked)), options),
        completionCap: plan.capFor,
        spent: (_bytes, booked, json) => plan.spend(usageIn(json) as TokenUsage | undefined, booked),
        streamSpent: plan.spend,
        observed: plan.observed,
        refusedWithRoom: plan.refusedWithRoom,
      };
    },
    inBandError: inBandStreamError,
    streamContentType: 'text/event-stream',
    checkAnswer: jsonObjectWithArray('choices'),
  };
}
