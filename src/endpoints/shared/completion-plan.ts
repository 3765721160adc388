import type { CompletionCapPolicy } from '../../config/types.js';
import { DEFAULT_COMPLETION_CAP, MIN_COMPLETION_CAP } from '../../quota/completion-caps.js';
import type { RetentionLook, TakenLook } from '../../quota/cap-retention.js';
import type { TokenPlanning } from '../../quota/token-planning.js';
import type { Demand, Refusal, UpstreamLook } from '../../quota/types.js';
import type { Deployment } from '../../routing/deployment.js';
import { spentTokens, type Spend, type TokenUsage } from '../../routing/operation.js';

/** How far a prompt estimate may be off before Groq's count of it is known: more than calibration leaves. */
const UNCOUNTED_PROMPT_ERROR = 0.1;

/**
 * How one token-counted request (chat, Responses) is booked and capped on one deployment.
 *
 * The cap sent is the cap booked. It is never above what the client asked for, the model's documented
 * maximum or what its context window leaves beside the prompt. Under the `adaptive` policy it is also
 * no more than the alias's learned target (answers need a few hundred tokens where agents ask 8,192),
 * and it may shrink to fit the window down to what recent answers needed; below that the request does
 * not go (the budget refuses it with the wait until it fits). `requested` sends the client's own cap.
 */
export interface CompletionPlan {
  readonly demand: Demand;
  /** Set when even the least cap cannot fit the deployment's minute beside other consumers' spending. */
  readonly keptOut: Refusal | undefined;
  /** The cap to write into the body for `booked`, or `undefined` to leave the body's as it is. */
  capFor(booked: Demand): number | undefined;
  spend(usage: TokenUsage | undefined, booked: Demand): Spend;
  observed(look: UpstreamLook, usage: TokenUsage | undefined, booked: Demand | undefined): void;
  refusedWithRoom(booked: Demand, requested: number | undefined): void;
}

export interface PlanInput {
  readonly alias: string;
  /** The characters/4 prompt estimate (`estimatePromptTokens`). */
  readonly roughPrompt: number;
  /** The client's own cap (`max_tokens`, `max_completion_tokens`, `max_output_tokens`), if any. */
  readonly requested: number | undefined;
  readonly policy: CompletionCapPolicy;
}

export function planCompletion(deployment: Deployment, planning: TokenPlanning, input: PlanInput): CompletionPlan {
  const { alias, roughPrompt, requested } = input;
  const policy = deployment.config.completionCap ?? input.policy;
  const model = deployment.config.model;
  const prompt = planning.calibration.estimate(model, roughPrompt);
  const documented = deployment.maxCompletionTokens ?? Number.POSITIVE_INFINITY;
  const contextRoom = deployment.contextWindow === null ? Number.POSITIVE_INFINITY : deployment.contextWindow - prompt;
  const ceiling = Math.max(1, Math.min(requested ?? Number.POSITIVE_INFINITY, documented, contextRoom));
  // Without a cap of its own under `requested`, the body goes as it is and the upstream's default applies.
  const sendsCap = policy === 'adaptive' || requested !== undefined;

  let most: number;
  let least: number;
  if (policy === 'adaptive') {
    const learned = planning.caps.for(alias);
    most = Math.min(ceiling, learned.target);
    least = Math.min(most, learned.floor);
  } else {
    most = requested === undefined ? Math.min(ceiling, DEFAULT_COMPLETION_CAP) : ceiling;
    // A cap that could never fit the TPM is a certain refusal: lower it so it can.
    const tpm = deployment.budget?.limits.tpm.limit ?? null;
    if (tpm !== null && tpm - prompt >= MIN_COMPLETION_CAP) most = Math.min(most, tpm - prompt);
    least = most;
  }
  most = Math.floor(most);
  least = Math.floor(least);
  const capOf = (booked: Demand): number => booked.tokens - prompt;
  const budgetId = deployment.budget?.id;
  /** A streamed answer's look at Groq's count not weighed at its headers: weighed once its usage says how Groq counted the prompt. */
  let streamedLook: TakenLook | undefined;
  const weigh = (taken: TakenLook | undefined, usage: TokenUsage): void => {
    if (taken !== undefined) planning.retention.weigh(taken, withCountedPrompt(taken.look, prompt, usage));
  };
  /** Whether the answer was settled keeping its cap: what its look must assume, whatever the belief is by then. */
  let settledKeepingCap: boolean | undefined;

  return {
    demand: {
      requests: 1,
      tokens: prompt + most,
      audioSeconds: 0,
      minTokens: least < most ? prompt + least : undefined,
      spare: budgetId === undefined ? undefined : planning.neighbours.spare(budgetId),
    },
    keptOut: keptOutByNeighbours(deployment, planning, prompt + least),
    capFor: (booked) => (sendsCap ? capOf(booked) : undefined),
    spend(usage, booked) {
      if (usage === undefined) return { usage, actual: { tokens: booked.tokens } };
      planning.calibration.observe(model, roughPrompt, usage.prompt_tokens);
      // Before this answer's own unused cap is settled: the look was taken while all of it was booked.
      if (streamedLook !== undefined) weigh(streamedLook, usage);
      streamedLook = undefined;
      const cap = capOf(booked);
      const completion = usage.completion_tokens;
      const clientCap = requested ?? documented;
      if (sendsCap && completion !== undefined && completion >= cap && cap < clientCap) {
        planning.caps.cut(alias, cap);
        planning.onCut(alias, deployment.id);
      } else {
        planning.caps.observe(alias, completion);
      }
      const keepsCap = sendsCap && budgetId !== undefined && planning.retention.keepsCap(budgetId);
      settledKeepingCap = keepsCap;
      if (sendsCap && budgetId !== undefined && completion !== undefined) planning.retention.settled(budgetId, cap - completion, keepsCap);
      // An upstream booking usage counts the completion from the end of the answer; so do we.
      const tokensAtEnd = keepsCap ? 0 : completion;
      return { usage, actual: { tokens: settledTokens(usage, cap, keepsCap) ?? booked.tokens, tokensAtEnd } };
    },
    observed(seen, usage, booked) {
      if (budgetId === undefined) return;
      // A whole answer was settled before its headers are read here, under the belief of that moment.
      const keepsCap = usage === undefined ? planning.retention.keepsCap(budgetId) : (settledKeepingCap ?? planning.retention.keepsCap(budgetId));
      // Other consumers' spending is what the upstream counted beyond us once our own request is taken
      // out: an upstream booking usage has not counted the cap we still book beyond what the answer
      // used (all of it while the answer streams), and a gap that small would hide a neighbour's requests.
      const surplus = booked === undefined || !sendsCap || keepsCap ? 0 : Math.max(0, capOf(booked) - (usage?.completion_tokens ?? 0));
      const { outsideRequests } = seen;
      planning.neighbours.observe(budgetId, seen.tpm, surplus, outsideRequests);
      // A refusal says nothing of what Groq keeps after an answer.
      if (!sendsCap || booked === undefined) return;
      // A whole answer was settled in our books before its headers are read here; what it gave back
      // cannot show in the upstream's count, written while it was still booked.
      const pending = usage?.completion_tokens === undefined || keepsCap ? 0 : Math.max(0, capOf(booked) - usage.completion_tokens);
      // A streamed answer's headers arrive before its usage, while we book its whole cap.
      const look: RetentionLook = { gap: seen.tpm, pending, outsideRequests, streamingCap: usage === undefined ? capOf(booked) : 0 };
      const taken = planning.retention.take(budgetId, look, keepsCap);
      if (usage !== undefined) {
        weigh(taken, usage);
        return;
      }
      // A streamed look taken while Groq is believed to keep caps is weighed at once, with the prompt
      // estimate's own error as noise: there noise only pulls toward keeping, the safe side, and an
      // agent's next request (often before this answer ends) fits better for it. Taken while Groq is
      // believed to book usage, noise would pull toward usage, so it waits for the prompt as Groq counted it.
      const weighedNow = taken?.keptCaps === true && planning.retention.weigh(taken, lookWith(taken.look, taken.look.gap, Math.ceil(prompt * UNCOUNTED_PROMPT_ERROR)));
      if (!weighedNow) streamedLook = taken;
    },
    refusedWithRoom(booked, upstreamCount) {
      const shortBy = upstreamCount === undefined ? 0 : upstreamCount - booked.tokens;
      planning.calibration.fellShort(model, roughPrompt, shortBy);
    },
  };
}

