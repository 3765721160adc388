/** Groq's documented models and limits, read from `config/groq-models.yaml`. */

import type { GroqPlan } from '../config/types.js';

export type ModelMode = 'chat' | 'audio_transcription' | 'audio_speech' | 'moderation';
export type ModelStatus = 'production' | 'preview';

/** Documented limits for one plan. `null` = the docs give no limit for this window. */
export interface DocumentedLimits {
  readonly rpm: number | null;
  readonly rpd: number | null;
  readonly tpm: number | null;
  readonly tpd: number | null;
  readonly ash: number | null;
  readonly asd: number | null;
}

export interface CatalogModel {
  /** Groq's model id, e.g. `llama-3.3-70b-versatile`. */
  readonly id: string;
  readonly status: ModelStatus;
  readonly mode: ModelMode;
  /** Tokens; `null` when undocumented. */
  readonly contextWindow: number | null;
  readonly maxCompletionTokens: number | null;
  /** USD per token (chat) or per character (speech); `null` when undocumented. */
  readonly inputCostPerToken: number | null;
  readonly outputCostPerToken: number | null;
  /** USD per second of audio (transcription). */
  readonly inputCostPerSecond: number | null;
  readonly supportsVision: boolean;
  readonly supportsFunctionCalling: boolean;
  readonly supportsReasoning: boolean;
  /** Largest upload per plan, bytes (audio models). */
  readonly maxFileBytes: Readonly<Partial<Record<GroqPlan, number>>>;
  /** Longest text-to-speech `input`, characters; `null` when undocumented. */
  readonly maxInputChars: number | null;
  /** Text-to-speech voices; `null` when undocumented (then any voice is passed on). */
  readonly voices: readonly string[] | null;
  readonly limits: Readonly<Record<GroqPlan, DocumentedLimits>>;
}

export interface Catalog {
  readonly models: ReadonlyMap<string, CatalogModel>;
  get(id: string): CatalogModel | undefined;
}
