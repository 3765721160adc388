import { publicApiBase } from '../config/secrets.js';
import type { Deployment } from '../routing/deployment.js';

/** Where groq-sdk sends when a deployment names no api_base. */
const GROQ_DEFAULT_BASE = 'https://api.groq.com/openai/v1';

/** LiteLLM's identity labels for a key, team, user or client: always empty, never a secret or a person. */
export const ANONYMOUS = Object.freeze({
  hashed_api_key: '',
  api_key_alias: '',
  team: '',
  team_alias: '',
  user: '',
  user_email: '',
  end_user: '',
  client_ip: '',
  user_agent: '',
});

export interface DeploymentLabels {
  readonly ours: { readonly model_group: string; readonly model_id: string; readonly model: string };
  readonly litellm: { readonly litellm_model_name: string; readonly model_id: string; readonly api_base: string; readonly api_provider: string };
}

const cache = new WeakMap<Deployment, DeploymentLabels>();

/** A deployment's label values, computed once per deployment object (once per config load). */
export function labelsOf(deployment: Deployment): DeploymentLabels {
  let labels = cache.get(deployment);
  if (labels === undefined) {
    const publicBase = deployment.config.publicParams.api_base;
    labels = {
      ours: { model_group: deployment.alias, model_id: deployment.id, model: deployment.config.model },
      litellm: {
        litellm_model_name: deployment.config.litellmModel,
        model_id: deployment.id,
        // The public form: credentials in an api_base URL are masked there.
        api_base: typeof publicBase === 'string' ? publicBase : deployment.provider.name === 'groq' ? publicApiBase(process.env.GROQ_BASE_URL ?? GROQ_DEFAULT_BASE) : '',
        api_provider: deployment.provider.name,
      },
    };
    cache.set(deployment, labels);
  }
  return labels;
}
