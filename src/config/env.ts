/** LiteLLM's `os.environ/NAME` references. */

export const ENV_PREFIX = 'os.environ/';

/**
 * Stands in for an `os.environ/NAME` whose variable is unset (or empty: an `export X=` is almost
 * always a mistake, and an empty key or URL is never usable). Left in the tree rather than reported
 * at once so that only values the gateway actually reads cause an error: LiteLLM configs often point
 * unsupported keys (e.g. `general_settings.database_url`) at variables this gateway never needs.
 */
export class UnsetEnv {
  constructor(readonly name: string) {
    Object.freeze(this);
  }

  get reference(): string {
    return `${ENV_PREFIX}${this.name}`;
  }
}

export type EnvLookup = (name: string) => string | undefined;

/** `environment_variables` from the file shadow the process environment; neither is modified. */
export function envLookup(
  env: NodeJS.ProcessEnv,
  fileVars: Readonly<Record<string, string>>,
): EnvLookup {
  return (name) => {
    const value = Object.hasOwn(fileVars, name) ? fileVars[name] : env[name];
    return value === undefined || value === '' ? undefined : value;
  };
}

/** Replaces every `os.environ/NAME` string in a plain YAML value tree, returning a new tree. */
export function resolveEnvRefs(value: unknown, lookup: EnvLookup): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith(ENV_PREFIX)) return value;
    const name = value.slice(ENV_PREFIX.length).trim();
    return lookup(name) ?? new UnsetEnv(name);
  }
  if (Array.isArray(value)) return value.map((item) => resolveEnvRefs(item, lookup));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = resolveEnvRefs(item, lookup);
    return out;
  }
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
