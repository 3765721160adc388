import { hashClientKey } from './client-key-hash.js';
import { isPlainObject, UnsetEnv } from './env.js';
import type { Path } from './path.js';
import type { GatewayConfig } from './types.js';

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


/**
 * `api_base` as it may be shown anywhere (`/health`, `/model/info`, metric labels, logs, `check`):
 * without userinfo, query string or fragment, which is where URLs carry credentials.
 */
export function publicApiBase(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '' && parsed.search === '' && parsed.hash === '') return url;
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    // Not a URL we can take apart: show nothing of it rather than something secret.
    return '(invalid URL)';
  }
}

/**
 * The credentials a URL carries: its password and query values, raw and decoded, and its user name
 * when there is no password or it is as long as a token (a token in the user's place, a placeholder
 * password beside it). A short user name beside a password is a name (Redis's `default`), and taking
 * it for a secret would blank that word everywhere.
 */
export function urlCredentials(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const found = [parsed.password === '' || parsed.username.length >= MIN_KEY_LENGTH ? parsed.username : '', parsed.password, ...[...parsed.searchParams.values()]];
  const decoded = (value: string) => {
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  };
  return found.flatMap((value) => [value, decoded(value)]);
}

/** What replaces a secret in any text the gateway passes on. */
/** What logs, answers and the status page show of an upstream API key: its first and last four characters at most. */
export function keyPreview(key: string): string {
  return key.length < 12 ? '***' : `${key.slice(0, 4)}...${key.slice(-4)}`;
}

export const REDACTED = '[redacted]';
/** Shorter strings are too likely to be ordinary words to remove from text. */
const MIN_SECRET_LENGTH = 6;
/** Upstream keys (`gsk_` and 52 characters) and master keys are far longer; passwords may be shorter. */
const MIN_KEY_LENGTH = 16;
/** Runs of key-like characters: where a pasted client key would sit in a message. */
const KEY_LIKE = /[A-Za-z0-9_-]{16,}/g;

/**
 * Removes every configured secret from text the gateway did not write itself (upstream error messages
 * above all) before it reaches a client, a log line, `/health` or a metric. Built once per config load:
 * the upstream keys, the master key, the Redis password and `api_base` credentials are matched as
 * literals; client keys, of which only hashes are stored, by hashing each key-like run in the text.
 */
export class Redactor {
  private readonly literals: RegExp | undefined;
  /** The key-like literal secrets (upstream keys, the master key), which an answer can only hold by echo. */
  private readonly keys: RegExp | undefined;
  private readonly keyBytes: readonly Buffer[];

  constructor(
    secrets: Iterable<string | undefined>,
    private readonly clientKeyHashes: ReadonlySet<string> = new Set(),
    private readonly hash: (candidate: string) => string = (candidate) => candidate,
  ) {
    const unique = [...new Set([...secrets].filter((s): s is string => s !== undefined && s.length >= MIN_SECRET_LENGTH))];
    // Longest first, so a secret that contains another is removed whole.
    unique.sort((a, b) => b.length - a.length);
    this.literals = unique.length === 0 ? undefined : new RegExp(unique.map(escapeRegExp).join('|'), 'g');
    const keys = unique.filter((secret) => secret.length >= MIN_KEY_LENGTH);
    this.keys = keys.length === 0 ? undefined : new RegExp(keys.map(escapeRegExp).join('|'), 'g');
    this.keyBytes = keys.map((secret) => Buffer.from(secret));
  }

  /**
   * Whether an answer's bytes hold a key-like secret (an upstream key an upstream echoed), one byte
   * search per key. Shorter secrets (a Redis password, a number) are not looked for in answers: a model's
   * text or a JSON number may hold one by chance, and replacing it would corrupt the answer and tell a
   * caller that guessed it. Client keys are not looked for either: only the caller could have put its own
   * key into what the upstream answers.
   */
  foundIn(bytes: Buffer): boolean {
    for (const key of this.keyBytes) if (bytes.indexOf(key) !== -1) return true;
    return false;
  }

  /** An answer's text with the key-like secrets `foundIn` looks for taken out, and nothing else changed. */
  redactKeys(text: string): string {
    return this.keys === undefined ? text : text.replace(this.keys, REDACTED);
  }

  /** Bound once with its redactor, so a request hands it on as it is rather than wrapping it in a closure of its own. */
  readonly redact = (text: string): string => {
    let out = this.literals === undefined ? text : text.replace(this.literals, REDACTED);
    if (this.clientKeyHashes.size > 0) out = out.replace(KEY_LIKE, (run) => (this.clientKeyHashes.has(this.hash(run)) ? REDACTED : run));
    return out;
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The redactor for one loaded config: every secret it configures, and its client keys' hashes. */
export function redactorFor(config: GatewayConfig): Redactor {
  const redis = config.router.redis;
  const secrets = [
    ...config.deployments.flatMap((d) => [d.apiKey, ...(d.apiBase === undefined ? [] : urlCredentials(d.apiBase))]),
    config.general.masterKey,
    redis?.password,
    ...(redis?.url === undefined ? [] : urlCredentials(redis.url)),
  ];
  return new Redactor(secrets, new Set(config.general.clientKeys.map((k) => k.keyHash)), hashClientKey);
}
