import { isPlainObject, UnsetEnv } from './env.js';
import type { Path } from './path.js';

/**
 * Key names that hold credentials (`api_key`, `aws_secret_access_key`, `redis_password`, ...).
 * Deliberately does not match `*_token`: `input_cost_per_token` and `max_tokens` are public.
 */
const SECRET_KEY = /(?:^|_)(?:apikey|key|secret|password|passwd|credentials?)$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export interface PublicCopyHooks {
  /** Called for each secret-looking key that is left out. */
  readonly onSecret?: (path: Path) => void;
  /** Replacement for an unset `os.environ/` reference; `undefined` drops the entry. */
  readonly onUnset: (unset: UnsetEnv, path: Path) => unknown;
}

/** A copy of a YAML value tree that is safe to show to clients: no secret-looking keys. */
export function publicCopy(value: unknown, path: Path, hooks: PublicCopyHooks): unknown {
  if (value instanceof UnsetEnv) return hooks.onUnset(value, path);
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => {
      const copy = publicCopy(item, [...path, i], hooks);
      return copy === undefined ? [] : [copy];
    });
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (isSecretKey(key)) {
        hooks.onSecret?.([...path, key]);
        continue;
      }
      const copy = publicCopy(item, [...path, key], hooks);
      if (copy !== undefined) out[key] = copy;
    }
    return out;
  }
  return value;
}

/** `https://user:pass@host/v1` → `https://***@host/v1`: credentials in a base URL are still credentials. */
export function redactUrlCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
  } catch {
    return url;
  }
}
