import { createHash } from 'node:crypto';
import Groq from 'groq-sdk';
import type { Account } from './account.js';
import type { DeploymentConfig } from '../config/types.js';
import { keyPreview } from '../config/secrets.js';
import { upstreamBaseURL } from './client.js';
import { IdOwners, IdTenants, type SharedIdStore } from './id-owners.js';
import { providers } from './providers.js';
import type { FetchLike } from './transport.js';
import { UpstreamModelCache } from './upstream-models.js';

export type { Account } from './account.js';

/** What an alias names for organisation-level calls: its first configured Groq deployment's account. */
export type AliasAccount =
  | { readonly kind: 'account'; readonly account: Account }
  | { readonly kind: 'unknown' }
  /** Every deployment of the alias is another provider (`openai/...`). */
  | { readonly kind: 'not_groq' }
  /** It has Groq deployments, none of them usable (e.g. its key variable is unset). */
  | { readonly kind: 'unconfigured'; readonly reason: string };

/**
 * The distinct Groq accounts among one config's deployments, each with a groq-sdk client on the gateway's
 * pooled transport (retries off: the caller sees the upstream's answer as it is).
 */
export class AccountSet {
  readonly list: readonly Account[];
  readonly aliases: readonly string[];
  private readonly byId: ReadonlyMap<string, Account>;
  private readonly byAlias: ReadonlyMap<string, AliasAccount>;
  private readonly aliasesByModel: ReadonlyMap<string, readonly string[]>;

  constructor(deployments: readonly DeploymentConfig[], fetch: FetchLike) {
    const accounts = new Map<string, { id: string; keyPreview: string; baseURL: string | undefined; aliases: string[]; client: Groq }>();
    const byAlias = new Map<string, AliasAccount>();
    const aliasesByModel = new Map<string, string[]>();
    for (const deployment of deployments) {
      const alias = deployment.modelName;
      if (!byAlias.has(alias)) byAlias.set(alias, { kind: 'not_groq' });
      if (deployment.provider !== 'groq') continue;
      const usable = deployment.apiKey !== undefined && deployment.unconfiguredReason === undefined;
      if (!usable) {
        if (byAlias.get(alias)?.kind === 'not_groq') byAlias.set(alias, { kind: 'unconfigured', reason: deployment.unconfiguredReason ?? 'no API key' });
        continue;
      }
      const apiKey = deployment.apiKey as string;
      const baseURL = upstreamBaseURL(deployment.apiBase, providers.groq);
      const id = accountId(apiKey, baseURL);
      let account = accounts.get(id);
      if (account === undefined) {
        // With neither api_base nor GROQ_BASE_URL the SDK uses Groq's default, as chat does.
        const options = { apiKey, maxRetries: 0, fetch };
        const client = new Groq(baseURL === undefined ? options : { ...options, baseURL });
        account = { id, keyPreview: keyPreview(apiKey), baseURL, aliases: [], client };
        accounts.set(id, account);
      }
      if (!account.aliases.includes(alias)) account.aliases.push(alias);
      if (byAlias.get(alias)?.kind !== 'account') byAlias.set(alias, { kind: 'account', account });
      const routing = aliasesByModel.get(deployment.model) ?? [];
      if (!routing.includes(alias)) routing.push(alias);
      aliasesByModel.set(deployment.model, routing);
    }
    this.list = Object.freeze([...accounts.values()].map((a) => Object.freeze({ ...a, aliases: Object.freeze([...a.aliases]) })));
    this.byId = new Map(this.list.map((a) => [a.id, a]));
    // The frozen copies, not the builders, are what callers get.
    for (const [alias, entry] of byAlias) {
      if (entry.kind === 'account') byAlias.set(alias, { kind: 'account', account: this.byId.get(entry.account.id) as Account });
    }
    this.byAlias = byAlias;
    this.aliases = Object.freeze([...byAlias.keys()]);
    this.aliasesByModel = aliasesByModel;
  }

  get(id: string): Account | undefined {
    return this.byId.get(id);
  }

  forAlias(alias: string): AliasAccount {
    return this.byAlias.get(alias) ?? { kind: 'unknown' };
  }

  /** Aliases with a Groq deployment of upstream model `model`, in config order. */
  aliasesOf(model: string): readonly string[] {
    return this.aliasesByModel.get(model) ?? [];
  }
}

/** Deterministic and one-way: names an account in responses and logs without revealing its key. */
export function accountId(apiKey: string, baseURL: string | undefined): string {
  return `acct_${createHash('sha256').update(`groq\n${baseURL ?? ''}\n${apiKey}`).digest('hex').slice(0, 12)}`;
}

/**
 * A gateway's accounts over config reloads: the set is rebuilt (cheaply, once) when the config's
 * deployments change; what outlives a reload is keyed by account id: which account owns a batch or file
 * id, and each account's cached upstream model list.
 */
export class AccountRegistry {
  /** Which account created or listed a batch or file id, for calls that name only the id. */
  readonly owners = new IdOwners(10_000);
  /** Which client key made a batch or file id: the tenant that alone (with the master key) may touch it. */
  readonly tenants: IdTenants;
  readonly models = new UpstreamModelCache();
  private memo: { readonly deployments: readonly DeploymentConfig[]; readonly set: AccountSet } | undefined;

  constructor(
    private readonly deployments: () => readonly DeploymentConfig[],
    private readonly fetch: FetchLike,
    sharedIds?: SharedIdStore,
  ) {
    this.tenants = new IdTenants(100_000, sharedIds === undefined ? undefined : { store: sharedIds, prefix: 'groq-router:ids:v1:' });
  }

  current(): AccountSet {
    const deployments = this.deployments();
    if (this.memo?.deployments !== deployments) this.memo = { deployments, set: new AccountSet(deployments, this.fetch) };
    return this.memo.set;
  }
}
