import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { GatewayError } from '../../errors.js';
import type { GatewayConfig } from '../../config/types.js';
import { checkJsonDepth } from '../../http/json-body.js';
import { mayUse, type Principal } from '../../middleware/api-key.js';
import { accountId, type Account, type AccountSet } from '../../upstream/accounts.js';
import { sdkBaseURL } from '../../upstream/client.js';
import { providers } from '../../upstream/providers.js';

/**
 * What a batch input line's `body.model` becomes for a client key on `account`: an alias it may use is
 * mapped to that alias's Groq model id on the account; a raw Groq model id is kept when one of its
 * aliases serves that model there; anything else is refused.
 */
export function batchModelFor(
  model: string,
  principal: Principal | undefined,
  account: Account,
  set: AccountSet,
  config: GatewayConfig,
): { readonly ok: true; readonly model: string } | { readonly ok: false } {
  if (account.aliases.includes(model)) {
    if (!mayUse(principal, model)) return { ok: false };
    const prefix = providers.groq.sdkPathPrefix;
    const deployment = config.deployments.find(
      (d) => d.modelName === model && d.provider === 'groq' && d.apiKey !== undefined && accountId(d.apiKey, sdkBaseURL(d.apiBase, prefix)) === account.id,
    );
    return deployment === undefined ? { ok: false } : { ok: true, model: deployment.model };
  }
  const servedBy = set.aliasesOf(model).filter((alias) => account.aliases.includes(alias));
  return servedBy.some((alias) => mayUse(principal, alias)) ? { ok: true, model } : { ok: false };
}

/**
 * Checks a batch input file (JSONL) line by line, as it streams from disk, before it goes to Groq: every
 * line's model must be one the client key may use (`resolve`), else a 403 names the first offending line
 * and model. Lines naming an alias are rewritten to its Groq model id into `outPath`; other lines pass
 * as they were. Lines that are not JSON objects pass unchanged: Groq's own validation answers for them.
 */
export async function checkBatchLines(
  inPath: string,
  outPath: string,
  resolve: (model: string) => { readonly ok: true; readonly model: string } | { readonly ok: false },
): Promise<void> {
  const out = createWriteStream(outPath, { mode: 0o600 });
  const lines = createInterface({ input: createReadStream(inPath), crlfDelay: Infinity });
  let number = 0;
  try {
    for await (const line of lines) {
      number++;
      const written = out.write(`${checkedLine(line, number, resolve)}\n`);
      if (!written) await once(out, 'drain');
    }
  } finally {
    lines.close();
    out.end();
    await once(out, 'close').catch(() => undefined);
  }
}

function checkedLine(line: string, number: number, resolve: (model: string) => { readonly ok: true; readonly model: string } | { readonly ok: false }): string {
  if (line.trim() === '') return line;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
    checkJsonDepth(parsed);
  } catch (err) {
    if (err instanceof GatewayError) throw new GatewayError(400, `Batch input line ${number}: ${err.message}`, { code: err.code, param: 'file' });
    return line;
  }
  const body = typeof parsed === 'object' && parsed !== null ? (parsed as { body?: unknown }).body : undefined;
  const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  if (model === undefined) return line;
  const resolved = typeof model === 'string' ? resolve(model) : { ok: false as const };
  if (!resolved.ok) {
    throw new GatewayError(403, `Batch input line ${number} names model ${JSON.stringify(model)}, which this key may not use`, {
      type: 'permission_error',
      code: 'model_not_allowed',
      param: 'file',
    });
  }
  if (resolved.model === model) return line;
  return JSON.stringify({ ...(parsed as Record<string, unknown>), body: { ...(body as Record<string, unknown>), model: resolved.model } });
}
