/**
 * The models the fake serves, copied from Groq's API documentation (models; 2026-02 snapshot).
 * `kind` decides the endpoints: chat models serve /chat/completions and /responses, transcription
 * models /audio/transcriptions and /audio/translations, speech models /audio/speech. Sending a model
 * to the wrong endpoint fails the way it does on Groq.
 */

export type FakeModelKind = 'chat' | 'transcription' | 'speech';

export interface FakeModel {
  readonly id: string;
  readonly kind: FakeModelKind;
  readonly ownedBy: string;
  /** Unix seconds, shown as `created` in model listings. */
  readonly created: number;
  readonly contextWindow: number;
  /** Largest `max_tokens`/`max_completion_tokens` Groq accepts; `null` when the docs give none. */
  readonly maxCompletionTokens: number | null;
  /** Documented output speed, used only to make `usage.completion_time` plausible. */
  readonly tokensPerSecond: number;
  /** Text-to-speech models only: the `voice` values `/audio/speech` accepts. */
  readonly voices?: readonly string[];
}

const chat = (id: string, ownedBy: string, contextWindow: number, maxCompletionTokens: number, tokensPerSecond: number): FakeModel => ({
  id,
  kind: 'chat',
  ownedBy,
  created: 1_733_000_000,
  contextWindow,
  maxCompletionTokens,
  tokensPerSecond,
});

const speech = (id: string, ownedBy: string, created: number, contextWindow: number, maxCompletionTokens: number, voices: readonly string[]): FakeModel => ({
  id,
  kind: 'speech',
  ownedBy,
  created,
  contextWindow,
  maxCompletionTokens,
  tokensPerSecond: 0,
  voices,
});

const PLAYAI_ENGLISH_VOICES = [
  'Arista', 'Atlas', 'Basil', 'Briggs', 'Calum', 'Celeste', 'Cheyenne', 'Chip', 'Cillian', 'Deedee',
  'Fritz', 'Gail', 'Indigo', 'Mamaw', 'Mason', 'Mikail', 'Mitch', 'Quinn', 'Thunder',
].map((name) => `${name}-PlayAI`);
const PLAYAI_ARABIC_VOICES = ['Ahmad', 'Amira', 'Khalid', 'Nasser'].map((name) => `${name}-PlayAI`);

export const BUILTIN_MODELS: readonly FakeModel[] = [
  // Production
  chat('llama-3.1-8b-instant', 'Meta', 131_072, 131_072, 560),
  chat('llama-3.3-70b-versatile', 'Meta', 131_072, 32_768, 280),
  chat('openai/gpt-oss-120b', 'OpenAI', 131_072, 65_536, 500),
  chat('openai/gpt-oss-20b', 'OpenAI', 131_072, 65_536, 1000),
  chat('groq/compound', 'Groq', 131_072, 8_192, 450),
  chat('groq/compound-mini', 'Groq', 131_072, 8_192, 450),
  // Preview
  chat('meta-llama/llama-4-maverick-17b-128e-instruct', 'Meta', 131_072, 8_192, 600),
  chat('meta-llama/llama-4-scout-17b-16e-instruct', 'Meta', 131_072, 8_192, 750),
  chat('qwen/qwen3-32b', 'Alibaba Cloud', 131_072, 40_960, 400),
  chat('moonshotai/kimi-k2-instruct-0905', 'Moonshot AI', 262_144, 16_384, 200),
  chat('openai/gpt-oss-safeguard-20b', 'OpenAI', 131_072, 65_536, 1000),
  // Guard models are served through /chat/completions on Groq, with a tiny window.
  chat('meta-llama/llama-prompt-guard-2-22m', 'Meta', 512, 512, 1000),
  chat('meta-llama/llama-prompt-guard-2-86m', 'Meta', 512, 512, 1000),
  // Speech-to-text: Groq's documentation gives no token figures; 448 is what Groq's live /models reports.
  { id: 'whisper-large-v3', kind: 'transcription', ownedBy: 'OpenAI', created: 1_693_000_000, contextWindow: 448, maxCompletionTokens: 448, tokensPerSecond: 0 },
  { id: 'whisper-large-v3-turbo', kind: 'transcription', ownedBy: 'OpenAI', created: 1_728_000_000, contextWindow: 448, maxCompletionTokens: 448, tokensPerSecond: 0 },
  // Text-to-speech. PlayAI has no figures in Groq's documentation; 8,192 is what Groq's live /models reports.
  speech('playai-tts', 'PlayAI', 1_740_000_000, 8_192, 8_192, PLAYAI_ENGLISH_VOICES),
  speech('playai-tts-arabic', 'PlayAI', 1_740_000_000, 8_192, 8_192, PLAYAI_ARABIC_VOICES),
  speech('canopylabs/orpheus-arabic-saudi', 'Canopy Labs', 1_760_000_000, 4_000, 50_000, ['fahad', 'sultan', 'lulwa', 'noura']),
  speech('canopylabs/orpheus-v1-english', 'Canopy Labs', 1_760_000_000, 4_000, 50_000, ['autumn', 'diana', 'hannah', 'austin', 'daniel', 'troy']),
];

/** Groq's `/openai/v1/models` entry shape. */
export function modelObject(model: FakeModel): Record<string, unknown> {
  return {
    id: model.id,
    object: 'model',
    created: model.created,
    owned_by: model.ownedBy,
    active: true,
    context_window: model.contextWindow,
    public_apps: null,
    max_completion_tokens: model.maxCompletionTokens,
  };
}
