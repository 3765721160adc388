import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Client keys live in the config only as `sha256:<hex>`, so a leaked or committed config file grants
 * nothing. `groq-router keys new` writes the hash and the gateway's auth recomputes it per request;
 * both must use this one function or no key would ever match.
 */
export function hashClientKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export const CLIENT_KEY_HASH_PREFIX = 'sha256:';
const HEX_DIGITS = 64;

/**
 * Why `value` is not a well-formed key hash, or `undefined` when it is. The reason never quotes the
 * value: a malformed hash is often the raw key pasted into the wrong field.
 */
export function clientKeyHashProblem(value: string): string | undefined {
  if (!value.startsWith(CLIENT_KEY_HASH_PREFIX)) return `does not start with "${CLIENT_KEY_HASH_PREFIX}"`;
  const hex = value.slice(CLIENT_KEY_HASH_PREFIX.length);
  if (hex.length !== HEX_DIGITS) return `has ${hex.length} characters after "${CLIENT_KEY_HASH_PREFIX}", expected ${HEX_DIGITS}`;
  if (/[A-F]/.test(hex) && /^[0-9a-fA-F]+$/.test(hex)) return 'has uppercase hex digits; write them in lowercase';
  if (!/^[0-9a-f]+$/.test(hex)) return `has characters other than 0-9 and a-f after "${CLIENT_KEY_HASH_PREFIX}"`;
  return undefined;
}

/** `sk-...9f3a`: enough to tell keys apart in logs, never enough to use one. */
export function clientKeyPreview(key: string): string {
  return `sk-...${key.slice(-4)}`;
}

/**
 * The entry whose hash matches a presented key, if any. Every entry is compared in constant time, so
 * response timing says nothing about how close a guess came.
 */
export function findClientKey<K extends { readonly keyHash: string }>(presented: string, keys: readonly K[]): K | undefined {
  const hash = Buffer.from(hashClientKey(presented));
  let found: K | undefined;
  for (const entry of keys) {
    const candidate = Buffer.from(entry.keyHash);
    if (candidate.length === hash.length && timingSafeEqual(candidate, hash)) found ??= entry;
  }
  return found;
}
