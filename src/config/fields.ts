import { isPlainObject } from './env.js';
import type { Issues } from './issues.js';
import { describe, INVALID, readValue, type Kind, type KindValue } from './kinds.js';
import type { Path } from './path.js';

export type KeyTable = Readonly<Record<string, Kind<unknown>>>;

/** Keys absent from the file stay absent here, so "not set" and "set to null" remain distinct. */
export type FieldValues<T extends KeyTable> = { -readonly [K in keyof T]?: KindValue<T[K]> };

export interface ReadFieldsOptions {
  /** Keys the caller reads itself; they are neither read here nor reported as unknown. */
  readonly handled?: readonly string[];
  /** Overrides the default "not supported, ignored" warning for keys outside the table. */
  readonly onUnknown?: (key: string, path: Path) => void;
  /** Keys that must be present, handled ones included; an absent one is an error at its own path. */
  readonly required?: readonly string[];
  /** The error for an absent required key, instead of "is required". */
  readonly missing?: string;
}

/** Reads every key of `table` present in `section`; errors and unknown-key warnings go to `issues`. */
export function readFields<T extends KeyTable>(
  section: Readonly<Record<string, unknown>>,
  base: Path,
  table: T,
  issues: Issues,
  options: ReadFieldsOptions = {},
): FieldValues<T> {
  const out: Partial<Record<string, unknown>> = {};
  for (const key of options.required ?? []) {
    if (!Object.hasOwn(section, key)) issues.error([...base, key], options.missing ?? 'is required', table[key]?.expected);
  }
  for (const [key, value] of Object.entries(section)) {
    const path = [...base, key];
    if (options.handled?.includes(key)) continue;
    const kind = Object.hasOwn(table, key) ? table[key] : undefined;
    if (!kind) {
      if (options.onUnknown) options.onUnknown(key, path);
      else issues.warn(path, 'not supported, ignored');
      continue;
    }
    const result = readValue(kind, value, { path, issues });
    if (result !== INVALID) out[key] = result;
  }
  return out as FieldValues<T>;
}

/**
 * A section that must be a map. An empty or commented-out section (`litellm_settings:` with nothing
 * under it) reads as null in YAML and is treated as empty.
 */
export function readSection(
  value: unknown,
  path: Path,
  issues: Issues,
): Readonly<Record<string, unknown>> | undefined {
  if (value === undefined || value === null) return {};
  if (isPlainObject(value)) return value;
  issues.error(path, `expected a map, got ${describe(value)}`, 'a map');
  return undefined;
}
