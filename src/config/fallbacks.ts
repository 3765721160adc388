import { isPlainObject } from './env.js';
import type { Issues } from './issues.js';
import { describe, INVALID, nameList, readValue, type Kind } from './kinds.js';
import type { Path } from './path.js';

export interface NameAt {
  readonly name: string;
  readonly path: Path;
}

export interface FallbackEntry {
  readonly source: NameAt;
  readonly targets: readonly NameAt[];
}

/** A list of names (or one bare name), each kept with its own path so errors point at the item. */
export const namesAt: Kind<NameAt[]> = {
  expected: nameList.expected,
  read(value, site) {
    const names = nameList.read(value, site);
    if (names === INVALID) return INVALID;
    return names.map((name, i) => ({ name, path: Array.isArray(value) ? [...site.path, i] : site.path }));
  },
};

const SHAPE = 'a list of single-key maps like [{"alias": ["next", "after"]}]';

/**
 * LiteLLM writes fallbacks as a list of single-key maps (`[{"a": ["b"]}]`); a plain map (`{"a": ["b"]}`)
 * is accepted too, as is a list item with several keys.
 */
export const fallbackMap: Kind<FallbackEntry[]> = {
  expected: SHAPE,
  read(value, site) {
    if (value === null) return [];
    const maps: [Readonly<Record<string, unknown>>, Path][] = [];
    if (isPlainObject(value)) {
      maps.push([value, site.path]);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        const path = [...site.path, i];
        if (isPlainObject(item)) maps.push([item, path]);
        else site.issues.error(path, `expected a map like {"alias": ["next"]}, got ${describe(item)}`, SHAPE);
      });
    } else {
      site.issues.error(site.path, `expected ${SHAPE}, got ${describe(value)}`, SHAPE);
      return INVALID;
    }
    const entries: FallbackEntry[] = [];
    for (const [map, base] of maps) {
      for (const [source, targets] of Object.entries(map)) {
        const path = [...base, source];
        const read = readValue(namesAt, targets, { path, issues: site.issues });
        if (read !== INVALID) entries.push({ source: { name: source, path }, targets: read });
      }
    }
    return entries;
  },
};

export interface AliasSets {
  readonly aliases: ReadonlySet<string>;
  readonly excludedAliases: ReadonlySet<string>;
  /** Deployment ids (`model_info.id` or derived): a fallback may name one to fall back to exactly it. */
  readonly deploymentIds?: ReadonlySet<string>;
}

/**
 * Whether a fallback may name `name`. An alias whose deployments were all excluded (e.g. an
 * `anthropic/` model) is dropped with a warning rather than failing the load, so a LiteLLM config
 * mixing providers still starts; a name that is nowhere in `model_list` is a typo, hence an error.
 */
export function checkAlias(at: NameAt, sets: AliasSets, issues: Issues): boolean {
  if (sets.aliases.has(at.name)) return true;
  if (sets.excludedAliases.has(at.name)) {
    issues.warn(at.path, `${JSON.stringify(at.name)} has no supported deployment; dropped from fallbacks`);
    return false;
  }
  reportUnknownAlias(at, sets, issues);
  return false;
}

/**
 * Whether a fallback target may name `name`: a `model_name`, or (as LiteLLM allows) a deployment's
 * `model_info.id`, which falls back to exactly that deployment. A name that is both is the alias.
 */
export function checkTarget(at: NameAt, sets: AliasSets, issues: Issues): boolean {
  if (!sets.aliases.has(at.name) && sets.deploymentIds?.has(at.name)) return true;
  return checkAlias(at, sets, issues);
}

/** The error for a name that is nowhere in `model_list`, listing the names that are. */
export function reportUnknownAlias(at: NameAt, sets: AliasSets, issues: Issues): void {
  const known = [...sets.aliases].map((a) => JSON.stringify(a)).join(', ');
  const ids = sets.deploymentIds === undefined ? '' : ' (or a model_info.id, for fallbacks)';
  issues.error(at.path, `unknown model_name ${JSON.stringify(at.name)}`, `a model_name from model_list${ids}: ${known}`);
}

export const WILDCARD = '*';

export interface ResolvedFallbacks {
  readonly map: Record<string, readonly string[]>;
  /** Targets of a LiteLLM `"*"` entry (a catch-all), when `allowWildcard` is set. */
  readonly wildcard: readonly NameAt[] | undefined;
}

export function resolveFallbacks(
  entries: readonly FallbackEntry[],
  sets: AliasSets,
  issues: Issues,
  allowWildcard: boolean,
): ResolvedFallbacks {
  const map: Record<string, readonly string[]> = {};
  let wildcard: NameAt[] | undefined;
  for (const { source, targets } of entries) {
    const valid = targets.filter((t) => checkTarget(t, sets, issues));
    if (allowWildcard && source.name === WILDCARD) {
      wildcard ??= valid;
      continue;
    }
    if (!checkAlias(source, sets, issues)) continue;
    if (Object.hasOwn(map, source.name)) {
      // LiteLLM uses the first entry for a source; later ones are dead weight.
      issues.warn(source.path, `fallbacks for ${JSON.stringify(source.name)} already given earlier; ignored`);
      continue;
    }
    map[source.name] = valid.map((t) => t.name);
  }
  return { map, wildcard };
}
