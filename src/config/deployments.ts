import { isPlainObject, UnsetEnv, type EnvLookup } from './env.js';
import { readFields, readSection, type KeyTable } from './fields.js';
import { assignIds, type IdInput } from './ids.js';
import type { Issues } from './issues.js';
import {
  describe,
  httpUrl,
  integer,
  INVALID,
  nonNegativeInt,
  nonNegativeNumber,
  nullable,
  oneOf,
  positiveInt,
  positiveNumber,
  readValue,
  text,
  type Invalid,
} from './kinds.js';
import { formatPath, type Path } from './path.js';
import { publicApiBase, publicCopy } from './secrets.js';
import type { DeploymentConfig, DeploymentLimits, ProviderName } from './types.js';

const PROVIDERS: readonly ProviderName[] = ['groq', 'openai'];
const MODEL_EXPECTED = '"groq/<model>" or "openai/<model>"';
/** Where LiteLLM looks for a key when `api_key` is left out. */
const DEFAULT_KEY_VARIABLE: Readonly<Record<ProviderName, string>> = {
  groq: 'GROQ_API_KEY',
  openai: 'OPENAI_API_KEY',
};

const limit = nullable(nonNegativeInt);

const PARAMS = {
  api_base: httpUrl,
  rpm: limit,
  tpm: limit,
  rpd: limit,
  tpd: limit,
  ash: limit,
  asd: limit,
  timeout: positiveNumber,
  stream_timeout: positiveNumber,
  order: integer(1, 'an integer >= 1'),
  weight: positiveNumber,
  cooldown_time: nonNegativeNumber,
  max_parallel_requests: positiveInt,
  completion_cap: oneOf(['adaptive', 'requested'] as const),
  max_retries: nonNegativeInt,
} satisfies KeyTable;

const ENTRY_KEYS = ['model_name', 'litellm_params', 'model_info', 'rpm', 'tpm'];
/** Limits LiteLLM also reads at the entry's top level and in `model_info` (its usage-based routing does). */
const OUTER_LIMIT_KEYS = ['rpm', 'tpm'] as const;
const LIMIT_KEYS = ['rpm', 'rpd', 'tpm', 'tpd', 'ash', 'asd'] as const;

export interface Deployments {
  readonly deployments: DeploymentConfig[];
  /** `model_name`s with at least one kept deployment: the only valid fallback targets. */
  readonly aliases: ReadonlySet<string>;
  /** `model_name`s all of whose deployments were excluded (unsupported provider or wildcard). */
  readonly excludedAliases: ReadonlySet<string>;
}

type Draft = Omit<DeploymentConfig, 'id'> & Pick<IdInput, 'explicit'>;
interface EntryResult {
  /** Valid `model_name`, even when the rest of the entry is not. */
  readonly modelName: string | undefined;
  readonly kept?: Draft;
  readonly excluded?: boolean;
}

export function readDeployments(value: unknown, issues: Issues, lookup: EnvLookup): Deployments {
  const path: Path = ['model_list'];
  const drafts: Draft[] = [];
  const aliases = new Set<string>();
  const excluded = new Set<string>();
  let excludedEntries = 0;
  const missingKeys = new MissingKeys();
  if (value === undefined || value === null) {
    issues.error(path, 'is required', 'a list of deployments');
  } else if (!Array.isArray(value)) {
    issues.error(path, `expected a list of deployments, got ${describe(value)}`, 'a list of deployments');
  } else if (value.length === 0) {
    issues.error(path, 'must list at least one deployment', 'a list of deployments');
  } else {
    value.forEach((entry, index) => {
      const { modelName, kept, excluded: isExcluded } = readEntry(entry, index, issues, lookup, missingKeys);
      if (kept) drafts.push(kept);
      if (isExcluded) excludedEntries += 1;
      if (modelName === undefined) return;
      // An entry that failed validation still names a real alias: counting it avoids a second,
      // misleading "unknown model_name" error wherever a fallback mentions it.
      if (isExcluded) excluded.add(modelName);
      else aliases.add(modelName);
    });
    if (excludedEntries === value.length) {
      issues.error(path, 'no deployment has a supported provider', MODEL_EXPECTED);
    }
  }
  for (const alias of aliases) excluded.delete(alias);
  missingKeys.report(issues);

  const ids = assignIds(drafts, issues);
  const deployments = drafts.map(({ explicit: _explicit, ...draft }, i) => ({ id: ids[i] ?? '', ...draft }));
  return { deployments, aliases, excludedAliases: excluded };
}

