/** Options resolved once into the state every handler shares. */
import { FastResponses } from './fast-cache.js';
import { FaultQueue } from './faults.js';
import { GENEROUS_LIMITS, resolveLimits, type ResolvedLimits } from './limits.js';
import { BUILTIN_MODELS, type FakeModel } from './models.js';
import type { ReplyFn } from './plan.js';
import { RateLimiter } from './rate-limiter.js';
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
  };
}
