import { formatIssue } from '../config/errors.js';
import { readFields, type FieldValues, type KeyTable, type ReadFieldsOptions } from '../config/fields.js';
import type { Issues, RawIssue } from '../config/issues.js';
import { describe, INVALID, nonNegativeNumber, nullable, type Kind } from '../config/kinds.js';
import type { Position } from '../config/positions.js';
import { isRecord } from '../is-record.js';

/**
 * The catalogue's own value kinds and its error, on the config's kit (config/kinds.ts, config/fields.ts):
 * its fields are read by key tables, their problems collected as issues with their key paths. The
 * catalogue is stricter in what it does with them: every field is required, an unknown one is an error,
 * and the first issue stops the load, naming the file, line, model and field path, because the person
 * fixing it is editing YAML by hand and needs to find the line.
 */

export class CatalogError extends Error {
  readonly line?: number;
  readonly column?: number;

  constructor(
    readonly source: string,
    /** Model id, or `undefined` for problems outside any model entry. */
    readonly model: string | undefined,
    /** Dotted field path inside the model entry, e.g. `limits.free.rpm`. */
    readonly field: string | undefined,
    detail: string,
    options?: ErrorOptions & { readonly at?: { readonly line?: number; readonly column?: number } },
  ) {
    const where = [
      model === undefined ? undefined : `model "${model}"`,
      field === undefined ? undefined : `field "${field}"`,
    ].filter((part) => part !== undefined);
    super(`Groq model catalogue ${formatIssue(source, { message: [...where, detail].join(': '), ...options?.at })}`, options);
    this.name = 'CatalogError';
    if (options?.at?.line !== undefined) this.line = options.at.line;
    if (options?.at?.column !== undefined) this.column = options.at.column;
  }
}

/** The key under which the file lists its models; an issue's path below it starts with the model id. */
export const MODELS_KEY = 'models';

/** The error for an issue collected while reading the file, at `at` when its key path was found there. */
export function catalogError(source: string, issue: RawIssue, at: Position | undefined): CatalogError {
  const [top, model, ...field] = issue.path.map(String);
  const options = at === undefined ? {} : { at };
  if (top === MODELS_KEY && model !== undefined) {
    return new CatalogError(source, model, field.length > 0 ? field.join('.') : undefined, issue.message, options);
  }
  return new CatalogError(source, undefined, top, issue.message, options);
}

/**
 * Missing keys are errors (not defaults) so that "undocumented" is always an explicit `null` in the
 * file; unknown keys are errors so that a misspelt field cannot silently fall back to nothing.
 */
export function strictFields(keys: readonly string[], issues: Issues, required = true): ReadFieldsOptions {
  return {
    ...(required ? { required: keys, missing: 'is missing (every field is required; use null for a figure the docs do not give)' } : {}),
    onUnknown: (_key, path) => issues.error(path, `is not a known field (expected one of: ${keys.join(', ')})`),
  };
}

/** A nested mapping read by its own table; its keys are read, or reported, as the options say. */
export function mapping<T extends KeyTable>(
  table: T,
  options: (issues: Issues) => ReadFieldsOptions,
): Kind<FieldValues<T>> {
  return {
    expected: 'a mapping',
    read(value, site) {
      if (!isRecord(value)) {
        site.issues.error(site.path, `must be a mapping (got ${describe(value)})`);
        return INVALID;
      }
      return Object.freeze(readFields(value, site.path, table, site.issues, options(site.issues)));
    },
  };
}

/**
 * Prices above this are almost certainly a per-million (or per-hour) figure pasted without conversion:
 * $0.001 per token is $1000 per 1M tokens, and $0.001 per second is $3.60 per hour of audio.
 */
const MAX_PLAUSIBLE_UNIT_PRICE = 0.001;
const price = nullable(nonNegativeNumber);

/** USD per unit (token, character or second), or null; zero is allowed for free models. */
export const unitPriceOrNull: Kind<number | null> = {
  expected: price.expected,
  read(value, site) {
    const result = price.read(value, site);
    if (result === INVALID || result === null || result <= MAX_PLAUSIBLE_UNIT_PRICE) return result;
    site.issues.error(site.path, `${result} USD per unit is implausibly high; convert per-1M / per-hour prices (e.g. $0.59/1M = 5.9e-7)`);
    return INVALID;
  },
};

/** A non-empty list of distinct non-empty strings, or null. */
export const stringListOrNull: Kind<readonly string[] | null> = {
  expected: 'a non-empty list of names, or null',
  read(value, site) {
    if (value === null) return null;
    if (!Array.isArray(value) || value.length === 0 || value.some((item) => typeof item !== 'string' || item.trim() === '')) {
      site.issues.error(site.path, `must be a non-empty list of names, or null (got ${describe(value)})`);
      return INVALID;
    }
    if (new Set(value).size !== value.length) {
      site.issues.error(site.path, 'lists a name twice');
      return INVALID;
    }
    return Object.freeze([...(value as string[])]);
  },
};