function readEntry(entry: unknown, index: number, issues: Issues, lookup: EnvLookup, missingKeys: MissingKeys): EntryResult {
  const base: Path = ['model_list', index];
  if (!isPlainObject(entry)) {
    issues.error(base, `expected a map with model_name and litellm_params, got ${describe(entry)}`, 'a map');
    return { modelName: undefined };
  }
  for (const key of Object.keys(entry)) {
    if (!ENTRY_KEYS.includes(key)) issues.warn([...base, key], 'not supported, ignored');
  }

  const name = required(entry, 'model_name', base, issues, text.expected, (v, p) => readValue(text, v, { path: p, issues }));
  const modelName = name === INVALID ? undefined : name;
  const failed = { modelName };
  const paramsPath: Path = [...base, 'litellm_params'];
  const params = required(entry, 'litellm_params', base, issues, 'a map', (v, p) => readSection(v, p, issues) ?? INVALID);
  if (params === INVALID) return failed;

  const ref = required(params, 'model', paramsPath, issues, MODEL_EXPECTED, (v, p) => parseModel(v, p, issues));
  if (ref === INVALID) return failed;
  const label = `${formatPath(base)}${modelName === undefined ? '' : ` (${JSON.stringify(modelName)})`}`;
  if (ref.model.includes('*') && modelName !== undefined && !modelName.includes('*')) {
    // LiteLLM fills the model's `*` from the part of the requested name the alias's `*` matched.
    issues.error(
      [...paramsPath, 'model'],
      `${JSON.stringify(ref.raw)} has a wildcard but model_name ${JSON.stringify(modelName)} has none to fill it from`,
      'a model_name with a * too (e.g. "groq/*"), or a model without one',
    );
    return failed;
  }
  if (!isProvider(ref.provider)) {
    issues.warn(
      [...paramsPath, 'model'],
      `provider ${JSON.stringify(ref.provider)} is not supported (only ${PROVIDERS.join(', ')}); ${label} excluded`,
    );
    return { modelName, excluded: true };
  }
  const provider = ref.provider;

  const fields = readFields(params, paramsPath, PARAMS, issues, { handled: ['model', 'api_key'] });
  if (provider === 'openai' && !Object.hasOwn(params, 'api_base')) {
    issues.error([...paramsPath, 'api_base'], 'is required for openai/ deployments', httpUrl.expected);
  }
  if (fields.max_retries !== undefined) {
    issues.warn(
      [...paramsPath, 'max_retries'],
      'accepted but has no effect: SDK-level retries are always 0; retries are owned by the router (num_retries)',
    );
  }
  const key = readApiKey(params, paramsPath, provider, issues, lookup);
  if (key !== INVALID && key.missingVariable !== undefined) missingKeys.add(key.missingVariable, modelName ?? label, key.path ?? paramsPath);
  const modelInfo = readModelInfo(entry, base, issues);
  if (modelName === undefined || key === INVALID || modelInfo === INVALID) return failed;

  const limits: { -readonly [K in keyof DeploymentLimits]: DeploymentLimits[K] } = {};
  for (const name of LIMIT_KEYS) if (fields[name] !== undefined) limits[name] = fields[name];
  for (const name of OUTER_LIMIT_KEYS) {
    const tightest = tightestLimit(name, entry, base, issues);
    if (tightest !== undefined) limits[name] = tightest;
  }

  const kept: Draft = {
    index,
    modelName,
    provider,
    model: ref.model,
    litellmModel: ref.raw,
    apiKey: key.apiKey,
    apiBase: fields.api_base,
    limits,
    timeoutMs: seconds(fields.timeout),
    streamTimeoutMs: seconds(fields.stream_timeout),
    order: fields.order,
    weight: fields.weight,
    cooldownTimeSec: fields.cooldown_time,
    maxParallelRequests: fields.max_parallel_requests,
    completionCap: fields.completion_cap,
    modelInfo: modelInfo.info,
    publicParams: publicParams(params),
    unconfiguredReason: key.unconfiguredReason,
    ...(modelInfo.explicitId ? { explicit: modelInfo.explicitId } : {}),
  };
  return { modelName, kept };
}

