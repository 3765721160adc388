import type { Deployment, DeploymentLabels } from '../routing/deployment.js';

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

/** A deployment's label values, worked out when its table was built. */
export function labelsOf(deployment: Deployment): DeploymentLabels {
  return deployment.labels;
}
