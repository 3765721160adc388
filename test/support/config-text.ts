/** Config tests parse YAML text as `litellm.config.yaml`, with an empty environment unless given one. */

import { ConfigError, parseConfig } from '../../src/config/load.js';
import type { GatewayConfig } from '../../src/config/types.js';
import { thrown } from './thrown.js';

export const CONFIG_FILE = 'litellm.config.yaml';

export function parse(text: string, env: NodeJS.ProcessEnv = {}): GatewayConfig {
  return parseConfig(text, CONFIG_FILE, env);
}

/** The `ConfigError` the text is refused with; anything else, or no error, fails the test. */
export function parseError(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  return thrown(() => parse(text, env), ConfigError);
}

export const warningPaths = (config: GatewayConfig): string[] => config.warnings.map((w) => w.path);

/** Two aliases on two Groq chat models, five lines. */
export const TWO_ALIASES = `model_list:
  - model_name: big
    litellm_params: {model: groq/llama-3.3-70b-versatile, api_key: k}
  - model_name: small
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: k}
`;