/**
 * `rpm`/`tpm` may be written in `litellm_params`, at the entry's top level, or in `model_info`, as in
 * LiteLLM's examples. When they disagree the tighter one is kept (null, "unlimited", is the loosest),
 * with a warning: spending more than any of them intended is the mistake to avoid.
 */
function tightestLimit(
  name: (typeof OUTER_LIMIT_KEYS)[number],
  entry: Readonly<Record<string, unknown>>,
  base: Path,
  issues: Issues,
): number | null | undefined {
  const places: [Readonly<Record<string, unknown>>, Path][] = [[entry, base]];
  for (const section of ['litellm_params', 'model_info'] as const) {
    const value = entry[section];
    if (isPlainObject(value)) places.push([value, [...base, section]]);
  }
  const found: { value: number | null; path: Path }[] = [];
  for (const [section, at] of places) {
    if (!Object.hasOwn(section, name)) continue;
    const path = [...at, name];
    // litellm_params' own copy was read (and reported) with the other params.
    const value = at.at(-1) === 'litellm_params' ? limit.accept(section[name]) : readValue(limit, section[name], { path, issues });
    if (value !== INVALID) found.push({ value, path });
  }
  if (found.length === 0) return undefined;
  const tightest = found.reduce((a, b) => (b.value !== null && (a.value === null || b.value < a.value) ? b : a));
  if (found.some((f) => f.value !== tightest.value)) {
    const all = found.map((f) => `${formatPath(f.path)}: ${f.value ?? 'null'}`).join(', ');
    issues.warn(tightest.path, `${name} is given ${found.length} times with different values (${all}); using the tighter ${tightest.value ?? 'null'}`);
  }
  return tightest.value;
}

/** A missing key's position resolves to its parent, which is where it should be added. */
function required<T>(
  section: Readonly<Record<string, unknown>>,
  key: string,
  base: Path,
  issues: Issues,
  expected: string,
  read: (value: unknown, path: Path) => T | Invalid,
): T | Invalid {
  const path = [...base, key];
  if (!Object.hasOwn(section, key)) {
    issues.error(path, 'is required', expected);
    return INVALID;
  }
  return read(section[key], path);
}

interface ModelRef {
  readonly raw: string;
  readonly provider: string;
  readonly model: string;
}

/** The provider is what precedes the first slash; the model id may itself contain slashes (`groq/openai/gpt-oss-120b`). */
function parseModel(value: unknown, path: Path, issues: Issues): ModelRef | Invalid {
  const raw = readValue(text, value, { path, issues });
  if (raw === INVALID) return INVALID;
  const slash = raw.indexOf('/');
  if (slash <= 0 || slash === raw.length - 1) {
    issues.error(path, `expected ${MODEL_EXPECTED}, got ${describe(raw)}`, MODEL_EXPECTED);
    return INVALID;
  }
  return { raw, provider: raw.slice(0, slash), model: raw.slice(slash + 1) };
}

function isProvider(name: string): name is ProviderName {
  return (PROVIDERS as readonly string[]).includes(name);
}

interface KeyResult {
  readonly apiKey: string | undefined;
  readonly unconfiguredReason: string | undefined;
  /** The unset environment variable the key was to come from. */
  readonly missingVariable?: string;
  /** Where the key is, or would go. */
  readonly path?: Path;
}

/**
 * Unset key variables and the deployments they leave unusable, reported as one warning: a fresh
 * checkout without GROQ_API_KEY should read one line that names the variable, not one per deployment.
 */
class MissingKeys {
  private readonly byVariable = new Map<string, string[]>();
  /** Where the first such key is (or would be): the warning points there. */
  private firstPath: Path = [];

