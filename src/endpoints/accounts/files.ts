import type { FileCreateParams } from 'groq-sdk/resources/files';
import { Hono, type Context } from 'hono';
import type { Gateway } from '../../gateway.js';
import { openUploadAsFile, receiveUpload } from '../../http/multipart-upload.js';
import type { Account } from '../../upstream/accounts.js';
import {
  ACCOUNT_HEADER,
  accountForId,
  callerSignal,
  chooseAccount,
  itemsOf,
  namedAlias,
  ownItems,
  passThrough,
  requireOwn,
  tenantOf,
  upstreamError,
  type NodeBindings,
} from './choose-account.js';
import { batchModelFor, checkBatchLines } from './batch-lines.js';
import { forwardedQuery } from './batches.js';

/** Groq's limit for a batch input file (groq-sdk's `files.create` documentation). */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

/** Headers of a file's content worth passing on to the caller. */
const CONTENT_HEADERS = ['content-type', 'content-length', 'content-disposition'] as const;

/**
 * Groq's Files API (what the Batch API reads and writes), passed through to one account with groq-sdk:
 * `POST /files` (multipart: `file`, `purpose`), `GET /files`, `GET /files/:id`, `GET /files/:id/content`
 * (streamed back as it arrives), `DELETE /files/:id`. Accounts are chosen as for batches.
 *
 * Uploads: the caller's form is read as it streams in, the file part straight to a temporary file (never
 * whole in memory), then `files.create` sends it from disk as a file-backed Blob that the transport
 * streams. A true pass-through of the caller's bytes is not possible through groq-sdk: `files.create`
 * builds its own form from a File, and the account may only be known from the form's `model` field.
 */
export function fileRoutes(gateway: Pick<Gateway, 'current' | 'accounts'>): Hono<NodeBindings> {
  const routes = new Hono<NodeBindings>();
  const registry = gateway.accounts;
  const timeoutMs = () => gateway.current.config.router.timeoutMs;
  const remember = (account: Account) => (result: object) => {
    for (const file of itemsOf(result)) if (typeof file.id === 'string') registry.owners.remember(file.id, account.id);
  };

  // A client key reaches only the files it uploaded; checked before any upstream call about the id.
  const ownerOf = async (c: Context<NodeBindings>, id: string) => {
    await requireOwn(registry.tenants, c.var.principal, id, 'file');
    return accountForId(registry.current(), registry.owners, c.var.principal, namedAlias(c), id, (account) =>
      account.client.files.info(id, { signal: callerSignal(c), timeout: timeoutMs() }),
    );
  };
  const rememberTenant = (c: Context<NodeBindings>, account: Account) => async (result: object) => {
    remember(account)(result);
    for (const file of itemsOf(result)) if (typeof file.id === 'string') await registry.tenants.remember(file.id, tenantOf(c.var.principal));
  };

  routes.post('/files', async function uploadFile(c) {
    const set = registry.current();
    // An alias in the query is checked before the upload is read, so a refusal costs no upload.
    const query = c.req.query('model');
    let account = query === undefined || query === '' ? undefined : chooseAccount(set, registry.owners, c.var.principal, { alias: query });
    const upload = await receiveUpload(c.env.incoming, { maxFileBytes: MAX_UPLOAD_BYTES });
    try {
      account ??= chooseAccount(set, registry.owners, c.var.principal, { alias: namedAlias(c, firstOf(upload.fields.model)) });
      let source = upload.file;
      const principal = c.var.principal;
      if (principal?.kind === 'client') {
        // A client key's batch lines may name only its aliases (mapped to their Groq ids) or their models.
        const checked = `${upload.file.path}.checked`;
        const target = account;
        await checkBatchLines(upload.file.path, checked, (model) => batchModelFor(model, principal, target, set, gateway.current.config));
        source = { ...upload.file, path: checked };
      }
      const file = await openUploadAsFile(source);
      // Only Groq's fields go on; `model` picked the account.
      const params = { file, purpose: firstOf(upload.fields.purpose) } as FileCreateParams;
      const chosen = account;
      return await passThrough(c, timeoutMs(), chosen, (options) => chosen.client.files.create(params, options), rememberTenant(c, chosen));
    } finally {
      await upload.dispose();
    }
  });

  routes.get('/files', async function listFiles(c) {
    const account = chooseAccount(registry.current(), registry.owners, c.var.principal, { alias: namedAlias(c) });
    const query = forwardedQuery(c);
    return passThrough(c, timeoutMs(), account, (options) => account.client.files.list({ ...options, query }), remember(account), (result) =>
      ownItems(registry.tenants, c.var.principal, result),
    );
  });

  routes.get('/files/:id', async function fileInfo(c) {
    const id = c.req.param('id');
    const account = await ownerOf(c, id);
    return passThrough(c, timeoutMs(), account, (options) => account.client.files.info(id, options), remember(account));
  });

  routes.get('/files/:id/content', async function fileContent(c) {
    const id = c.req.param('id');
    const account = await ownerOf(c, id);
    let upstream: Response;
    try {
      upstream = await account.client.files.content(id, { signal: callerSignal(c), timeout: timeoutMs() });
    } catch (err) {
      throw upstreamError(err);
    }
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', [ACCOUNT_HEADER]: account.id };
    for (const name of CONTENT_HEADERS) {
      const value = upstream.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    // The upstream's bytes go to the caller as they arrive; the caller leaving aborts the upstream read.
    return new Response(upstream.body, { status: 200, headers });
  });

  routes.delete('/files/:id', async function deleteFile(c) {
    const id = c.req.param('id');
    const account = await ownerOf(c, id);
    return passThrough(c, timeoutMs(), account, (options) => account.client.files.delete(id, options), () => {
      registry.owners.forget(id);
      registry.tenants.forget(id);
    });
  });

  return routes;
}

function firstOf(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}
