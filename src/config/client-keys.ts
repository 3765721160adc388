import { clientKeyHashProblem, hashClientKey } from './client-key-hash.js';
import { isPlainObject } from './env.js';
import { namesAt, reportUnknownAlias, type AliasSets, type NameAt } from './fallbacks.js';
import { readFields, type KeyTable } from './fields.js';
import type { Issues } from './issues.js';
import { describe, INVALID, text, type Kind } from './kinds.js';
import { formatPath, type Path } from './path.js';
import { isSecretKey } from './secrets.js';
import type { ClientKey } from './types.js';

const HASH_EXPECTED = '"sha256:" and 64 lowercase hex digits, as printed by `groq-router keys new`';
const ENTRY_EXPECTED = 'a map with alias and key_hash';
const RAW_KEY =
  'a raw client key must not be stored in the config; run `groq-router keys new --alias NAME` ' +
  'and store only the key_hash (and key_preview) it prints';

/** Never echoes the value: a malformed hash is most often the key itself, pasted into the wrong field. */
const keyHash: Kind<string> = {
  expected: HASH_EXPECTED,
  secret: true,
  read(value, site) {
    const problem = typeof value === 'string' ? clientKeyHashProblem(value) : `is ${describe(value, true)}`;
    if (typeof value === 'string' && problem === undefined) return value;
    site.issues.error(site.path, `expected ${HASH_EXPECTED}; the value ${problem}`, HASH_EXPECTED);
    return INVALID;
  },
};

const ENTRY_KEYS = {
  alias: text,
  key_hash: keyHash,
  key_preview: text,
  models: namesAt,
} satisfies KeyTable;

/** `general_settings.client_keys`; `models` must name aliases from `model_list`. */
export function clientKeyList(sets: AliasSets): Kind<ClientKey[]> {
  return {
    expected: `a list of maps (${ENTRY_EXPECTED})`,
    read(value, site) {
      if (value === null) return [];
      if (!Array.isArray(value)) {
        // Described by type only here and below: a bare string where an entry belongs may be a pasted key.
        site.issues.error(site.path, `expected a list of maps (${ENTRY_EXPECTED}), got ${describe(value, true)}`, 'a list');
        return INVALID;
      }
      const keys: ClientKey[] = [];
      const aliasAt = new Map<string, Path>();
      const hashAt = new Map<string, { path: Path; alias: string }>();
      value.forEach((item, i) => {
        const base = [...site.path, i];
        const key = readEntry(item, base, sets, site.issues);
        if (key === undefined) return;
        const sameAlias = aliasAt.get(key.alias);
        const sameHash = hashAt.get(key.keyHash);
        if (sameAlias) {
          site.issues.error([...base, 'alias'], `duplicate alias ${JSON.stringify(key.alias)}, already used by ${formatPath(sameAlias)}`, 'a unique alias');
        }
        if (sameHash) {
          // Two entries for one key would make "which client sent this" unanswerable.
          site.issues.error(
            [...base, 'key_hash'],
            `same key_hash as ${formatPath(sameHash.path)} (${JSON.stringify(sameHash.alias)}); give each client its own key`,
            'a unique key_hash',
          );
        }
        if (sameAlias || sameHash) return;
        aliasAt.set(key.alias, base);
        hashAt.set(key.keyHash, { path: base, alias: key.alias });
        keys.push(key);
      });
      return keys;
    },
  };
}

function readEntry(item: unknown, base: Path, sets: AliasSets, issues: Issues): ClientKey | undefined {
  if (!isPlainObject(item)) {
    issues.error(base, `expected ${ENTRY_EXPECTED}, got ${describe(item, true)}`, ENTRY_EXPECTED);
    return undefined;
  }
  // Only the key's name goes into the message: the value is the secret this check exists to protect.
  const rawKeyFields = Object.keys(item).filter(isSecretKey);
  for (const field of rawKeyFields) issues.error([...base, field], RAW_KEY, 'key_hash instead');

  const fields = readFields(item, base, ENTRY_KEYS, issues, { handled: rawKeyFields });
  for (const name of ['alias', 'key_hash'] as const) {
    // A pasted raw key has already been told to use key_hash; saying it is missing too adds nothing.
    const explained = name === 'key_hash' && rawKeyFields.length > 0;
    if (!Object.hasOwn(item, name) && !explained) issues.error([...base, name], 'is required', ENTRY_KEYS[name].expected);
  }
  const models = fields.models === undefined ? [] : checkModels(fields.models, sets, issues);
  const { alias, key_hash: hash, key_preview: preview } = fields;
  if (alias === undefined || hash === undefined || models === INVALID) return undefined;

  if (preview !== undefined && hashClientKey(preview) === hash) {
    issues.error([...base, 'key_preview'], 'is the key itself; use a preview such as "sk-...<last 4 characters>"', 'a preview, not the key');
    return undefined;
  }
  return { alias, keyHash: hash, preview: preview ?? `(${alias})`, models };
}

/**
 * An alias whose deployments were all excluded (unsupported provider) stays in the list: dropping it
 * could empty the list, and an empty list means every alias, turning a restriction into full access.
 */
function checkModels(names: readonly NameAt[], sets: AliasSets, issues: Issues): string[] | typeof INVALID {
  let ok = true;
  for (const at of names) {
    if (sets.aliases.has(at.name)) continue;
    if (sets.excludedAliases.has(at.name)) {
      issues.warn(at.path, `${JSON.stringify(at.name)} has no supported deployment; requests for it will fail`);
      continue;
    }
    reportUnknownAlias(at, sets, issues);
    ok = false;
  }
  return ok ? [...new Set(names.map((n) => n.name))] : INVALID;
}
