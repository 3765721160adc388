import type { Context } from 'hono';
import { badRequest } from '../../errors.js';
import type { GatewayState } from '../../gateway.js';
import { mayUse, requireOperator, type Principal } from '../../middleware/api-key.js';
import type { AccountRegistry } from '../../upstream/accounts.js';

/** An entry of `GET /models`: OpenAI's model object plus what it is, in `groq_router`. */
export interface ListedModel {
  readonly id: string;
  readonly object: 'model';
  readonly created: number;
  readonly owned_by: string;
  readonly groq_router?: AliasMark | UpstreamMark;
}

interface AliasMark {
  readonly kind: 'alias';
}

interface UpstreamMark {
  readonly kind: 'upstream';
  /** Key previews (`gsk_...9f3a`) of the accounts that see it. */
  readonly accounts: string[];
  /** Configured aliases with a Groq deployment of this model. */
  readonly aliases: readonly string[];
}

export interface UpstreamError {
  /** The account's key preview. */
  readonly account: string;
  readonly account_id: string;
  readonly message: string;
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/**
 * Whether this listing includes upstream models. `?include_upstream=true` asks for them and needs the
 * operator (403 for a client key); `?include_upstream=false` leaves them out; otherwise
 * `check_provider_endpoint` decides, and client keys get the aliases only.
 */
export function wantsUpstream(c: Context, state: GatewayState, principal: Principal | undefined): boolean {
  const asked = c.req.query('include_upstream')?.toLowerCase();
  if (asked === undefined || asked === '') return state.config.router.checkProviderEndpoint && principal?.kind !== 'client';
  if (FALSE.has(asked)) return false;
  if (!TRUE.has(asked)) throw badRequest('include_upstream must be true or false', 'invalid_parameter', 'include_upstream');
  requireOperator(principal);
  return true;
}

/**
 * The aliases the caller may use, marked as such, followed by the models each Groq account sees (its
 * `models.list()`, cached), merged by id and marked with the accounts that see them and the aliases
 * routing to them. An account that fails or does not answer in time is listed in `upstream_errors`
 * (with its last good list still served) and never fails the listing.
 */
export async function aggregateListing(
  state: GatewayState,
  registry: AccountRegistry,
  principal: Principal | undefined,
  aliasCreated: number,
): Promise<{ object: 'list'; data: ListedModel[]; upstream_errors?: UpstreamError[] }> {
  const aliases = [...state.table.groups.keys()].filter((id) => mayUse(principal, id));
  const data: ListedModel[] = aliases.map((id) => ({ id, object: 'model', created: aliasCreated, owned_by: 'groq-router', groq_router: { kind: 'alias' } }));
  const taken = new Set(aliases);
  const set = registry.current();
  const { upstreamModelsCacheTtlSec, upstreamModelsTimeoutSec } = state.config.router;
  const results = await registry.models.collect(set.list, { ttlMs: upstreamModelsCacheTtlSec * 1000, timeoutMs: upstreamModelsTimeoutSec * 1000 });

  const upstream = new Map<string, ListedModel & { groq_router: UpstreamMark }>();
  const errors: UpstreamError[] = [];
  for (const { account, models, error } of results) {
    if (error !== undefined) errors.push({ account: account.keyPreview, account_id: account.id, message: error });
    for (const model of models ?? []) {
      // An alias spelled like an upstream id keeps its place; the alias is what callers send.
      if (taken.has(model.id)) continue;
      const seen = upstream.get(model.id);
      if (seen !== undefined) {
        if (!seen.groq_router.accounts.includes(account.keyPreview)) seen.groq_router.accounts.push(account.keyPreview);
        continue;
      }
      upstream.set(model.id, {
        id: model.id,
        object: 'model',
        created: model.created,
        owned_by: model.ownedBy,
        groq_router: { kind: 'upstream', accounts: [account.keyPreview], aliases: set.aliasesOf(model.id).filter((alias) => mayUse(principal, alias)) },
      });
    }
  }
  data.push(...upstream.values());
  return errors.length > 0 ? { object: 'list', data, upstream_errors: errors } : { object: 'list', data };
}
