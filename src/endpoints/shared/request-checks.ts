import type { ModelMode } from '../../catalog/types.js';
import { GatewayError, badRequest } from '../../errors.js';
import { mayUseName } from './name-access.js';
import type { Deployment } from '../../routing/deployment.js';
import type { Unfit } from '../../routing/operation.js';
import type { RoutingTable } from '../../routing/table.js';
import type { IntakeContext } from './routed.js';

/** What every routed endpoint checks of a request before any upstream call. */

/** The alias named in `model`, known to the table and allowed for the caller's key. */
export function requireAlias(model: unknown, { table, principal, noteAlias }: IntakeContext): string {
  if (typeof model !== 'string' || model === '') throw badRequest('model is required', 'missing_model', 'model');
  // The list offered is of the aliases this key may use: a client key is not shown the others'.
  if (table.group(model) === undefined) throw unknownAlias(model, [...table.groups.keys()].filter((alias) => mayUseName(principal, table, alias)));
  noteAlias(model);
  if (!mayUseName(principal, table, model)) {
    throw new GatewayError(403, `This key may not use ${model}`, { type: 'permission_error', code: 'model_not_allowed', param: 'model' });
  }
  return model;
}

/** `requireAlias`, then `requireMode`: the alias named in `model`, of a kind `route` serves. */
export function requireRoutableAlias(model: unknown, intake: IntakeContext, modes: readonly ModelMode[], route: string): string {
  const alias = requireAlias(model, intake);
  requireMode(intake.table, alias, modes, route);
  return alias;
}

/**
 * Refuses, before any upstream call, a request that no deployment of the alias's own group could take
 * (an unknown voice, a file over every plan limit): the caller's mistake, said as such, not a 503.
 */
export function requireFit(table: RoutingTable, alias: string, unfit: (deployment: Deployment) => Unfit | undefined, status: 400 | 413, code: string): void {
  const group = table.group(alias);
  if (group === undefined) return;
  const unfits: Unfit[] = [];
  for (const deployment of group.deployments) {
    const found = unfit(deployment);
    if (found === undefined) return;
    unfits.push(found);
  }
  const reasons = [...new Set(unfits.map((u) => u.reason))];
  throw new GatewayError(status, `${alias} cannot take this request: ${reasons.join('; ')}`, { code, param: unfits[0]?.param ?? null });
}

const ENDPOINT_FOR_MODE: Readonly<Record<ModelMode, string>> = {
  chat: '/chat/completions or /responses',
  moderation: '/chat/completions',
  audio_transcription: '/audio/transcriptions or /audio/translations',
  audio_speech: '/audio/speech',
};

/**
 * Refuses, before any upstream call, an alias whose models are documented as something this endpoint
 * cannot use (a whisper alias sent to chat). Deployments the catalogue does not know are given the benefit
 * of the doubt.
 */
export function requireMode(table: RoutingTable, alias: string, modes: readonly ModelMode[], route: string): void {
  const group = table.group(alias);
  if (group === undefined) return;
  // A loop, not arrays of the modes: this runs for every request.
  let mode: ModelMode | undefined;
  for (const deployment of group.deployments) {
    const known = deployment.catalog?.mode;
    if (known === undefined || modes.includes(known)) return;
    mode ??= known;
  }
  if (mode === undefined) return;
  throw badRequest(`${alias} is a ${mode.replace('_', ' ')} model and cannot serve ${route}; use ${ENDPOINT_FOR_MODE[mode]}`, 'wrong_model_type', 'model');
}

/** The 404 for a model alias the config does not have, with the likely one when only the prefix is missing. */
export function unknownAlias(model: string, available: readonly string[]): GatewayError {
  const hint = available.includes(`groq/${model}`) ? ` Did you mean groq/${model}?` : '';
  return new GatewayError(404, `Unknown model ${JSON.stringify(model)}.${hint} Available: ${available.join(', ')}`, {
    code: 'model_not_found',
    param: 'model',
  });
}
