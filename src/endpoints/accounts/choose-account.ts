import type { Context } from 'hono';
import { GatewayError, badRequest, failureError } from '../../errors.js';
import { mayUse, type Principal } from '../../middleware/api-key.js';
import type { Account, AccountSet } from '../../upstream/accounts.js';
import { classifyUpstreamError } from '../../upstream/failure.js';
import type { IdOwners, IdTenants } from '../../upstream/id-owners.js';

import { unknownAlias } from '../shared/request-checks.js';
import type { NodeBindings } from '../shared/routed.js';

export type { NodeBindings } from '../shared/routed.js';

/** Says which account answered; a hash, never the key. */
export const ACCOUNT_HEADER = 'x-groq-router-account';

/**
 * The alias a caller names to pick an account, first found of: `?model=`, the body's (or multipart
 * form's) `model`, the `x-litellm-model` header.
 */
export function namedAlias(c: Context, bodyModel?: unknown): string | undefined {
  const query = c.req.query('model');
  if (query !== undefined && query !== '') return query;
  if (bodyModel !== undefined && bodyModel !== null) {
    if (typeof bodyModel !== 'string') throw badRequest('model must be a string (a model alias)', 'invalid_model', 'model');
    if (bodyModel !== '') return bodyModel;
  }
  const header = c.req.header('x-litellm-model');
  return header !== undefined && header !== '' ? header : undefined;
}

export interface AccountChoice {
  /** An alias the caller named (`namedAlias`). */
  readonly alias: string | undefined;
  /** Batch or file ids the call is about; the first one whose owner is remembered decides. */
  readonly ids?: readonly (string | undefined)[];
}

/**
 * The account an organisation-level call (batches, files) goes to. No fallback: a batch or file belongs
 * to one organisation. In order: a named alias's first configured Groq deployment; the account that
 * created or listed one of the ids; the only account when there is one; else a 400 saying how to choose.
 */
export function chooseAccount(set: AccountSet, owners: IdOwners, principal: Principal | undefined, choice: AccountChoice): Account {
  return knownAccount(set, owners, principal, choice) ?? accountRequired(set, principal);
}

/** As `chooseAccount`, but `undefined` where the caller would have to say which of several accounts it means. */
function knownAccount(set: AccountSet, owners: IdOwners, principal: Principal | undefined, choice: AccountChoice): Account | undefined {
  if (choice.alias !== undefined) return accountOfAlias(set, principal, choice.alias);
  for (const id of choice.ids ?? []) {
    const owner = id === undefined ? undefined : owners.ownerOf(id);
    const account = owner === undefined ? undefined : set.get(owner);
    if (account !== undefined) return permitted(account, principal);
  }
  const [only, ...others] = set.list;
  if (only === undefined) {
    throw new GatewayError(503, 'No Groq deployment with an API key is configured; batches and files need one', { code: 'no_groq_account' });
  }
  return others.length === 0 ? permitted(only, principal) : undefined;
}

/** The 400 that says how to name an account, with aliases of this key's as examples. */
function accountRequired(set: AccountSet, principal: Principal | undefined): never {
  const examples = set.list
    .map((account) => account.aliases.find((alias) => mayUse(principal, alias)))
    .filter((alias): alias is string => alias !== undefined)
    .slice(0, 3);
  throw badRequest(
    `This gateway reaches ${set.list.length} Groq organisations (API keys), and a batch or file belongs to one of them. ` +
      'Say which by naming a model alias: ?model=<alias> in the query, "model" in the JSON body or multipart form, or the x-litellm-model header' +
      (examples.length > 0 ? ` (e.g. ${examples.join(', ')})` : '') +
      '. Ids this gateway created or listed are remembered and need no alias.',
    'account_required',
    'model',
  );
}

/**
 * The account for a call about one batch or file id. As `chooseAccount`; and when that cannot tell (the
 * id was made on another gateway instance, or before a restart, and several keys are configured), each
 * account the caller may use is asked about the id with a read (`lookUp`: retrieve or info), at once, and
 * the one that knows it is remembered. Nothing is sent to an organisation the id does not belong to
 * except that read. Ids no organisation knows are a 404.
 */
export async function accountForId(
  set: AccountSet,
  owners: IdOwners,
  principal: Principal | undefined,
  alias: string | undefined,
  id: string,
  lookUp: (account: Account) => Promise<unknown>,
): Promise<Account> {
  const known = knownAccount(set, owners, principal, { alias, ids: [id] });
  if (known !== undefined) return known;
  const candidates = set.list.filter((account) => account.aliases.some((a) => mayUse(principal, a)));
  const answers = await Promise.allSettled(candidates.map((account) => lookUp(account).then(() => account)));
  const found = answers.find((answer): answer is PromiseFulfilledResult<Account> => answer.status === 'fulfilled');
  if (found !== undefined) {
    owners.remember(id, found.value.id);
    return found.value;
  }
  const notFound = answers.every((answer) => answer.status === 'rejected' && upstreamError(answer.reason).status === 404);
  if (notFound && candidates.length > 0) {
    throw new GatewayError(404, `No organisation this gateway reaches knows ${JSON.stringify(id)} (asked ${candidates.length})`, { code: 'not_found' });
  }
  return accountRequired(set, principal);
}

