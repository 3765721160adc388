import type { ProviderName } from '../config/types.js';

/**
 * What differs between upstream providers, as data: which SDK speaks to it, where its API lives and which
 * request fields it rejects. Adding a provider means adding an entry here, not a branch in the router.
 */
export interface ProviderSpec {
  readonly name: ProviderName;
  readonly sdk: 'groq-sdk' | 'openai';
  /**
   * A path the SDK adds to every request itself; stripped from a configured `api_base` so that LiteLLM's
   * usual `https://api.groq.com/openai/v1` and a bare `https://api.groq.com` both work.
   */
  readonly sdkPathPrefix: string | undefined;
  /**
   * The environment variable naming the base URL when a deployment has no `api_base`. Read here, not
   * by the SDK, so it takes the same forms as `api_base` (with or without the SDK's path prefix).
   */
  readonly baseUrlVariable: string | undefined;
  /** Parameters the provider refuses: dropped under `drop_params`, else a 400 naming them. */
  readonly unsupportedParams: readonly string[];
  /** The same for the Responses API. */
  readonly unsupportedResponsesParams: readonly string[];
  /** Top-level request fields clients send that the provider rejects; always removed. */
  readonly strippedTopLevelFields: readonly string[];
  readonly strippedMessageFields: readonly string[];
  readonly strippedContentPartFields: readonly string[];
  /** Whether `n` must be 1. */
  readonly singleChoiceOnly: boolean;
}

const groq: ProviderSpec = {
  name: 'groq',
  sdk: 'groq-sdk',
  sdkPathPrefix: '/openai/v1',
  baseUrlVariable: 'GROQ_BASE_URL',
  unsupportedParams: ['logprobs', 'logit_bias', 'top_logprobs'],
  // Groq's Responses API documentation: "Additional unsupported Responses API parameters".
  unsupportedResponsesParams: ['previous_response_id', 'store', 'truncation', 'include', 'safety_identifier', 'prompt_cache_key'],
  strippedTopLevelFields: ['provider_specific_fields', 'reasoning_details'],
  strippedMessageFields: ['name', 'provider_specific_fields', 'reasoning_details'],
  strippedContentPartFields: ['cache_control'],
  singleChoiceOnly: true,
};

const openai: ProviderSpec = {
  name: 'openai',
  sdk: 'openai',
  sdkPathPrefix: undefined,
  baseUrlVariable: undefined,
  unsupportedParams: [],
  unsupportedResponsesParams: [],
  strippedTopLevelFields: ['provider_specific_fields', 'reasoning_details'],
  strippedMessageFields: ['provider_specific_fields', 'reasoning_details'],
  strippedContentPartFields: ['cache_control'],
  singleChoiceOnly: false,
};

export const providers: Readonly<Record<ProviderName, ProviderSpec>> = Object.freeze({ groq, openai });
