/** Options resolved once into the state every handler shares. */
import type { Accounting, PromptCount } from './accounting.js';
import { FastResponses } from './fast-cache.js';
import { FaultQueue } from './faults.js';
import { GENEROUS_LIMITS, resolveLimits, type ResolvedLimits } from './limits.js';
import { BUILTIN_MODELS, type FakeModel } from './models.js';
import type { Pacing } from './pacing.js';
import type { ReplyFn } from './plan.js';
import { RateLimiter } from './rate-limiter.js';
import { scaledPromptTokens } from './request.js';
import type { FakeGroqOptions, MutableCall } from './types.js';

export interface FakeEnv {
  readonly now: () => number;
  readonly fast: boolean;
  readonly organization: string;
  readonly reply: ReplyFn | undefined;
  readonly chunkDelayMs: number;
  readonly latencyMs: number;
  readonly defaultMaxTokens: number;
  readonly maxBodyBytes: number;
  readonly models: ReadonlyMap<string, FakeModel>;
  readonly acceptsKey: (key: string) => boolean;
  readonly limitsFor: (model: string) => ResolvedLimits;
  /** Off only in fast mode without explicit limits; headers then show a full quota. */
  readonly enforceLimits: boolean;
  readonly limiter: RateLimiter;
  readonly faults: FaultQueue;
  readonly fastResponses: FastResponses | undefined;
  readonly calls: MutableCall[];
  /** Whether each request is kept in `calls` (`FakeGroqOptions.recordCalls`). */
  readonly recordCalls: boolean;
  readonly accountingFor: (model: string) => Accounting;
  /** The prompt's token count as this fake counts it for `model` (rule and scale applied). */
  readonly countPrompt: (model: string, messages: unknown, tools: unknown) => number;
  /** `undefined`: answers go out at once (the default). */
  readonly pacingFor: (model: string) => Pacing | undefined;
}

/** A value given for every model, or per model with `fallback` for models not named. */
function perModel<T extends string | number>(option: T | Readonly<Record<string, T>> | undefined, fallback: T): (model: string) => T {
  if (option === undefined) return () => fallback;
  if (typeof option !== 'object') return () => option;
  return (model) => (Object.hasOwn(option, model) ? (option[model] as T) : fallback);
}

const nonNegative = (value: number | undefined, fallback: number): number =>
  value !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;

export function resolveEnv(options: FakeGroqOptions): FakeEnv {
  const now = options.now ?? Date.now;
  const fast = options.fast === true;
  const base = resolveLimits(options.defaultLimits, GENEROUS_LIMITS);
  const limitsTable = options.limits ?? {};
  const resolved = new Map<string, ResolvedLimits>();
  const limitsFor = (model: string): ResolvedLimits => {
    let limits = resolved.get(model);
    if (limits === undefined) {
      limits = resolveLimits(Object.hasOwn(limitsTable, model) ? limitsTable[model] : undefined, base);
      resolved.set(model, limits);
    }
    return limits;
  };
  const keys = options.keys === undefined ? undefined : new Set(options.keys);
  const accountingTable = options.accounting ?? {};
  const defaultAccounting = options.defaultAccounting ?? 'reserve-then-settle';
  const promptCountFor = perModel<PromptCount>(options.promptCount, 'content-chars');
  const promptScaleFor = perModel(options.promptScale, 1);
  const ttftFor = perModel(options.ttftMs, 0);
  const tpsFor = perModel(options.tokensPerSecond, 0);

  return {
    now,
    fast,
    organization: options.organization ?? 'org_fake',
    reply: options.reply,
    chunkDelayMs: nonNegative(options.chunkDelayMs, 0),
    latencyMs: nonNegative(options.latencyMs, 0),
    defaultMaxTokens: nonNegative(options.defaultMaxTokens, 1024),
    maxBodyBytes: nonNegative(options.maxBodyBytes, 25 * 1024 * 1024),
    models: new Map((options.models ?? BUILTIN_MODELS).map((m) => [m.id, m])),
    acceptsKey: keys === undefined ? (key) => key.startsWith('gsk_') : (key) => keys.has(key),
    limitsFor,
    enforceLimits: !fast || options.limits !== undefined,
    limiter: new RateLimiter(now, limitsFor),
    faults: new FaultQueue(),
    fastResponses: fast ? new FastResponses(() => Math.floor(now() / 1000)) : undefined,
    calls: [],
    recordCalls: options.recordCalls !== false,
    accountingFor: (model) => (Object.hasOwn(accountingTable, model) ? (accountingTable[model] as Accounting) : defaultAccounting),
    countPrompt: (model, messages, tools) => scaledPromptTokens(promptCountFor(model), nonNegative(promptScaleFor(model), 1), messages, tools),
    pacingFor: (model) => {
      const ttftMs = nonNegative(ttftFor(model), 0);
      const tokensPerSecond = nonNegative(tpsFor(model), 0);
      return ttftMs === 0 && tokensPerSecond === 0 ? undefined : { ttftMs, tokensPerSecond };
    },
  };
}