function accountOfAlias(set: AccountSet, principal: Principal | undefined, alias: string): Account {
  const found = set.forAlias(alias);
  if (found.kind === 'unknown') throw unknownAlias(alias, set.aliases.filter((a) => mayUse(principal, a)));
  if (!mayUse(principal, alias)) {
    throw new GatewayError(403, `This key may not use ${alias}`, { type: 'permission_error', code: 'model_not_allowed', param: 'model' });
  }
  if (found.kind === 'not_groq') throw badRequest(`${alias} has no Groq deployment; batches and files are Groq's`, 'not_a_groq_model', 'model');
  if (found.kind === 'unconfigured') {
    throw new GatewayError(503, `${alias} has no usable Groq deployment: ${found.reason}`, { code: 'deployment_unconfigured', param: 'model' });
  }
  return found.account;
}

/** A client key limited to some aliases reaches only accounts that one of its aliases uses. */
function permitted(account: Account, principal: Principal | undefined): Account {
  if (account.aliases.some((alias) => mayUse(principal, alias))) return account;
  throw new GatewayError(403, 'This key may not use the Groq organisation this call needs', { type: 'permission_error', code: 'account_not_allowed' });
}

/**
 * The upstream's own answer to the caller, in the OpenAI error shape: its status and message as they
 * were. Nothing is retried or tried elsewhere.
 */
export function upstreamError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return failureError(classifyUpstreamError(err), 'pass_through');
}

/** Aborts when the caller goes away before the answer is complete, so the upstream call stops too. */
export function callerSignal(c: Context<NodeBindings>): AbortSignal {
  const outgoing = c.env.outgoing;
  const controller = new AbortController();
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Options every pass-through call gets: the caller's disconnect and the router's `timeout`. */
export interface CallOptions {
  readonly signal: AbortSignal;
  readonly timeout: number;
}

/**
 * Runs one SDK call on `account` and answers with its JSON result, naming the account in a header;
 * `remember` sees the result first (to note which account owns the ids in it). Upstream errors are
 * answered as `upstreamError` says.
 */
export async function passThrough<T extends object>(
  c: Context<NodeBindings>,
  timeoutMs: number,
  account: Account,
  call: (options: CallOptions) => Promise<T>,
  remember: (result: T) => void | Promise<void> = () => undefined,
  shown: (result: T) => Promise<object> = async (result) => result,
): Promise<Response> {
  let result: T;
  try {
    result = await call({ signal: callerSignal(c), timeout: timeoutMs });
  } catch (err) {
    throw upstreamError(err);
  }
  await remember(result);
  c.header(ACCOUNT_HEADER, account.id);
  return c.json(await shown(result));
}

/**
 * The tenant a caller's batches and files belong to: a client key (by its alias, unique in a config),
 * else the operator. Client keys share the Groq organisation, which cannot tell them apart, so the
 * gateway does.
 */
export function tenantOf(principal: Principal | undefined): string {
  return principal?.kind === 'client' ? `client:${principal.alias}` : 'operator';
}

/** The master key (and an open gateway) reach every id; a client key only those it made. */
export async function isOwn(tenants: IdTenants, principal: Principal | undefined, id: string): Promise<boolean> {
  if (principal?.kind !== 'client') return true;
  return (await tenants.tenantOf(id)) === tenantOf(principal);
}

/** A 404, not a 403: another tenant's id is not this key's to know about. */
export async function requireOwn(tenants: IdTenants, principal: Principal | undefined, id: string, what: 'file' | 'batch'): Promise<void> {
  if (await isOwn(tenants, principal, id)) return;
  throw new GatewayError(404, `No ${what} ${JSON.stringify(id)} for this key`, { type: 'not_found_error', code: 'not_found' });
}

/** A list answer with only the caller's own items. */
export async function ownItems(tenants: IdTenants, principal: Principal | undefined, result: object): Promise<object> {
  if (principal?.kind !== 'client') return result;
  const data = (result as { data?: unknown }).data;
  if (!Array.isArray(data)) return result;
  const own = await Promise.all(data.map(async (item: unknown) => {
    const id = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
    return typeof id === 'string' && (await isOwn(tenants, principal, id));
  }));
  return { ...result, data: data.filter((_item, i) => own[i]) };
}

/** The items of a list answer (`{data: [...]}`), or the answer itself. */
export function itemsOf(result: object): readonly Record<string, unknown>[] {
  const data = (result as { data?: unknown }).data;
  return (Array.isArray(data) ? data : [result]).filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null);
}
