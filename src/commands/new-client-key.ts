import { randomBytes } from 'node:crypto';
import { Document, isSeq } from 'yaml';
import { clientKeyPreview, hashClientKey } from '../config/client-key-hash.js';

export const CLIENT_KEY_PREFIX = 'sk-grk-';
const KEY_BYTES = 32;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 62^43 > 2^256, so 43 digits hold any 32 bytes: the encoding keeps every bit of randomness. */
const KEY_DIGITS = 43;

export type RandomBytes = (size: number) => Uint8Array;

export interface NewClientKey {
  /** Shown once to the person who asked for it; never written anywhere by us. */
  readonly key: string;
  readonly alias: string;
  readonly keyHash: string;
  readonly preview: string;
  readonly models: readonly string[];
}

/**
 * `sk-grk-` and 32 random bytes in base62: only letters and digits, so the key survives being
 * double-clicked, pasted into a shell or put in a URL without quoting.
 */
export function generateClientKey(random: RandomBytes = randomBytes): string {
  const bytes = random(KEY_BYTES);
  let n = BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
  let digits = '';
  for (let i = 0; i < KEY_DIGITS; i += 1) {
    digits = BASE62.charAt(Number(n % 62n)) + digits;
    n /= 62n;
  }
  return `${CLIENT_KEY_PREFIX}${digits}`;
}

export function newClientKey(alias: string, models: readonly string[], random: RandomBytes = randomBytes): NewClientKey {
  const key = generateClientKey(random);
  return { key, alias, keyHash: hashClientKey(key), preview: clientKeyPreview(key), models };
}

/**
 * The list item to paste under `general_settings.client_keys:`, indented for the usual two-space
 * layout. Written by the YAML library so an alias with quotes or colons still reads back as itself.
 */
export function clientKeyYaml(entry: NewClientKey, indent = '    '): string {
  const item: Record<string, unknown> = { alias: entry.alias, key_hash: entry.keyHash, key_preview: entry.preview };
  if (entry.models.length > 0) item['models'] = [...entry.models];
  const doc = new Document([item]);
  const models = doc.getIn([0, 'models'], true);
  if (isSeq(models)) models.flow = true;
  return doc
    .toString({ lineWidth: 0, flowCollectionPadding: false })
    .trimEnd()
    .split('\n')
    .map((line) => `${indent}${line}`)
    .join('\n');
}
