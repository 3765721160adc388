/** Turns the text of `config/groq-models.yaml` into a validated, deeply frozen {@link Catalog}. */

import { parseDocument } from 'yaml';
import type { GroqPlan } from '../config/types.js';
import { isRecord } from '../is-record.js';
import { CatalogError, FieldReader } from './fields.js';
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

const MODEL_FIELDS = [
  'status',
  'mode',
  'context_window',
  'max_completion_tokens',
  'input_cost_per_token',
  'output_cost_per_token',
  'input_cost_per_second',
  'supports_vision',
  'supports_function_calling',
  'supports_reasoning',
  'max_file_bytes',
  'max_input_chars',
  'voices',
  'limits',
] as const;

/** Top-level keys with this prefix only hold YAML anchors (as in docker-compose's `x-` extension fields). */
const EXTENSION_PREFIX = 'x-';

export function parseCatalog(text: string, source: string): Catalog {
  const root = parseYaml(text, source);
  if (!isRecord(root)) throw new CatalogError(source, undefined, undefined, 'the file must be a mapping with a `models` key');
  for (const key of Object.keys(root)) {
    if (key !== 'models' && !key.startsWith(EXTENSION_PREFIX)) {
      throw new CatalogError(source, undefined, undefined, `unknown top-level key "${key}" (expected models, or x-* for anchors)`);
    }
  }
  const models = root['models'];
  if (!isRecord(models)) throw new CatalogError(source, undefined, 'models', 'must be a mapping of model id to model entry');

  const entries = Object.entries(models).map(([id, raw]) => [id, parseModel(id, raw, source)] as const);
  const map = new FrozenMap(entries);
  return Object.freeze({ models: map, get: (id: string) => map.get(id) });
}

function parseYaml(text: string, source: string): unknown {
  // parseDocument rather than parse: the catalogue is hand-edited data, so warnings (e.g. an unknown tag)
  // are treated as errors instead of being printed and ignored.
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) {
    throw new CatalogError(source, undefined, undefined, `invalid YAML: ${problem.message}`, { cause: problem });
  }
  return doc.toJS();
}

function parseModel(id: string, raw: unknown, source: string): CatalogModel {
  if (id.trim() === '' || id !== id.trim()) throw new CatalogError(source, id, undefined, 'model id must be non-empty with no surrounding spaces');
  if (!isRecord(raw)) throw new CatalogError(source, id, undefined, 'entry must be a mapping of fields');
  const entry = new FieldReader(raw, source, id);
  entry.expectExactKeys(MODEL_FIELDS);

  return Object.freeze({
    id,
    status: entry.oneOf('status', STATUSES),
    mode: entry.oneOf('mode', MODES),
    contextWindow: entry.positiveIntegerOrNull('context_window'),
    maxCompletionTokens: entry.positiveIntegerOrNull('max_completion_tokens'),
    inputCostPerToken: entry.unitPriceOrNull('input_cost_per_token'),
    outputCostPerToken: entry.unitPriceOrNull('output_cost_per_token'),
    inputCostPerSecond: entry.unitPriceOrNull('input_cost_per_second'),
    supportsVision: entry.boolean('supports_vision'),
    supportsFunctionCalling: entry.boolean('supports_function_calling'),
    supportsReasoning: entry.boolean('supports_reasoning'),
    maxFileBytes: parseMaxFileBytes(entry.nested('max_file_bytes')),
    maxInputChars: entry.positiveIntegerOrNull('max_input_chars'),
    voices: entry.stringListOrNull('voices'),
    limits: parseLimitsByPlan(entry.nested('limits')),
  });
}

/** Only plans with a documented upload limit appear; `{}` for models that take no file. */
function parseMaxFileBytes(reader: FieldReader): CatalogModel['maxFileBytes'] {
  reader.expectOnlyKeys(PLANS);
  const result: Partial<Record<GroqPlan, number>> = {};
  for (const plan of PLANS) {
    if (reader.keys().includes(plan)) result[plan] = reader.positiveInteger(plan);
  }
  return Object.freeze(result);
}

function parseLimitsByPlan(reader: FieldReader): CatalogModel['limits'] {
  reader.expectExactKeys(PLANS);
  const byPlan = Object.fromEntries(PLANS.map((plan) => [plan, parseLimits(reader.nested(plan))]));
  return Object.freeze(byPlan as Record<GroqPlan, DocumentedLimits>);
}

function parseLimits(reader: FieldReader): DocumentedLimits {
  reader.expectExactKeys(LIMIT_KEYS);
  const limits = Object.fromEntries(LIMIT_KEYS.map((key) => [key, reader.positiveIntegerOrNull(key)]));
  return Object.freeze(limits as Record<keyof DocumentedLimits, number | null>);
}
