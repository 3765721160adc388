import type { CatalogModel } from '../../catalog/types.js';
import type { Deployment } from '../../routing/deployment.js';

/**
 * LiteLLM's `model_info` for one deployment: the catalogue's documented figures under LiteLLM's field
 * names (what Kilo Code reads for context size and pricing), overridden by anything the config's
 * `model_info` sets.
 */
export function modelInfo(deployment: Deployment): Record<string, unknown> {
  const model = deployment.catalog;
  return {
    id: deployment.id,
    key: deployment.config.model,
    litellm_provider: deployment.provider.name,
    mode: model ? liteLLMMode(model) : 'chat',
    max_input_tokens: deployment.contextWindow,
    max_output_tokens: deployment.maxCompletionTokens,
    max_tokens: deployment.maxCompletionTokens,
    ...prices(model),
    supports_vision: model?.supportsVision ?? false,
    supports_function_calling: model?.supportsFunctionCalling ?? false,
    supports_tool_choice: model?.supportsFunctionCalling ?? false,
    supports_reasoning: model?.supportsReasoning ?? false,
    supports_prompt_caching: false,
    supports_system_messages: model?.mode === 'chat',
    groq_status: model?.status ?? null,
    ...deployment.config.modelInfo,
  };
}

function liteLLMMode(model: CatalogModel): string {
  if (model.mode === 'audio_speech') return 'audio_speech';
  if (model.mode === 'audio_transcription') return 'audio_transcription';
  return 'chat';
}

/** Groq bills speech per character and transcription per second; LiteLLM has a field for each. */
function prices(model: CatalogModel | undefined): Record<string, number | null> {
  if (model === undefined) return { input_cost_per_token: null, output_cost_per_token: null };
  if (model.mode === 'audio_speech') return { input_cost_per_character: model.inputCostPerToken };
  if (model.mode === 'audio_transcription') return { input_cost_per_second: model.inputCostPerSecond };
  return { input_cost_per_token: model.inputCostPerToken, output_cost_per_token: model.outputCostPerToken };
}
