import { requestedOutputTokens } from '../routing/estimate.js';
import type { Operation } from '../routing/operation.js';
import { tokenSpend } from '../routing/operation.js';
import { responsesUsage } from '../routing/sse-relay.js';
import { dropUnsupported } from '../upstream/hygiene.js';
import { completionCapFor, tokenDemand } from './chat.js';
import { inBandStreamError } from './in-band-error.js';
import { lastObjectNamed } from './usage.js';

/**
 * `POST /responses`: Groq's Responses API. Built-in tools (`code_interpreter`, `browser_search`, `mcp`)
 * pass through untouched; the parameters the provider refuses are dropped or refused; the output cap is
 * booked and clamped like chat's completion cap.
 */
export function responsesOperation(body: Record<string, unknown>, promptTokens: number): Operation {
  return {
    prepare(deployment, { dropParams }) {
      const cap = completionCapFor(deployment, promptTokens);
      const out: Record<string, unknown> = { ...body, model: deployment.config.model };
      dropUnsupported(out, deployment.provider.unsupportedResponsesParams, deployment.provider.name, dropParams);
      const requested = requestedOutputTokens(body);
      if (requested !== undefined && cap !== null && requested > cap) out.max_output_tokens = cap;
      return {
        demand: tokenDemand(promptTokens, requested, cap),
        send: (client, options) => client.responses(out, options),
      };
    },
    spent: (bytes, booked) => tokenSpend(responsesUsage(lastObjectNamed(bytes, 'usage')), booked),
    streamSpent: tokenSpend,
    inBandError: inBandStreamError,
  };
}
