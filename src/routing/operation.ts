import type { CompletionCapPolicy } from '../config/types.js';
import type { Demand, Refusal, Settlement, UpstreamLook } from '../quota/types.js';
import type { UpstreamCallOptions, UpstreamClient } from '../upstream/client.js';
import type { UpstreamFailure } from '../upstream/failure.js';
import type { Deployment } from './deployment.js';

/** Token counts as Groq reports them; every endpoint's usage is read into this shape for the books. */
export interface TokenUsage {
  readonly prompt_tokens?: number;
  readonly completion_tokens?: number;
  readonly total_tokens?: number;
  readonly prompt_tokens_details?: { readonly cached_tokens?: number } | null;
}

/** What an answer spent: its usage (for metrics) and the amounts that replace the booked demand. */
export interface Spend {
  readonly usage: TokenUsage | undefined;
  readonly actual: Settlement;
}

/** Why a deployment cannot take a request, and which request field is to blame. */
export interface Unfit {
  readonly reason: string;
  readonly param: string;
}

/** A request made ready for one deployment: what it may cost, how to send it and how to read its answer. */
export interface PreparedCall {
  /** What to book: the most it may take, and (`minTokens`) the least when its completion cap can shrink. */
  readonly demand: Demand;
  /**
   * Set when the request cannot fit on this deployment beside what other consumers of its key spend:
   * it is not booked there, and the refusal says how long until that room may have faded.
   */
  readonly keptOut?: Refusal;
  /** Sends it as booked: `booked.tokens` may be below `demand.tokens` when the window was short. */
  send(client: UpstreamClient, options: UpstreamCallOptions, booked: Demand): Promise<Response>;
  /** The completion cap sent with `booked`, when one is (the `x-groq-router-max-tokens` header). */
  completionCap?(booked: Demand): number | undefined;
  /**
   * Reads what a whole (non-stream) answer spent; `json` is the answer as `checkAnswer` parsed it (so
   * usage is read without parsing it again), `undefined` when it parsed none.
   */
  spent(body: Uint8Array, booked: Demand, json: Record<string, unknown> | undefined): Spend;
  /** Reads what a finished stream spent from the usage its relay picked out. */
  streamSpent(usage: TokenUsage | undefined, booked: Demand): Spend;
  /**
   * The answer's rate-limit headers against our count (`look`), so the endpoint can learn how the
   * upstream books; `usage` when the whole answer was read (and spent) first, else `undefined`.
   * `booked` is what our count still held of this request then; `undefined` after a refusal, whose
   * booking was given back before the headers were compared.
   */
  observed?(look: UpstreamLook, usage: TokenUsage | undefined, booked: Demand | undefined): void;
  /**
   * The upstream refused it as too large for a window its own headers said had room for what we
   * booked: our estimate fell short (`requested`: the upstream's own count, when its message gives it).
   */
  refusedWithRoom?(booked: Demand, requested: number | undefined): void;
}

export interface PrepareSettings {
  readonly dropParams: boolean;
  /** `router_settings.completion_cap`; a deployment's own `completion_cap` wins. */
  readonly completionCap: CompletionCapPolicy;
}

/**
 * What one endpoint contributes to the attempt loop, which is otherwise the same for every endpoint:
 * breakers, budgets, retries and fallbacks know nothing of chat, responses or audio.
 */
export interface Operation {
  /** Why a deployment can never take this request (a file over its plan's limit, an unknown voice). */
  unfit?(deployment: Deployment): Unfit | undefined;
  /** The body for one deployment and its demand; throws the caller's own 400s (unsupported parameters). */
  prepare(deployment: Deployment, settings: PrepareSettings): PreparedCall;
  /** An error the upstream sent as the stream's first event, before anything reached the caller. */
  inBandError?(first: Uint8Array): UpstreamFailure | undefined;
  /** The media type a streamed answer must have before its first byte is relayed (SSE endpoints). */
  readonly streamContentType?: string;
  /** Checks a whole (non-stream) 2xx answer against this endpoint's shape (see `AnswerCheck`). */
  checkAnswer?(body: Uint8Array, contentType: string | null): AnswerCheck;
}

/**
 * Why a whole answer is not of its endpoint's shape (a string), or, when it is, the JSON object the check
 * parsed (`undefined` when it parsed none), which `spent` reads instead of parsing the answer again.
 */
export type AnswerCheck = string | Record<string, unknown> | undefined;

/** Tokens that count against Groq's limits: cached prompt tokens do not. */
export function spentTokens(usage: TokenUsage | undefined): number | undefined {
  if (usage === undefined) return undefined;
  const total = usage.total_tokens ?? (usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0);
  return Math.max(0, total - (usage.prompt_tokens_details?.cached_tokens ?? 0));
}
