import { clientKeyList } from './client-keys.js';
import { corsOrigins } from './cors.js';
import type { EnvLookup } from './env.js';
import type { AliasSets } from './fallbacks.js';
import { readFields, type KeyTable } from './fields.js';
import type { Issues } from './issues.js';
import { boolean, INVALID, nonNegativeNumber, positiveNumber, readValue, secretText } from './kinds.js';
import type { GeneralSettings } from './types.js';

const GENERAL_KEYS = {
  master_key: secretText,
  max_request_size_mb: positiveNumber,
  require_auth_for_metrics_endpoint: boolean,
  // On SIGTERM/SIGINT: how long requests in flight may finish before streams are ended and the process exits.
  graceful_shutdown_seconds: nonNegativeNumber,
} satisfies KeyTable;

const MASTER_KEY_VARIABLE = 'LITELLM_MASTER_KEY';
const DEFAULT_MAX_REQUEST_MB = 10;
const DEFAULT_GRACEFUL_SHUTDOWN_SECONDS = 30;

export function readGeneralSettings(
  generalSection: Readonly<Record<string, unknown>>,
  litellmSection: Readonly<Record<string, unknown>>,
  issues: Issues,
  lookup: EnvLookup,
  sets: AliasSets,
): GeneralSettings {
  // Client keys may only name aliases that exist, so their kind is built per load.
  const table = { ...GENERAL_KEYS, client_keys: clientKeyList(sets), cors_allow_origins: corsOrigins } satisfies KeyTable;
  const general = readFields(generalSection, ['general_settings'], table, issues);

  // Only an absent key falls back to the environment. A key that is written but invalid or unset has
  // already failed the load; falling back there could start the gateway with a key nobody intended.
  const masterKey = Object.hasOwn(generalSection, 'master_key')
    ? general.master_key
    : lookup(MASTER_KEY_VARIABLE);

  // LiteLLM reads this flag from litellm_settings; either place turning auth on wins, because the
  // unsafe reading of a contradiction is the wrong default.
  let requireAuth = general.require_auth_for_metrics_endpoint ?? false;
  if (Object.hasOwn(litellmSection, 'require_auth_for_metrics_endpoint')) {
    const fromLitellm = readValue(boolean, litellmSection['require_auth_for_metrics_endpoint'], {
      path: ['litellm_settings', 'require_auth_for_metrics_endpoint'],
      issues,
    });
    if (fromLitellm !== INVALID) requireAuth ||= fromLitellm;
  }

  const mb = general.max_request_size_mb ?? DEFAULT_MAX_REQUEST_MB;
  return {
    masterKey,
    clientKeys: general.client_keys ?? [],
    corsAllowOrigins: general.cors_allow_origins ?? [],
    maxRequestBodyBytes: Math.floor(mb * 1024 * 1024),
    requireAuthForMetrics: requireAuth,
    gracefulShutdownMs: Math.round((general.graceful_shutdown_seconds ?? DEFAULT_GRACEFUL_SHUTDOWN_SECONDS) * 1000),
  };
}
