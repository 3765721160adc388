import type { Redis } from 'ioredis';
import { amountIn, normaliseDemand, reportedIn } from './demand.js';
import { upstreamCount } from './budget-ledger.js';
import { KEY_COUNT, SCRIPTS, SCRIPT_UNITS, type ScriptName } from './redis-lua.js';
import { withTimeout } from './redis-timeout.js';
import { REPORTED_WINDOWS, WINDOW_NAMES } from './types.js';
import type {
  BudgetSnapshot,
  BudgetSpec,
  Demand,
  ExhaustedWindow,
  QuotaStore,
  Reservation,
  ReserveResult,
  Settlement,
  UpstreamGap,
  UpstreamView,
  WindowName,
  WindowSnapshot,
} from './types.js';
import { FinishedReservations } from './finished-reservations.js';

export interface RedisQuotaStoreOptions {
  /**
   * The connection; the store owns it from here on and `close()` quits it. Give each store its own
   * client. Suited options: `enableOfflineQueue: false` (a quota check must fail at once while
   * disconnected rather than wait in a queue), a small `connectTimeout` (see `createRedisClient`).
   */
  readonly client: Redis;
  /** Prepended to every key; default `groq-router:`. Lets several deployments share one Redis. */
  readonly keyPrefix?: string;
  /**
   * Rejects a call not answered within this many ms. A reserve that times out may still have been
   * booked on the server; it then counts until its window expires, which errs on the safe side.
   */
  readonly commandTimeoutMs?: number;
  /**
   * Tests only: replaces Redis's TIME in the scripts. In production every instance must use the server's
   * clock, or instances with skewed clocks would book into different buckets.
   */
  readonly testClock?: () => number;
}

/** ioredis method names the scripts are defined under (EVALSHA, falling back to EVAL once per script). */
const COMMANDS: Readonly<Record<ScriptName, string>> = {
  reserve: 'groqRouterQuotaReserve',
  settle: 'groqRouterQuotaSettle',
  observe: 'groqRouterQuotaObserve',
  snapshot: 'groqRouterQuotaSnapshot',
};

/** The upstream view fields kept for snapshots, stored as strings so NaN and the like survive as given. */
const VIEW_FIELDS = ['limitRequests', 'remainingRequests', 'resetRequestsMs', 'limitTokens', 'remainingTokens', 'resetTokensMs', 'retryAfterMs'] as const satisfies readonly (keyof UpstreamView)[];

type ScriptCall = (...args: string[]) => Promise<unknown>;

/**
 * Budgets shared by every gateway instance through one Redis: each operation is one Lua script, so the
 * check-and-book of a reserve is atomic across instances, and every decision uses Redis's clock.
 *
 * Key layout per budget (`{id}` is a cluster hash tag; the id is a hash of the key plus the model):
 * `<prefix>quota:v1:{<id>}:meta`, and per window `...:<window>:buckets` (hash) and `...:<window>:order`
 * (sorted set). Each expires on its own once idle for its window plus a minute.
 */
export class RedisQuotaStore implements QuotaStore {
  readonly kind = 'redis';
  /** Without a local fallback (`DegradingQuotaStore`), it is never running on a local share. */
  readonly degraded = false;
  private readonly client: Redis;
  private readonly prefix: string;
  private readonly commandTimeoutMs: number | undefined;
  private readonly testClock: (() => number) | undefined;
  private readonly scripts: Readonly<Record<ScriptName, ScriptCall>>;
  private readonly keyCache = new Map<string, readonly string[]>();
  /** As in MemoryQuotaStore: a second settle or release must not return headroom twice. */
  private readonly finished = new FinishedReservations();
  private closed = false;

