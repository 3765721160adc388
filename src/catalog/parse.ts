/** Turns the text of `config/groq-models.yaml` into a validated, deeply frozen {@link Catalog}. */

import { readFields, type FieldValues, type KeyTable } from '../config/fields.js';
import { Issues } from '../config/issues.js';
import { boolean, nullable, oneOf, positiveInt } from '../config/kinds.js';
import { positionOf } from '../config/positions.js';
import type { GroqPlan } from '../config/types.js';
import { readYaml } from '../config/yaml.js';
import { isRecord } from '../is-record.js';
import { CatalogError, catalogError, mapping, MODELS_KEY, strictFields, stringListOrNull, unitPriceOrNull } from './fields.js';
import { FrozenMap } from './frozen-map.js';
import type { Catalog, CatalogModel, DocumentedLimits, ModelMode, ModelStatus } from './types.js';

// Records keyed by the union types, so adding a plan, mode or limit window to types.ts fails to compile
// here until the parser learns about it.
const PLAN_SET: Record<GroqPlan, true> = { free: true, developer: true };
const MODE_SET: Record<ModelMode, true> = {
  chat: true,
  audio_transcription: true,
  audio_speech: true,
  moderation: true,
};
const STATUS_SET: Record<ModelStatus, true> = { production: true, preview: true };
const LIMIT_SET: Record<keyof DocumentedLimits, true> = {
  rpm: true,
  rpd: true,
  tpm: true,
  tpd: true,
  ash: true,
  asd: true,
};

const PLANS = Object.keys(PLAN_SET) as GroqPlan[];
const MODES = Object.keys(MODE_SET) as ModelMode[];
const STATUSES = Object.keys(STATUS_SET) as ModelStatus[];
const LIMIT_KEYS = Object.keys(LIMIT_SET) as (keyof DocumentedLimits)[];

/** Token counts, byte sizes and rate limits: Groq never documents a zero or fractional one. */
const positiveIntOrNull = nullable(positiveInt);

function tableOf<K extends string, V>(keys: readonly K[], kind: V): Record<K, V> {
  return Object.fromEntries(keys.map((key) => [key, kind])) as Record<K, V>;
}

/** Windows for one plan: every one is required, `null` where the docs give no limit. */
const LIMITS = mapping(tableOf(LIMIT_KEYS, positiveIntOrNull), (issues) => strictFields(LIMIT_KEYS, issues));

const MODEL_TABLE = {
  status: oneOf(STATUSES),
  mode: oneOf(MODES),
  context_window: positiveIntOrNull,
  max_completion_tokens: positiveIntOrNull,
  input_cost_per_token: unitPriceOrNull,
  output_cost_per_token: unitPriceOrNull,
  input_cost_per_second: unitPriceOrNull,
  supports_vision: boolean,
  supports_function_calling: boolean,
  supports_reasoning: boolean,
  // Only plans with a documented upload limit appear; `{}` for models that take no file.
  max_file_bytes: mapping(tableOf(PLANS, positiveInt), (issues) => strictFields(PLANS, issues, false)),
  max_input_chars: positiveIntOrNull,
  voices: stringListOrNull,
  limits: mapping(tableOf(PLANS, LIMITS), (issues) => strictFields(PLANS, issues)),
} satisfies KeyTable;
const MODEL_FIELDS = Object.keys(MODEL_TABLE);

/** A model entry as read: complete when no issue was recorded, and the catalogue is not used otherwise. */
type ModelFields = Required<FieldValues<typeof MODEL_TABLE>>;

/** Top-level keys with this prefix only hold YAML anchors (as in docker-compose's `x-` extension fields). */
const EXTENSION_PREFIX = 'x-';

export function parseCatalog(text: string, source: string): Catalog {
  // The catalogue is hand-edited data, so YAML warnings (e.g. an unknown tag) are errors too.
  const yaml = readYaml(text, { merge: false, labels: { error: 'invalid YAML', warning: 'invalid YAML' } });
  const yamlProblem = yaml.ok ? yaml.warnings[0] : yaml.errors[0];
  if (!yaml.ok || yamlProblem !== undefined) {
    const cause = yaml.ok ? undefined : yaml.cause;
    throw new CatalogError(source, undefined, undefined, yamlProblem?.message ?? 'invalid YAML', {
      ...(yamlProblem === undefined ? {} : { at: yamlProblem }),
      ...(cause === undefined ? {} : { cause }),
    });
  }

  const issues = new Issues();
  const entries = readModels(yaml.value, issues);
  const first = issues.errors[0];
  if (first !== undefined) throw catalogError(source, first, positionOf(yaml.doc, yaml.lineCounter, first.path));

  const map = new FrozenMap(entries);
  return Object.freeze({ models: map, get: (id: string) => map.get(id) });
}

function readModels(root: unknown, issues: Issues): [string, CatalogModel][] {
  if (!isRecord(root)) {
    issues.error([], 'the file must be a mapping with a `models` key');
    return [];
  }
  for (const key of Object.keys(root)) {
    if (key !== MODELS_KEY && !key.startsWith(EXTENSION_PREFIX)) {
      issues.error([], `unknown top-level key "${key}" (expected models, or x-* for anchors)`);
    }
  }
  const models = root[MODELS_KEY];
  if (!isRecord(models)) {
    issues.error([MODELS_KEY], 'must be a mapping of model id to model entry');
    return [];
  }
  return Object.entries(models).map(([id, raw]) => [id, readModel(id, raw, issues)]);
}

function readModel(id: string, raw: unknown, issues: Issues): CatalogModel {
  const path = [MODELS_KEY, id];
  if (id.trim() === '' || id !== id.trim()) issues.error(path, 'model id must be non-empty with no surrounding spaces');
  if (!isRecord(raw)) issues.error(path, 'entry must be a mapping of fields');
  const entry = (isRecord(raw) ? readFields(raw, path, MODEL_TABLE, issues, strictFields(MODEL_FIELDS, issues)) : {}) as ModelFields;

  return Object.freeze({
    id,
    status: entry.status,
    mode: entry.mode,
    contextWindow: entry.context_window,
    maxCompletionTokens: entry.max_completion_tokens,
    inputCostPerToken: entry.input_cost_per_token,
    outputCostPerToken: entry.output_cost_per_token,
    inputCostPerSecond: entry.input_cost_per_second,
    supportsVision: entry.supports_vision,
    supportsFunctionCalling: entry.supports_function_calling,
    supportsReasoning: entry.supports_reasoning,
    maxFileBytes: entry.max_file_bytes,
    maxInputChars: entry.max_input_chars,
    voices: entry.voices,
    limits: entry.limits as CatalogModel['limits'],
  });
}
