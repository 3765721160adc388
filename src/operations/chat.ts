import type { Demand } from '../quota/types.js';
import type { Deployment } from '../routing/deployment.js';
import { DEFAULT_COMPLETION_ESTIMATE, requestedCompletionTokens } from '../routing/estimate.js';
import { tokenSpend, type Operation, type TokenUsage } from '../routing/operation.js';
import { prepareChatBody, type ChatBody } from '../upstream/hygiene.js';
import { inBandStreamError } from './in-band-error.js';
import { lastObjectNamed } from './usage.js';

/** Fewer completion tokens than this is no useful answer; below it a tight TPM refuses instead of clamping. */
const MIN_USEFUL_COMPLETION = 256;

/** `POST /chat/completions`: the body cleaned per deployment, prompt plus completion cap booked as tokens. */
export function chatOperation(body: ChatBody, promptTokens: number): Operation {
  return {
    prepare(deployment, { dropParams }) {
      const completionCap = completionCapFor(deployment, promptTokens);
      const prepared = prepareChatBody(body, {
        provider: deployment.provider,
        model: deployment.config.model,
        maxCompletionTokens: completionCap,
        dropParams,
      });
      return {
        demand: tokenDemand(promptTokens, requestedCompletionTokens(body), completionCap),
        send: (client, options) => client.chatCompletions(prepared, options),
      };
    },
    spent: (bytes, booked) => tokenSpend(usageOf(bytes), booked),
    streamSpent: tokenSpend,
    inBandError: inBandStreamError,
  };
}

/**
 * The completion cap to send: the model's documented maximum, lowered so prompt plus cap fit the
 * deployment's TPM at all (Groq counts the cap against TPM; a cap that can never fit is a certain 413).
 */
export function completionCapFor(deployment: Deployment, promptTokens: number): number | null {
  const documented = deployment.maxCompletionTokens;
  const tpm = deployment.budget?.limits.tpm.limit ?? null;
  if (tpm === null) return documented;
  const fits = tpm - promptTokens;
  if (fits < MIN_USEFUL_COMPLETION) return documented;
  return documented === null ? fits : Math.min(documented, fits);
}

/** One request, its prompt and the completion it may produce (capped), booked before the call. */
export function tokenDemand(promptTokens: number, requested: number | undefined, completionCap: number | null): Demand {
  const completion = completionCap === null ? (requested ?? DEFAULT_COMPLETION_ESTIMATE) : Math.min(requested ?? DEFAULT_COMPLETION_ESTIMATE, completionCap);
  return { requests: 1, tokens: promptTokens + completion, audioSeconds: 0 };
}

/** The top-level `usage` of a chat completion. */
export function usageOf(bytes: ArrayBuffer): TokenUsage | undefined {
  return lastObjectNamed(bytes, 'usage') as TokenUsage | undefined;
}