  constructor(options: RedisQuotaStoreOptions) {
    const { commandTimeoutMs } = options;
    if (commandTimeoutMs !== undefined && !(Number.isFinite(commandTimeoutMs) && commandTimeoutMs > 0)) {
      throw new RangeError(`commandTimeoutMs must be a positive number, got ${commandTimeoutMs}`);
    }
    this.client = options.client;
    this.prefix = options.keyPrefix ?? 'groq-router:';
    this.commandTimeoutMs = commandTimeoutMs;
    this.testClock = options.testClock;
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
      this.client.defineCommand(COMMANDS[name], { lua: SCRIPTS[name], numberOfKeys: KEY_COUNT });
    }
    this.scripts = {
      reserve: scriptOf(this.client, COMMANDS.reserve),
      settle: scriptOf(this.client, COMMANDS.settle),
      observe: scriptOf(this.client, COMMANDS.observe),
      snapshot: scriptOf(this.client, COMMANDS.snapshot),
    };
  }

  async reserve(budget: BudgetSpec, demand: Demand): Promise<ReserveResult> {
    const booked = normaliseDemand(demand);
    const limits = WINDOW_NAMES.map((name) => numberArg(budget.limits[name].limit));
    const amounts = SCRIPT_UNITS.map((unit) => String(amountIn(booked, unit)));
    const reply = strings(await this.run('reserve', budget.id, [...limits, ...amounts, numberArg(booked.minTokens ?? null), booked.hold === true ? '1' : '', numberArg(booked.spare ?? null)]), 'reserve');
    if (reply[0] === '1') {
      const demand = { requests: booked.requests, tokens: Number(reply[2]), audioSeconds: booked.audioSeconds };
      return { ok: true, reservation: { budgetId: budget.id, demand, at: Number(reply[1]) } };
    }
    const exhausted: ExhaustedWindow[] = [];
    for (let i = 3; i + 3 < reply.length; i += 4) {
      exhausted.push({ window: windowAt(reply[i]), limit: Number(reply[i + 1]), used: Number(reply[i + 2]), requested: Number(reply[i + 3]) });
    }
    const retryAfterMs = reply[1] === '-1' ? Number.POSITIVE_INFINITY : Number(reply[1]);
    // As the script fitted it: a shrinkable demand is refused at what its token windows had room for.
    const refused = { requests: booked.requests, tokens: Number(reply[2]), audioSeconds: booked.audioSeconds };
    return { ok: false, refusal: { budgetId: budget.id, demand: refused, retryAfterMs, exhausted } };
  }

  async settle(budget: BudgetSpec, reservation: Reservation, actual: Settlement): Promise<void> {
    if (!this.finished.finish(budget, reservation)) return;
    await this.run('settle', budget.id, [
      ...settleArgs(reservation, (unit) => numberArg(reportedIn(actual, unit) ?? null)),
      numberArg(actual.tokensAtEnd ?? null),
      numberArg(actual.admittedMsAgo ?? null),
    ]);
  }

  async release(budget: BudgetSpec, reservation: Reservation): Promise<void> {
    if (!this.finished.finish(budget, reservation)) return;
    // Settling every booked unit to zero is exactly a release; units it never booked stay untouched.
    await this.run('release', budget.id, [...settleArgs(reservation, (unit) => (amountIn(reservation.demand, unit) === 0 ? '' : '0')), '', '']);
  }

  async observe(budget: BudgetSpec, view: UpstreamView): Promise<UpstreamGap> {
    const counts = REPORTED_WINDOWS.map(({ window, limit, remaining }) =>
      numberArg(upstreamCount(view[limit] ?? budget.limits[window].limit ?? undefined, view[remaining]) ?? null),
    );
    const { retryAfterMs } = view;
    const retry = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? String(retryAfterMs) : '';
    const reply = strings(await this.run('observe', budget.id, [...counts, retry, encodeView(view)]), 'observe');
    const gap: { -readonly [K in keyof UpstreamGap]: number } = {};
    REPORTED_WINDOWS.forEach(({ window }, k) => {
      const value = reply[k];
      if (value !== undefined && value !== '') gap[window as 'tpm' | 'rpd'] = Number(value);
    });
    return gap;
  }

  async snapshot(budget: BudgetSpec): Promise<BudgetSnapshot> {
    const reply = strings(await this.run('snapshot', budget.id, []), 'snapshot');
    const windows = Object.fromEntries(
      WINDOW_NAMES.map((name, i) => {
        const [used, resetMs] = reply.slice(4 + 2 * i, 6 + 2 * i);
        return [name, windowSnapshot(budget, name, Number(used), Number(resetMs))];
      }),
    ) as Record<WindowName, WindowSnapshot>;
    const [at, blockedUntil, upstream, observedAt] = reply;
    return {
      id: budget.id,
      model: budget.model,
      keyPreview: budget.keyPreview,
      windows,
      at: Number(at),
      blockedUntil: Number(blockedUntil),
      upstream: upstream === undefined || upstream === '' ? undefined : { ...decodeView(upstream), observedAt: Number(observedAt) },
    };
  }

  /**
   * Quits the client (the store owns it) and resolves once the connection is gone; a connection that does
   * not answer within a second is dropped instead.
   */
  async close(): Promise<void> {
    if (this.closed || this.client.status === 'end') return;
    this.closed = true;
    const ended = new Promise<void>((resolve) => this.client.once('end', () => resolve()));
    try {
      if (this.client.status !== 'ready') throw new Error('not connected');
      await withTimeout(this.client.quit(), 1_000, 'redis quit');
    } catch {
      this.client.disconnect();
    }
    await withTimeout(ended, 1_000, 'redis disconnect').catch(() => {});
  }

  private run(name: ScriptName | 'release', budgetId: string, args: readonly string[]): Promise<unknown> {
    const script = name === 'release' ? this.scripts.settle : this.scripts[name];
    const promise = script(...this.keys(budgetId), ...args, this.testClock === undefined ? '' : String(this.testClock()));
    return this.commandTimeoutMs === undefined ? promise : withTimeout(promise, this.commandTimeoutMs, `redis quota ${name}`);
  }

  private keys(budgetId: string): readonly string[] {
    let keys = this.keyCache.get(budgetId);
    if (keys === undefined) {
      // Braces inside the id would move the cluster hash tag and scatter one budget over several slots.
      const base = `${this.prefix}quota:v1:{${budgetId.replaceAll('{', '%7B').replaceAll('}', '%7D')}}`;
      keys = [`${base}:meta`, ...WINDOW_NAMES.map((name) => `${base}:${name}:buckets`), ...WINDOW_NAMES.map((name) => `${base}:${name}:order`)];
      this.keyCache.set(budgetId, keys);
    }
    return keys;
  }

}

