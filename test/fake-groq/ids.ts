import { createHash, randomBytes, randomUUID } from 'node:crypto';

// Groq request ids are ULID-like: 26 chars of lowercase Crockford base32 after `req_`.
const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';

function base32(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += BASE32[byte & 31];
  return out;
}

export const newCompletionId = (): string => `chatcmpl-${randomUUID()}`;
export const newRequestId = (): string => `req_${base32(26)}`;
export const newToolCallId = (): string => `call_${base32(12)}`;

/** Groq's fingerprint is stable per model deployment, so derive it from the model id. */
export function fingerprintFor(model: string): string {
  return `fp_${createHash('sha1').update(model).digest('hex').slice(0, 10)}`;
}

/** Enough of a key to tell keys apart in test output without ever recording a usable secret. */
export function keyPreview(key: string): string {
  return key.length > 8 ? `${key.slice(0, 4)}...${key.slice(-4)}` : '***';
}
