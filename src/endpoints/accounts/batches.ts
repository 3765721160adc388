import type { BatchCreateParams } from 'groq-sdk/resources/batches';
import { Hono, type Context } from 'hono';
import type { Gateway } from '../../gateway.js';
import { readJsonObject } from '../../http/json-body.js';
import type { Account } from '../../upstream/accounts.js';
import type { IdOwners, IdTenants } from '../../upstream/id-owners.js';
import {
  accountForId,
  callerSignal,
  chooseAccount,
  itemsOf,
  namedAlias,
  ownItems,
  passThrough,
  requireOwn,
  tenantOf,
  type NodeBindings,
} from './choose-account.js';

/**
 * Groq's Batch API, passed through to one account (organisation) with groq-sdk: `POST /batches`,
 * `GET /batches`, `GET /batches/:id`, `POST /batches/:id/cancel`. No fallback, no retries, no budget
 * (batch work does not count against a model's rate limits); the upstream's errors come back as they were.
 */
export function batchRoutes(gateway: Pick<Gateway, 'current' | 'accounts'>): Hono<NodeBindings> {
  const routes = new Hono<NodeBindings>();
  const registry = gateway.accounts;

  const timeoutMs = () => gateway.current.config.router.timeoutMs;
  const remember = (account: Account) => (result: object) => {
    for (const batch of itemsOf(result)) rememberBatch(registry.owners, batch, account.id);
  };

  routes.post('/batches', async function createBatch(c) {
    const { config } = gateway.current;
    const body = await readJsonObject(c.env.incoming, config.general.maxRequestBodyBytes);
    // `model` only picks the account; Groq's batch object has no such field.
    const { model, ...params } = body;
    const inputFileId = typeof params.input_file_id === 'string' ? params.input_file_id : undefined;
    // A client key runs batches only from files it uploaded (whose lines were checked against its aliases).
    if (inputFileId !== undefined) await requireOwn(registry.tenants, c.var.principal, inputFileId, 'file');
    const account = chooseAccount(registry.current(), registry.owners, c.var.principal, { alias: namedAlias(c, model), ids: [inputFileId] });
    const tenant = tenantOf(c.var.principal);
    return passThrough(c, timeoutMs(), account, (options) => account.client.batches.create(params as unknown as BatchCreateParams, options), async (result) => {
      remember(account)(result);
      for (const batch of itemsOf(result)) await rememberTenant(registry.tenants, batch, tenant);
    });
  });

  routes.get('/batches', async function listBatches(c) {
    const account = chooseAccount(registry.current(), registry.owners, c.var.principal, { alias: namedAlias(c) });
    const query = forwardedQuery(c);
    return passThrough(c, timeoutMs(), account, (options) => account.client.batches.list({ ...options, query }), remember(account), (result) =>
      ownItems(registry.tenants, c.var.principal, result),
    );
  });

  // A client key reaches only the batches it created; checked before any upstream call about the id.
  const ownerOf = async (c: Context<NodeBindings>, id: string) => {
    await requireOwn(registry.tenants, c.var.principal, id, 'batch');
    return accountForId(registry.current(), registry.owners, c.var.principal, namedAlias(c), id, (account) =>
      account.client.batches.retrieve(id, { signal: callerSignal(c), timeout: timeoutMs() }),
    );
  };
  /** A batch's output and error files (which appear when it ends) belong to the batch's tenant. */
  const rememberOutputs = (account: Account) => async (result: object) => {
    remember(account)(result);
    for (const batch of itemsOf(result)) {
      const tenant = typeof batch.id === 'string' ? await registry.tenants.tenantOf(batch.id) : undefined;
      if (tenant !== undefined) await rememberTenant(registry.tenants, batch, tenant);
    }
  };

  routes.get('/batches/:id', async function retrieveBatch(c) {
    const id = c.req.param('id');
    const account = await ownerOf(c, id);
    return passThrough(c, timeoutMs(), account, (options) => account.client.batches.retrieve(id, options), rememberOutputs(account));
  });

  routes.post('/batches/:id/cancel', async function cancelBatch(c) {
    const id = c.req.param('id');
    const account = await ownerOf(c, id);
    return passThrough(c, timeoutMs(), account, (options) => account.client.batches.cancel(id, options), rememberOutputs(account));
  });

  return routes;
}

/** A batch's own id and the files it names all belong to the batch's organisation. */
function rememberBatch(owners: IdOwners, batch: Readonly<Record<string, unknown>>, accountId: string): void {
  for (const id of [batch.id, batch.input_file_id, batch.output_file_id, batch.error_file_id]) {
    if (typeof id === 'string') owners.remember(id, accountId);
  }
}

/** A batch's own id and its files belong to the tenant that created the batch. */
async function rememberTenant(tenants: IdTenants, batch: Readonly<Record<string, unknown>>, tenant: string): Promise<void> {
  for (const id of [batch.id, batch.output_file_id, batch.error_file_id]) {
    if (typeof id === 'string') await tenants.remember(id, tenant);
  }
}

/** The caller's query (pagination such as `limit`, `after`) minus the gateway's own `model`. */
export function forwardedQuery(c: Context): Record<string, string> {
  const { model: _model, ...rest } = c.req.query();
  return rest;
}
