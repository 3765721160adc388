import { boolean, describe, INVALID, nonNegativeNumber, nullable, oneOf, positiveInt, type SimpleKind } from '../config/kinds.js';
import { isRecord } from '../is-record.js';

/**
 * Typed readers for untrusted catalogue data, on the config's value kinds (config/kinds.ts), so both
 * YAML files are checked by one kit. The catalogue is stricter in what it does with a failure: the first
 * one stops the load, naming the file, the model and the field path, because the person fixing it is
 * editing YAML by hand and needs to find the line; and every field is required.
 */

export class CatalogError extends Error {
  constructor(
    readonly source: string,
    /** Model id, or `undefined` for problems outside any model entry. */
    readonly model: string | undefined,
    /** Dotted field path inside the model entry, e.g. `limits.free.rpm`. */
    readonly field: string | undefined,
    detail: string,
    options?: ErrorOptions,
  ) {
    const where = [
      model === undefined ? undefined : `model "${model}"`,
      field === undefined ? undefined : `field "${field}"`,
    ].filter((part) => part !== undefined);
    super(`Groq model catalogue ${source}: ${[...where, detail].join(': ')}`, options);
    this.name = 'CatalogError';
  }
}

export type RawRecord = Readonly<Record<string, unknown>>;


/**
 * Prices above this are almost certainly a per-million (or per-hour) figure pasted without conversion:
 * $0.001 per token is $1000 per 1M tokens, and $0.001 per second is $3.60 per hour of audio.
 */
const MAX_PLAUSIBLE_UNIT_PRICE = 0.001;

/** Reads fields of one mapping, remembering where it sits so errors can say so. */
export class FieldReader {
  constructor(
    private readonly raw: RawRecord,
    private readonly source: string,
    private readonly model: string,
    /** Path prefix of this mapping inside the model entry (`''` for the entry itself). */
    private readonly prefix = '',
  ) {}

  fail(key: string, detail: string): never {
    throw new CatalogError(this.source, this.model, this.prefix + key, detail);
  }

  /**
   * Missing keys are errors (not defaults) so that "undocumented" is always an explicit `null` in the
   * file; unknown keys are errors so that a misspelt field cannot silently fall back to nothing.
   */
  expectExactKeys(allowed: readonly string[]): void {
    for (const key of allowed) {
      if (!(key in this.raw)) this.fail(key, 'is missing (every field is required; use null for a figure the docs do not give)');
    }
    this.expectOnlyKeys(allowed);
  }

  expectOnlyKeys(allowed: readonly string[]): void {
    for (const key of Object.keys(this.raw)) {
      if (!allowed.includes(key)) this.fail(key, `is not a known field (expected one of: ${allowed.join(', ')})`);
    }
  }

  nested(key: string): FieldReader {
    const value = this.raw[key];
    if (!isRecord(value)) this.fail(key, `must be a mapping (got ${describe(value)})`);
    return new FieldReader(value, this.source, this.model, `${this.prefix}${key}.`);
  }

  keys(): string[] {
    return Object.keys(this.raw);
  }

  /** The field read as `kind`; its first failure stops the load. */
  read<T>(key: string, kind: SimpleKind<T>): T {
    const value = this.raw[key];
    const result = kind.accept(value);
    if (result === INVALID) this.fail(key, `must be ${kind.expected} (got ${describe(value)})`);
    return result;
  }

  oneOf<const T extends string>(key: string, allowed: readonly T[]): T {
    return this.read(key, oneOf(allowed));
  }

  boolean(key: string): boolean {
    return this.read(key, boolean);
  }

  /** Token counts, byte sizes and rate limits: Groq never documents a zero or fractional one. */
  positiveIntegerOrNull(key: string): number | null {
    return this.read(key, nullable(positiveInt));
  }

  positiveInteger(key: string): number {
    return this.read(key, positiveInt);
  }

  /** A non-empty list of distinct non-empty strings, or null. */
  stringListOrNull(key: string): readonly string[] | null {
    const value = this.raw[key];
    if (value === null) return null;
    if (!Array.isArray(value) || value.length === 0 || value.some((item) => typeof item !== 'string' || item.trim() === '')) {
      this.fail(key, `must be a non-empty list of names, or null (got ${describe(value)})`);
    }
    if (new Set(value).size !== value.length) this.fail(key, 'lists a name twice');
    return Object.freeze([...(value as string[])]);
  }

  /** USD per unit (token, character or second); zero is allowed for free models. */
  unitPriceOrNull(key: string): number | null {
    const value = this.read(key, nullable(nonNegativeNumber));
    if (value === null) return null;
    if (value > MAX_PLAUSIBLE_UNIT_PRICE) {
      this.fail(key, `${value} USD per unit is implausibly high; convert per-1M / per-hour prices (e.g. $0.59/1M = 5.9e-7)`);
    }
    return value;
  }
}
