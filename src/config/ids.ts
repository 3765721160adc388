import { createHash } from 'node:crypto';
import type { Issues } from './issues.js';
import { formatPath, type Path } from './path.js';

export interface IdInput {
  readonly index: number;
  readonly modelName: string;
  /** Non-secret `litellm_params`: an id appears in response headers, so it must not derive from a key. */
  readonly publicParams: Readonly<Record<string, unknown>>;
  /** `model_info.id` when written, with where it was written. */
  readonly explicit?: { readonly id: string; readonly path: Path };
}

/** JSON with object keys sorted at every level, so key order in the YAML does not change the hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function hashId(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

/**
 * Ids for every deployment, in input order.
 *
 * A derived id is the hash of `{model_name, litellm_params}` (secrets removed), so it survives restarts,
 * reordering and key rotation. Two entries with identical non-secret params (typically the same model
 * twice with different keys) would collide: the first keeps the plain hash and each later one hashes
 * `{model_name, litellm_params, index}` instead. Explicit `model_info.id`s are reserved first so a
 * derived id never takes one; duplicate explicit ids are an error.
 */
export function assignIds(inputs: readonly IdInput[], issues: Issues): string[] {
  const taken = new Map<string, Path>();
  for (const input of inputs) {
    if (!input.explicit) continue;
    const { id, path } = input.explicit;
    const first = taken.get(id);
    if (first) {
      issues.error(path, `duplicate id ${JSON.stringify(id)}, already used by ${formatPath(first)}`, 'a unique id');
    } else {
      taken.set(id, path);
    }
  }
  return inputs.map((input) => {
    if (input.explicit) return input.explicit.id;
    const base = { model_name: input.modelName, litellm_params: input.publicParams };
    let id = hashId(base);
    if (taken.has(id)) id = hashId({ ...base, index: input.index });
    taken.set(id, ['model_list', input.index]);
    return id;
  });
}
