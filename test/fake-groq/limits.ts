/** Rate-limit figures: what the fake enforces when a test does not say otherwise, and Groq's real ones. */

export interface RateLimits {
  /** Requests per minute. */
  rpm?: number;
  /** Requests per day; Groq reports this one in `x-ratelimit-*-requests`. */
  rpd?: number;
  /** Tokens per minute; Groq reports this one in `x-ratelimit-*-tokens`. */
  tpm?: number;
  /** Tokens per day. */
  tpd?: number;
  /** Audio seconds per hour (speech-to-text; each request is billed at least 10 s). */
  ash?: number;
  /** Audio seconds per day. */
  asd?: number;
}

export type ResolvedLimits = Readonly<Required<RateLimits>>;

/**
 * Generous enough that tests and demos never trip over them by accident, yet finite so that the
 * `x-ratelimit-*` headers carry numbers. RPD 14,400 is Groq's figure for llama-3.1-8b-instant.
 * Audio seconds appear in no header, so ASH/ASD are unlimited unless a test sets them.
 */
export const GENEROUS_LIMITS: ResolvedLimits = {
  rpm: 10_000,
  rpd: 14_400,
  tpm: 1_000_000,
  tpd: Number.POSITIVE_INFINITY,
  ash: Number.POSITIVE_INFINITY,
  asd: Number.POSITIVE_INFINITY,
};

/**
 * Groq's Developer-plan limits from its API documentation (rate limits), for tests that want realistic quotas:
 * `startFakeGroq({ limits: GROQ_DEV_LIMITS })`. Windows the docs leave blank fall back to the defaults (unlimited TPD).
 */
export const GROQ_DEV_LIMITS: Readonly<Record<string, RateLimits>> = {
  'llama-3.1-8b-instant': { rpm: 30, rpd: 14_400, tpm: 6_000, tpd: 500_000 },
  'llama-3.3-70b-versatile': { rpm: 30, rpd: 1_000, tpm: 12_000, tpd: 100_000 },
  'openai/gpt-oss-120b': { rpm: 30, rpd: 1_000, tpm: 8_000, tpd: 200_000 },
  'openai/gpt-oss-20b': { rpm: 30, rpd: 1_000, tpm: 8_000, tpd: 200_000 },
  'groq/compound': { rpm: 30, rpd: 250, tpm: 70_000 },
  'groq/compound-mini': { rpm: 30, rpd: 250, tpm: 70_000 },
  'meta-llama/llama-4-maverick-17b-128e-instruct': { rpm: 30, rpd: 1_000, tpm: 6_000, tpd: 500_000 },
  'meta-llama/llama-4-scout-17b-16e-instruct': { rpm: 30, rpd: 1_000, tpm: 30_000, tpd: 500_000 },
  'qwen/qwen3-32b': { rpm: 60, rpd: 1_000, tpm: 6_000, tpd: 500_000 },
  'moonshotai/kimi-k2-instruct-0905': { rpm: 60, rpd: 1_000, tpm: 10_000, tpd: 300_000 },
  'whisper-large-v3': { rpm: 20, rpd: 2_000, ash: 7_200, asd: 28_800 },
  'whisper-large-v3-turbo': { rpm: 20, rpd: 2_000, ash: 7_200, asd: 28_800 },
  // From the integration guide's example table (Free tier); the Developer-plan table does not list PlayAI.
  'playai-tts': { rpm: 10, tpm: 1_200 },
  'canopylabs/orpheus-arabic-saudi': { rpm: 10, rpd: 100, tpm: 1_200, tpd: 3_600 },
  'canopylabs/orpheus-v1-english': { rpm: 10, rpd: 100, tpm: 1_200, tpd: 3_600 },
};

/**
 * Windows missing from a model's entry fall back to `base` rather than to "unlimited", so that
 * `{ tpm: 6000 }` restricts tokens without silently lifting the request caps.
 */
export function resolveLimits(entry: RateLimits | undefined, base: ResolvedLimits): ResolvedLimits {
  if (entry === undefined) return base;
  const pick = (value: number | undefined, fallback: number): number =>
    value === undefined || Number.isNaN(value) ? fallback : value;
  return {
    rpm: pick(entry.rpm, base.rpm),
    rpd: pick(entry.rpd, base.rpd),
    tpm: pick(entry.tpm, base.tpm),
    tpd: pick(entry.tpd, base.tpd),
    ash: pick(entry.ash, base.ash),
    asd: pick(entry.asd, base.asd),
  };
}
