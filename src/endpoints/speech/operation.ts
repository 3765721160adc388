import type { Deployment } from '../../routing/deployment.js';
import type { Operation, Unfit } from '../../routing/operation.js';
import { CHARS_PER_TOKEN } from '../shared/token-estimate.js';


/**
 * `POST /audio/speech`: text in, audio bytes out, streamed. A deployment whose model documents its
 * voices or input limit is skipped when the request cannot suit it, before any call.
 */
export function speechOperation(body: Record<string, unknown> & { input: string; voice: string }): Operation {
  // Groq counts a speech request's input against TPM, at about the same characters a token as text.
  const tokens = Math.ceil(body.input.length / CHARS_PER_TOKEN);
  return {
    unfit: (deployment) => speechUnfit(deployment, body.input, body.voice),
    prepare(deployment) {
      const out = { ...body, model: deployment.config.model };
      return {
        demand: { requests: 1, tokens, audioSeconds: 0 },
        send: (client, options) => client.speech(out, options),
        // Audio carries no usage: the booking stands, and the upstream's headers correct the budget.
        spent: (_bytes, booked) => ({ usage: undefined, actual: booked }),
        streamSpent: (_usage, booked) => ({ usage: undefined, actual: booked }),
      };
    },
  };
}

export function speechUnfit(deployment: Deployment, input: string, voice: string): Unfit | undefined {
  const model = deployment.catalog;
  if (model === undefined) return undefined;
  if (model.voices !== null && !model.voices.includes(voice)) {
    return { reason: `voice ${JSON.stringify(voice)} is not one of ${model.id}'s voices (${model.voices.join(', ')})`, param: 'voice' };
  }
  if (model.maxInputChars !== null && input.length > model.maxInputChars) {
    return { reason: `input of ${input.length} characters is longer than ${model.id}'s limit of ${model.maxInputChars}`, param: 'input' };
  }
  return undefined;
}
