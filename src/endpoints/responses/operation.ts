import type { TokenPlanning } from '../../quota/token-planning.js';
import type { Operation } from '../../routing/operation.js';
import { dropUnsupported } from '../shared/drop-params.js';
import { planCompletion } from '../shared/completion-plan.js';
import { jsonObjectWithArray, usageIn } from '../shared/answer-shape.js';
import { inBandStreamError } from '../shared/in-band-error.js';
import { requestedOutputTokens } from './estimate.js';
import { responsesUsage } from './stream-dialect.js';

/**
 * `POST /responses`: Groq's Responses API. Built-in tools (`code_interpreter`, `browser_search`, `mcp`)
 * pass through untouched; the parameters the provider refuses are dropped or refused; the output cap is
 * planned, booked and sent like chat's completion cap.
 */
export function responsesOperation(body: Record<string, unknown>, alias: string, roughPrompt: number, planning: TokenPlanning): Operation {
  const requested = requestedOutputTokens(body);
  return {
    prepare(deployment, { dropParams, completionCap: policy }) {
      const plan = planCompletion(deployment, planning, { alias, roughPrompt, requested, policy });
      const out: Record<string, unknown> = { ...body, model: deployment.config.model };
      dropUnsupported(out, deployment.provider.unsupportedResponsesParams, deployment.provider.name, dropParams);
      return {
        demand: plan.demand,
        keptOut: plan.keptOut,
        send(client, options, booked) {
          const cap = plan.capFor(booked);
          return client.responses(cap === undefined ? out : { ...out, max_output_tokens: cap }, options);
        },
        completionCap: plan.capFor,
        spent: (_bytes, booked, json) => plan.spend(responsesUsage(usageIn(json)), booked),
        streamSpent: plan.spend,
        observed: plan.observed,
        refusedWithRoom: plan.refusedWithRoom,
      };
    },
    inBandError: inBandStreamError,
    streamContentType: 'text/event-stream',
    checkAnswer: jsonObjectWithArray('output'),
  };
}
