import { isPlainObject } from '../config/env.js';
import { formatPath, type Path } from '../config/path.js';
import type { GatewayConfig } from '../config/types.js';

/**
 * `groq-router check --litellm-diff`: every key of the file with how this gateway treats it next to
 * LiteLLM, so a user migrating sees at a glance what changes.
 */
export type Treatment = 'honoured' | 'honoured differently' | 'ignored';

export interface DiffRow {
  /** Key path as warnings write it, e.g. `model_list[0].litellm_params.rpm`. */
  readonly path: string;
  readonly treatment: Treatment;
  /** How it differs, or why it is ignored; empty when honoured as in LiteLLM. */
  readonly note: string;
}

/** Sections whose values are maps of named settings, listed one level further down. */
const NESTED_MAPS = new Set(['retry_policy', 'allowed_fails_policy']);

/**
 * Keys this gateway reads but treats otherwise than LiteLLM does, by their path with list indexes
 * written `[]` and the section written `*` where both `litellm_settings` and `router_settings` apply.
 */
const DIFFERENCES: Readonly<Record<string, string>> = {
  'model_list[].rpm': 'a hard budget enforced before each call (LiteLLM only uses it to pick a deployment); the tightest of rpm at the top, in litellm_params and in model_info wins',
  'model_list[].tpm': 'a hard budget enforced before each call (LiteLLM only uses it to pick a deployment); the tightest of tpm at the top, in litellm_params and in model_info wins',
  'model_list[].litellm_params.rpm': 'a hard budget enforced before each call, not just a routing hint',
  'model_list[].litellm_params.tpm': 'a hard budget enforced before each call, not just a routing hint',
  'model_list[].model_info.rpm': 'a hard budget enforced before each call, not just a routing hint',
  'model_list[].model_info.tpm': 'a hard budget enforced before each call, not just a routing hint',
  'model_list[].litellm_params.rpd': 'ours (Groq limits per day); enforced as a budget',
  'model_list[].litellm_params.tpd': 'ours (Groq limits per day); enforced as a budget',
  '*.timeout': 'one deadline for the whole request, across retries and fallbacks',
  '*.request_timeout': 'one deadline for the whole request, across retries and fallbacks',
  '*.num_retries': 'counts whole passes over the chain; rate limits are not retried unless retry_policy.RateLimitErrorRetries says so (the caller gets retry-after instead)',
  '*.enable_pre_call_checks': 'context-window and budget checks always run before a call; the value changes nothing',
  '*.routing_strategy': 'every strategy also skips deployments without budget headroom',
  '*.redis_host': 'Redis shares budgets and breaker state between gateways (no response cache)',
  '*.redis_port': 'Redis shares budgets and breaker state between gateways (no response cache)',
  '*.redis_url': 'Redis shares budgets and breaker state between gateways (no response cache)',
  '*.redis_password': 'an unset os.environ/ variable means no password, with a warning',
  '*.redis_username': 'an unset os.environ/ variable means no user, with a warning',
  'litellm_settings.callbacks': 'Prometheus metrics are built in and always on; other loggers do not exist here',
  'litellm_settings.success_callback': 'Prometheus metrics are built in and always on; other loggers do not exist here',
  'litellm_settings.failure_callback': 'Prometheus metrics are built in and always on; other loggers do not exist here',
};

const WILDCARD_NOTE =
  "the catalogue's models are listed under it (GET /models) and budgeted from the catalogue; other names it matches get a group on first use with only the entry's rpm/tpm";

/** Warnings that mean the key changes nothing; other warnings say how it is taken instead. */
const IGNORED = /not supported, ignored|has no effect|is not supported|excluded|dropped from fallbacks|unknown name, ignored|accepted but has no effect/;

/** `raw` is the file's YAML value before `os.environ/` resolution. */
export function litellmDiff(raw: unknown, config: GatewayConfig): DiffRow[] {
  const warnings = new Map<string, string[]>();
  for (const w of config.warnings) warnings.set(w.path, [...(warnings.get(w.path) ?? []), w.message]);
  const rows: DiffRow[] = [];
  const seen = new Set<string>();
  const add = (path: Path, value?: unknown) => {
    const text = formatPath(path);
    seen.add(text);
    const row = classify(text, warnings.get(text));
    const wildcard = path.at(-1) === 'model' && typeof value === 'string' && value.includes('*');
    rows.push(wildcard && row.treatment === 'honoured' ? { path: text, treatment: 'honoured differently', note: WILDCARD_NOTE } : row);
  };
  if (isPlainObject(raw)) {
    for (const [key, value] of Object.entries(raw)) {
      add([key]);
      if (key === 'model_list' && Array.isArray(value)) {
        value.forEach((entry, i) => {
          if (!isPlainObject(entry)) return;
          for (const [field, inner] of Object.entries(entry)) {
            add([key, i, field]);
            if (isPlainObject(inner)) for (const [param, v] of Object.entries(inner)) add([key, i, field, param], v);
          }
        });
      } else if (isPlainObject(value) && key !== 'environment_variables') {
        for (const [field, inner] of Object.entries(value)) {
          add([key, field]);
          if (NESTED_MAPS.has(field) && isPlainObject(inner)) for (const name of Object.keys(inner)) add([key, field, name]);
        }
      }
    }
  }
  // Warnings below the keys listed (a callback in a list, a fallback target) get rows of their own.
  for (const [path, messages] of warnings) if (path !== '' && !seen.has(path)) rows.push(classify(path, messages));
  return rows;
}

function classify(path: string, messages: readonly string[] | undefined): DiffRow {
  if (messages !== undefined && messages.length > 0) {
    const note = messages.map((m) => m.replace(`${path}: `, '')).join('; ');
    return { path, treatment: messages.some((m) => IGNORED.test(m)) ? 'ignored' : 'honoured differently', note };
  }
  const general = path.replace(/\[\d+\]/g, '[]');
  const note = DIFFERENCES[general] ?? DIFFERENCES[general.replace(/^(litellm|router)_settings\./, '*.')];
  return note === undefined ? { path, treatment: 'honoured', note: '' } : { path, treatment: 'honoured differently', note };
}
