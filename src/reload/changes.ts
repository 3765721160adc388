import type { GeneralSettings } from '../config/types.js';
import type { GatewayState } from '../gateway.js';
import { WINDOW_NAMES } from '../quota/types.js';
import type { Deployment } from '../routing/deployment.js';

/**
 * What a reload changed, in words an operator checks against the edit they made: aliases added or
 * removed, chains reordered, deployments added or removed, limits changed.
 */
export function describeChanges(before: GatewayState, after: GatewayState): string[] {
  const changes: string[] = [];
  const oldAliases = new Set(before.table.groups.keys());
  const newAliases = new Set(after.table.groups.keys());
  const added = [...newAliases].filter((a) => !oldAliases.has(a));
  const removed = [...oldAliases].filter((a) => !newAliases.has(a));
  if (added.length > 0) changes.push(`aliases added: ${added.join(', ')}`);
  if (removed.length > 0) changes.push(`aliases removed: ${removed.join(', ')}`);

  for (const alias of newAliases) {
    if (!oldAliases.has(alias)) continue;
    const was = chainOf(before, alias);
    const now = chainOf(after, alias);
    if (was !== now) changes.push(`chain of ${alias}: ${was} -> ${now}`);
  }

  const oldDeployments = new Map(before.table.deployments.map((d) => [d.id, d]));
  const newDeployments = new Map(after.table.deployments.map((d) => [d.id, d]));
  const addedIds = [...newDeployments.keys()].filter((id) => !oldDeployments.has(id));
  const removedIds = [...oldDeployments.keys()].filter((id) => !newDeployments.has(id));
  if (addedIds.length > 0) changes.push(`deployments added: ${addedIds.map((id) => newDeployments.get(id)?.label).join(', ')}`);
  if (removedIds.length > 0) changes.push(`deployments removed (draining): ${removedIds.map((id) => oldDeployments.get(id)?.label).join(', ')}`);

  for (const [id, now] of newDeployments) {
    const was = oldDeployments.get(id);
    if (was === undefined) continue;
    const limits = limitChanges(was, now);
    if (limits.length > 0) changes.push(`limits of ${now.label}: ${limits.join(', ')}`);
  }
  return changes;
}

function chainOf(state: GatewayState, alias: string): string {
  return (state.table.chainFor(alias, 0) ?? []).map((group) => group.name).join(' > ');
}

function limitChanges(was: Deployment, now: Deployment): string[] {
  const out: string[] = [];
  for (const window of WINDOW_NAMES) {
    const before = was.budget?.limits[window].limit ?? null;
    const after = now.budget?.limits[window].limit ?? null;
    if (before !== after) out.push(`${window} ${before ?? 'none'} -> ${after ?? 'none'}`);
  }
  return out;
}

/**
 * What a reload changed about who may call: the master key set, removed or changed, client keys added
 * or removed (by alias and preview), a client key's aliases changed. Never a key or its hash.
 */
export function describeKeyChanges(before: GeneralSettings, after: GeneralSettings): string[] {
  const changes: string[] = [];
  const wasMaster = before.masterKey;
  const isMaster = after.masterKey;
  if (wasMaster === undefined && isMaster !== undefined) changes.push('master key set');
  else if (wasMaster !== undefined && isMaster === undefined) changes.push('master key removed');
  else if (wasMaster !== isMaster) changes.push('master key changed');

  const shown = (key: { alias: string; preview: string }) => `${key.alias} (${key.preview})`;
  const oldKeys = new Map(before.clientKeys.map((k) => [k.keyHash, k]));
  const newKeys = new Map(after.clientKeys.map((k) => [k.keyHash, k]));
  const added = after.clientKeys.filter((k) => !oldKeys.has(k.keyHash));
  const removed = before.clientKeys.filter((k) => !newKeys.has(k.keyHash));
  if (added.length > 0) changes.push(`client keys added: ${added.map(shown).join(', ')}`);
  if (removed.length > 0) changes.push(`client keys removed: ${removed.map(shown).join(', ')}`);
  for (const now of after.clientKeys) {
    const was = oldKeys.get(now.keyHash);
    if (was === undefined) continue;
    const list = (models: readonly string[]) => (models.length === 0 ? 'every alias' : [...models].sort().join(', '));
    if (list(was.models) !== list(now.models)) changes.push(`aliases of client key ${shown(now)}: ${list(was.models)} -> ${list(now.models)}`);
  }
  return changes;
}