/**
 * A request whose least booking fits the minute's limit alone but not beside what other consumers of the
 * key are taken to spend in a minute (their level, see Neighbours) would be refused by Groq whenever they
 * go on spending: it is not sent there, and its wait is until that level has faded enough (a look at
 * Groq's count from another request can lower it sooner). The room kept beyond the level (a fifth of it)
 * is the store's to weigh, against the window as it is.
 */
function keptOutByNeighbours(deployment: Deployment, planning: TokenPlanning, least: number): Refusal | undefined {
  const budget = deployment.budget;
  const limit = budget?.limits.tpm.limit ?? null;
  if (budget === undefined || limit === null || least > limit) return undefined;
  const level = planning.neighbours.level(budget.id);
  if (least + level <= limit) return undefined;
  return {
    budgetId: budget.id,
    demand: { requests: 1, tokens: least, audioSeconds: 0 },
    retryAfterMs: planning.neighbours.msUntilLevelAtMost(budget.id, limit - least),
    exhausted: [{ window: 'tpm', limit, used: Math.ceil(level), requested: least }],
    keptForOthers: true,
  };
}

/**
 * What a finished answer leaves booked: what it used, or, with an upstream that keeps the whole cap for
 * its window, the prompt it counted plus the cap.
 */
function settledTokens(usage: TokenUsage, cap: number, keepsCap: boolean): number | undefined {
  const used = spentTokens(usage);
  if (!keepsCap || used === undefined) return used;
  const prompt = Math.max(0, (usage.prompt_tokens ?? 0) - (usage.prompt_tokens_details?.cached_tokens ?? 0));
  return Math.max(used, prompt + cap);
}

/**
 * A look with our prompt estimate's error taken out of its gap, where the answer's usage says how Groq
 * counted the prompt (less what it served from cache, as `settledTokens` books it); what noise is left is
 * how Groq's rate-limit count may still differ from its usage. Without a count, the estimate's own error
 * is the noise (`UNCOUNTED_PROMPT_ERROR`).
 */
function withCountedPrompt(look: RetentionLook, prompt: number, usage: TokenUsage): RetentionLook {
  const reported = usage.prompt_tokens;
  if (reported === undefined || look.gap === undefined) return lookWith(look, look.gap, Math.ceil(prompt * UNCOUNTED_PROMPT_ERROR));
  const counted = Math.max(0, reported - (usage.prompt_tokens_details?.cached_tokens ?? 0));
  return lookWith(look, look.gap + prompt - counted, Math.ceil(prompt * 0.03));
}

/**
 * `look` with another gap and noise, field by field: a spread followed by keys the look lacks made V8
 * work out the object's shape again on every answer (0.35 % of the CPU profile at 50 connections, whole
 * answers and streams alike).
 */
function lookWith(look: RetentionLook, gap: number | undefined, noise: number): RetentionLook {
  return { gap, pending: look.pending, noise, outsideRequests: look.outsideRequests, streamingCap: look.streamingCap };
}
