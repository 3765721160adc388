import type { Account } from './account.js';
import { classifyUpstreamError } from './failure.js';
import { entryOf } from '../map-entry.js';

/** One entry of an upstream `GET /models` answer, as far as the gateway's listing uses it. */
export interface UpstreamModel {
  readonly id: string;
  readonly created: number;
  readonly ownedBy: string;
}

/** What one account contributed to a listing. */
export interface AccountModels {
  readonly account: Account;
  /** Its current list, or its last good one when this fetch failed; `undefined` when it never answered. */
  readonly models: readonly UpstreamModel[] | undefined;
  /** Why this listing has no fresh list for it; never contains the key. */
  readonly error: string | undefined;
}

export interface CollectOptions {
  /** How long a good list is reused. 0: fetched for every listing. */
  readonly ttlMs: number;
  /** How long a listing waits for an account; its fetch is abandoned after that. */
  readonly timeoutMs: number;
}

/** Fetches an account's model list; replaceable in tests. */
export type ListModels = (account: Account, signal: AbortSignal, timeoutMs: number) => Promise<readonly UpstreamModel[]>;

interface Entry {
  good: { readonly models: readonly UpstreamModel[]; readonly at: number } | undefined;
  failure: { readonly message: string; readonly at: number } | undefined;
  inflight: Promise<void> | undefined;
}

/** After a failure an account is asked again only after this long (or the TTL, if shorter). */
const FAILURE_BACKOFF_MS = 30_000;

/**
 * Each account's upstream model list (the SDK's `models.list()`), cached per account for a TTL. A listing
 * asks every stale account at once and waits at most `timeoutMs`: an account that fails or hangs is
 * reported with its last good list, if any, and never fails or delays the listing beyond that. Concurrent
 * listings share one fetch per account, and a failing account is not asked again for a while.
 */
export class UpstreamModelCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly list: ListModels = listWithSdk,
    private readonly now: () => number = Date.now,
  ) {}

  async collect(accounts: readonly Account[], options: CollectOptions): Promise<AccountModels[]> {
    // Accounts a reload removed are forgotten.
    const live = new Set(accounts.map((a) => a.id));
    for (const id of [...this.entries.keys()]) if (!live.has(id)) this.entries.delete(id);
    return Promise.all(accounts.map((account) => this.forAccount(account, options)));
  }

  private async forAccount(account: Account, options: CollectOptions): Promise<AccountModels> {
    const entry = entryOf(this.entries, account.id, () => ({ good: undefined, failure: undefined, inflight: undefined }));
    const now = this.now();
    const fresh = entry.good !== undefined && now - entry.good.at < options.ttlMs;
    const recentlyFailed = entry.failure !== undefined && now - entry.failure.at < Math.min(options.ttlMs, FAILURE_BACKOFF_MS);
    if (!fresh && !recentlyFailed) {
      entry.inflight ??= this.refresh(account, entry, options.timeoutMs);
      await withDeadline(entry.inflight, options.timeoutMs);
    }
    return this.report(account, entry);
  }

  private async refresh(account: Account, entry: Entry, timeoutMs: number): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const models = await this.list(account, controller.signal, timeoutMs);
      entry.good = { models, at: this.now() };
      entry.failure = undefined;
    } catch (err) {
      const message = controller.signal.aborted ? `no answer within ${timeoutMs / 1000} s` : describeFailure(err);
      entry.failure = { message, at: this.now() };
    } finally {
      clearTimeout(timer);
      entry.inflight = undefined;
    }
  }

  private report(account: Account, entry: Entry): AccountModels {
    const { good, failure } = entry;
    // A failure newer than the good list means this listing could not refresh it.
    if (failure !== undefined && (good === undefined || failure.at >= good.at)) {
      const stale = good === undefined ? '' : `; showing its list from ${Math.round((this.now() - good.at) / 1000)} s ago`;
      return { account, models: good?.models, error: `${failure.message}${stale}` };
    }
    if (good === undefined) return { account, models: undefined, error: 'model list still loading' };
    return { account, models: good.models, error: undefined };
  }
}

/** The official SDK's `models.list()`, retries off (the account's client), bounded by `signal`. */
export const listWithSdk: ListModels = async (account, signal, timeoutMs) => {
  const page = await account.client.models.list({ signal, timeout: timeoutMs });
  return page.data.map((m) => ({ id: m.id, created: typeof m.created === 'number' ? m.created : 0, ownedBy: typeof m.owned_by === 'string' ? m.owned_by : 'unknown' }));
};

function describeFailure(err: unknown): string {
  const failure = classifyUpstreamError(err);
  return failure.status === undefined ? failure.message : `HTTP ${failure.status}: ${failure.message}`;
}

/** Waits for `promise`, but never longer than `ms` (a safety net; the fetch is aborted at the same time). */
function withDeadline(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms + 50);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
