/**
 * Value kinds: each knows what it expects, reads a raw YAML value, and reports its own errors at the
 * site it is given. Section readers are tables of these, so a key's rules live in one place.
 */
import { isPlainObject, UnsetEnv } from './env.js';
import type { Issues } from './issues.js';
import type { Path } from './path.js';

export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

export interface Site {
  readonly path: Path;
  readonly issues: Issues;
}

export interface Kind<T> {
  /** Phrase used after "expected", e.g. `a non-negative integer`. */
  readonly expected: string;
  /** Secret values are described by type only, never echoed. */
  readonly secret?: boolean;
  read(value: unknown, site: Site): T | Invalid;
}

export type KindValue<K> = K extends Kind<infer T> ? T : never;

/** Reads one value; an unset `os.environ/` reference is an error here because the value is needed. */
export function readValue<T>(kind: Kind<T>, value: unknown, site: Site): T | Invalid {
  if (value instanceof UnsetEnv) {
    site.issues.error(
      site.path,
      `environment variable ${value.name} is not set (${value.reference})`,
      `${value.name} to be set`,
    );
    return INVALID;
  }
  return kind.read(value, site);
}

export function describe(value: unknown, secret = false): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof UnsetEnv) return `${value.reference} (unset)`;
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'a map';
  if (secret) return value === '' ? '""' : `a ${typeof value}`;
  if (typeof value === 'string') {
    const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
    return JSON.stringify(shown);
  }
  return String(value);
}

/** A kind decided by a predicate alone, so wrappers such as `nullable` can reuse the predicate. */
export interface SimpleKind<T> extends Kind<T> {
  readonly accept: (value: unknown) => T | Invalid;
}

function simple<T>(expected: string, accept: (value: unknown) => T | Invalid, secret = false): SimpleKind<T> {
  return {
    expected,
    secret,
    accept,
    read(value, site) {
      const result = accept(value);
      if (result === INVALID) {
        site.issues.error(site.path, `expected ${expected}, got ${describe(value, secret)}`, expected);
      }
      return result;
    },
  };
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Numeric strings are accepted because `os.environ/` values are always strings (`rpm: os.environ/RPM`),
 * and LiteLLM's pydantic models coerce them the same way.
 */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMERIC.test(value.trim())) return Number(value.trim());
  return undefined;
}

export function integer(min: number, expected: string): SimpleKind<number> {
  return simple(expected, (value) => {
    const n = toNumber(value);
    return n !== undefined && Number.isSafeInteger(n) && n >= min ? n : INVALID;
  });
}

export function number(min: number, exclusive: boolean, expected: string): SimpleKind<number> {
  return simple(expected, (value) => {
    const n = toNumber(value);
    return n !== undefined && (exclusive ? n > min : n >= min) ? n : INVALID;
  });
}

export const nonNegativeInt = integer(0, 'a non-negative integer');
export const positiveInt = integer(1, 'a positive integer');
export const nonNegativeNumber = number(0, false, 'a non-negative number');
export const positiveNumber = number(0, true, 'a positive number');
export const port = simple('a port number (1-65535)', (value) => {
  const n = toNumber(value);
  return n !== undefined && Number.isInteger(n) && n >= 1 && n <= 65535 ? n : INVALID;
});

export const boolean = simple('true or false', (value) => {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return INVALID;
});

export const text = simple('a non-empty string', (value) =>
  typeof value === 'string' && value.trim() !== '' ? value : INVALID,
);

export const secretText = simple(
  'a non-empty string',
  (value) => (typeof value === 'string' && value.trim() !== '' ? value : INVALID),
  true,
);

function urlWith(protocols: readonly string[], expected: string, secret: boolean): SimpleKind<string> {
  return simple(
    expected,
    (value) => {
      if (typeof value !== 'string') return INVALID;
      try {
        return protocols.includes(new URL(value.trim()).protocol) ? value.trim() : INVALID;
      } catch {
        return INVALID;
      }
    },
    secret,
  );
}

export const httpUrl = urlWith(['http:', 'https:'], 'an http(s) URL', false);
/** Redis URLs usually carry the password. */
export const redisUrl = urlWith(['redis:', 'rediss:'], 'a redis:// or rediss:// URL', true);

export function nullable<T>(kind: SimpleKind<T>): SimpleKind<T | null> {
  return simple(`${kind.expected} or null`, (value) => (value === null ? null : kind.accept(value)), kind.secret);
}

export function oneOf<const T extends string>(values: readonly T[]): SimpleKind<T> {
  const expected = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return simple(expected, (value) =>
    typeof value === 'string' && (values as readonly string[]).includes(value) ? (value as T) : INVALID,
  );
}

/** A list of names; LiteLLM users often write a single name without brackets, so that is wrapped. */
export const nameList: Kind<string[]> = {
  expected: 'a list of strings',
  read(value, site) {
    if (typeof value === 'string' || value instanceof UnsetEnv) {
      const one = readValue(text, value, site);
      return one === INVALID ? INVALID : [one];
    }
    if (!Array.isArray(value)) {
      site.issues.error(site.path, `expected a list of strings, got ${describe(value)}`, 'a list of strings');
      return INVALID;
    }
    const out: string[] = [];
    let ok = true;
    value.forEach((item, i) => {
      const name = readValue(text, item, { path: [...site.path, i], issues: site.issues });
      if (name === INVALID) ok = false;
      else out.push(name);
    });
    return ok ? out : INVALID;
  },
};