function scriptOf(client: Redis, command: string): ScriptCall {
  const method: unknown = Reflect.get(client, command);
  if (typeof method !== 'function') throw new Error(`ioredis did not define ${command}`);
  return (...args) => Promise.resolve(Reflect.apply(method, client, args) as unknown);
}

function settleArgs(reservation: Reservation, spent: (unit: (typeof SCRIPT_UNITS)[number]) => string): string[] {
  return [String(reservation.at), ...SCRIPT_UNITS.map((unit) => String(amountIn(reservation.demand, unit))), ...SCRIPT_UNITS.map(spent)];
}

function numberArg(value: number | null): string {
  return value === null ? '' : String(value);
}

function strings(reply: unknown, script: string): string[] {
  if (Array.isArray(reply) && reply.every((item) => typeof item === 'string')) return reply;
  throw new Error(`quota ${script} script gave an unexpected reply`);
}

function windowAt(index: string | undefined): WindowName {
  const name = WINDOW_NAMES[Number(index) - 1];
  if (name === undefined) throw new Error(`quota reserve script named no window (${index})`);
  return name;
}

/** As BudgetLedger shows it: the limit less what is used, outside spending included. */
function windowSnapshot(budget: BudgetSpec, name: WindowName, used: number, resetMs: number): WindowSnapshot {
  const { limit, source } = budget.limits[name];
  return { limit, source, used, remaining: limit === null ? null : Math.max(0, limit - used), resetMs };
}

function encodeView(view: UpstreamView): string {
  const fields: Record<string, string> = {};
  for (const field of VIEW_FIELDS) {
    const value = view[field];
    if (value !== undefined) fields[field] = String(value);
  }
  return JSON.stringify(fields);
}

function decodeView(text: string): UpstreamView {
  const parsed: unknown = JSON.parse(text);
  const view: { -readonly [K in keyof UpstreamView]: UpstreamView[K] } = {};
  if (typeof parsed !== 'object' || parsed === null) return view;
  for (const field of VIEW_FIELDS) {
    const value: unknown = Reflect.get(parsed, field);
    if (typeof value === 'string') view[field] = Number(value);
  }
  return view;
}
