import OpenAI from 'openai';
import type { ChatCompletionCreateParams as GroqChatParams } from 'groq-sdk/resources/chat/completions';
import type { ChatCompletionCreateParams as OpenAIChatParams } from 'openai/resources/chat/completions';
import type { TranscriptionCreateParams as GroqTranscriptionParams } from 'groq-sdk/resources/audio/transcriptions';
import type { TranslationCreateParams as GroqTranslationParams } from 'groq-sdk/resources/audio/translations';
import type { SpeechCreateParams as GroqSpeechParams } from 'groq-sdk/resources/audio/speech';
import type { TranscriptionCreateParamsNonStreaming as OpenAITranscriptionParams } from 'openai/resources/audio/transcriptions';
import type { TranslationCreateParams as OpenAITranslationParams } from 'openai/resources/audio/translations';
import type { SpeechCreateParams as OpenAISpeechParams } from 'openai/resources/audio/speech';
import type { ResponseCreateParams as OpenAIResponseParams } from 'openai/resources/responses/responses';
import { DeploymentGroq } from './deployment-groq.js';
import type { ProviderSpec } from './providers.js';
import type { FetchLike } from './transport.js';

export interface UpstreamCallOptions {
  /** Aborts the call; it also carries the call's deadline (groq-sdk arms no timer of its own for it). */
  readonly signal: AbortSignal;
  /** Time allowed until the upstream's response headers arrive (the signal aborts when it is over). */
  readonly timeoutMs: number;
}

/**
 * A deployment's connection to its upstream. It returns the raw HTTP response (2xx only; the SDKs throw
 * typed errors for everything else) so bodies and SSE bytes pass through without being re-encoded.
 */
export interface UpstreamClient {
  chatCompletions(body: Record<string, unknown>, options: UpstreamCallOptions): Promise<Response>;
  /** The Responses API; streams when `body.stream` is true. */
  responses(body: Record<string, unknown>, options: UpstreamCallOptions): Promise<Response>;
  /** Multipart audio uploads: `params.file` is a `File`, the rest form fields. */
  transcriptions(params: Record<string, unknown>, options: UpstreamCallOptions): Promise<Response>;
  translations(params: Record<string, unknown>, options: UpstreamCallOptions): Promise<Response>;
  /** Text to speech; the answer is audio bytes. */
  speech(body: Record<string, unknown>, options: UpstreamCallOptions): Promise<Response>;
}

export interface UpstreamClientOptions {
  readonly provider: ProviderSpec;
  readonly apiKey: string;
  readonly apiBase: string | undefined;
  readonly fetch: FetchLike;
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const baseURL = upstreamBaseURL(options.apiBase, options.provider);
  // The router owns retries: an SDK retry would hide failures from the breakers and sleep past deadlines.
  const common = { apiKey: options.apiKey, maxRetries: 0, fetch: options.fetch };
  if (options.provider.sdk === 'groq-sdk') {
    // With neither api_base nor GROQ_BASE_URL, the SDK uses Groq's default.
    const groq = new DeploymentGroq(baseURL === undefined ? common : { ...common, baseURL });
    return {
      chatCompletions: (body, { signal, timeoutMs }) =>
        groq.chat.completions.create(body as unknown as GroqChatParams, { signal, timeout: timeoutMs }).asResponse(),
      // groq-sdk has no Responses resource yet; its generic request keeps auth, errors and the pool.
      responses: (body, { signal, timeoutMs }) =>
        groq.post('/openai/v1/responses', { body, stream: body.stream === true, signal, timeout: timeoutMs }).asResponse(),
      transcriptions: (params, { signal, timeoutMs }) =>
        groq.audio.transcriptions.create(params as unknown as GroqTranscriptionParams, { signal, timeout: timeoutMs }).asResponse(),
      translations: (params, { signal, timeoutMs }) =>
        groq.audio.translations.create(params as unknown as GroqTranslationParams, { signal, timeout: timeoutMs }).asResponse(),
      speech: (body, { signal, timeoutMs }) =>
        groq.audio.speech.create(body as unknown as GroqSpeechParams, { signal, timeout: timeoutMs }).asResponse(),
    };
  }
  const openai = new OpenAI({ ...common, baseURL: baseURL ?? null });
  return {
    chatCompletions: (body, { signal, timeoutMs }) =>
      openai.chat.completions.create(body as unknown as OpenAIChatParams, { signal, timeout: timeoutMs }).asResponse(),
    responses: (body, { signal, timeoutMs }) =>
      openai.responses.create(body as unknown as OpenAIResponseParams, { signal, timeout: timeoutMs }).asResponse(),
    transcriptions: (params, { signal, timeoutMs }) =>
      openai.audio.transcriptions.create(params as unknown as OpenAITranscriptionParams, { signal, timeout: timeoutMs }).asResponse(),
    translations: (params, { signal, timeoutMs }) =>
      openai.audio.translations.create(params as unknown as OpenAITranslationParams, { signal, timeout: timeoutMs }).asResponse(),
    speech: (body, { signal, timeoutMs }) =>
      openai.audio.speech.create(body as unknown as OpenAISpeechParams, { signal, timeout: timeoutMs }).asResponse(),
  };
}

/**
 * A deployment's base URL for the SDK: its `api_base`, else the provider's variable (GROQ_BASE_URL),
 * both accepted with or without the SDK's own path; `undefined` leaves the SDK's default.
 */
export function upstreamBaseURL(apiBase: string | undefined, provider: ProviderSpec, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = provider.baseUrlVariable === undefined ? undefined : env[provider.baseUrlVariable]?.trim();
  return sdkBaseURL(apiBase ?? (fromEnv === '' ? undefined : fromEnv), provider.sdkPathPrefix);
}

/** The base URL the SDK wants: `api_base` without a trailing slash or the path the SDK appends itself. */
export function sdkBaseURL(apiBase: string | undefined, sdkPathPrefix: string | undefined): string | undefined {
  if (apiBase === undefined) return undefined;
  let base = apiBase.replace(/\/+$/, '');
  if (sdkPathPrefix !== undefined && base.endsWith(sdkPathPrefix)) base = base.slice(0, -sdkPathPrefix.length);
  return base;
}