  add(variable: string, alias: string, path: Path): void {
    if (this.byVariable.size === 0) this.firstPath = path;
    const aliases = this.byVariable.get(variable) ?? [];
    if (!aliases.includes(alias)) aliases.push(alias);
    this.byVariable.set(variable, aliases);
  }

  report(issues: Issues): void {
    if (this.byVariable.size === 0) return;
    const variables = [...this.byVariable.keys()];
    const parts = [...this.byVariable].map(([variable, aliases]) => `${variable} (leaves ${aliases.length} unusable: ${aliases.join(', ')})`);
    issues.warn(
      this.firstPath,
      `API key ${variables.length === 1 ? 'variable' : 'variables'} not set: ${parts.join('; ')}. ` +
        `Set ${variables.length === 1 ? 'it' : 'them'} and restart, or reload the config; until then requests for those models are refused.`,
    );
  }
}

/**
 * A key whose variable is unset makes the deployment unconfigured rather than failing the load: one
 * missing key (say, a second Groq org) should not take down every other deployment.
 */
function readApiKey(
  params: Readonly<Record<string, unknown>>,
  paramsPath: Path,
  provider: ProviderName,
  issues: Issues,
  lookup: EnvLookup,
): KeyResult | Invalid {
  const path = [...paramsPath, 'api_key'];
  const value = params['api_key'];
  if (value instanceof UnsetEnv) {
    return { apiKey: undefined, unconfiguredReason: `api_key: environment variable ${value.name} is not set`, missingVariable: value.name, path };
  }
  if (value === undefined) {
    const variable = DEFAULT_KEY_VARIABLE[provider];
    const fromEnv = lookup(variable);
    if (fromEnv !== undefined) return { apiKey: fromEnv, unconfiguredReason: undefined };
    return {
      apiKey: undefined,
      unconfiguredReason: `api_key: not set, and environment variable ${variable} is not set`,
      missingVariable: variable,
      path: paramsPath,
    };
  }
  if (typeof value !== 'string' || value.trim() === '') {
    issues.error(path, `expected a non-empty string, got ${describe(value, true)}`, 'a non-empty string');
    return INVALID;
  }
  return { apiKey: value, unconfiguredReason: undefined };
}

interface ModelInfo {
  readonly info: Readonly<Record<string, unknown>>;
  readonly explicitId: IdInput['explicit'] | undefined;
}

/** `model_info` is passed through for the catalogue merge and `/model/info`; only secrets are left out. */
function readModelInfo(entry: Readonly<Record<string, unknown>>, base: Path, issues: Issues): ModelInfo | Invalid {
  const path: Path = [...base, 'model_info'];
  const section = readSection(entry['model_info'], path, issues);
  if (!section) return INVALID;
  let failed = false;
  const info = publicCopy(section, path, {
    onSecret: (p) => issues.warn(p, 'looks like a secret; left out of model_info'),
    onUnset: (unset, p) => {
      failed = true;
      readValue(text, unset, { path: p, issues });
      return undefined;
    },
  }) as Record<string, unknown>;

  let explicitId: ModelInfo['explicitId'];
  if (Object.hasOwn(section, 'id')) {
    const idPath: Path = [...path, 'id'];
    const raw = section['id'];
    if (typeof raw === 'number' && Number.isSafeInteger(raw)) {
      explicitId = { id: String(raw), path: idPath };
    } else if (raw instanceof UnsetEnv) {
      failed = true;
    } else {
      const id = readValue(text, raw, { path: idPath, issues });
      if (id === INVALID) failed = true;
      else explicitId = { id, path: idPath };
    }
  }
  return failed ? INVALID : { info, explicitId };
}

/** What `/model/info` shows: `litellm_params` without secrets; an unset variable shows as its reference. */
function publicParams(params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const copy = publicCopy(params, [], { onUnset: (unset) => unset.reference }) as Record<string, unknown>;
  const apiBase = copy['api_base'];
  if (typeof apiBase === 'string') copy['api_base'] = publicApiBase(apiBase);
  return copy;
}

function seconds(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.round(value * 1000);
}
