import { createHash, randomUUID } from 'node:crypto';

// randomUUID draws from a pre-filled entropy cache, so it is the cheapest source of random hex here.
const hex = (length: number): string => randomUUID().replaceAll('-', '').slice(0, length);

export const newCompletionId = (): string => `chatcmpl-${randomUUID()}`;
/** Groq's are ULID-like, 26 chars of lowercase Crockford base32; hex digits are a subset of that alphabet. */
export const newRequestId = (): string => `req_${hex(26)}`;
export const newToolCallId = (): string => `call_${hex(12)}`;
/** Responses API ids: `resp_…` for the response, `msg_…`, `fc_…`, `ci_…`, ... for its output items. */
export const newResponsesId = (prefix: string): string => `${prefix}_${hex(32)}`;

const fingerprints = new Map<string, string>();

/** Groq's fingerprint is stable per model deployment, so derive it from the model id. */
export function fingerprintFor(model: string): string {
  let fingerprint = fingerprints.get(model);
  if (fingerprint === undefined) {
    fingerprint = `fp_${createHash('sha1').update(model).digest('hex').slice(0, 10)}`;
    fingerprints.set(model, fingerprint);
  }
  return fingerprint;
}

/** Enough of a key to tell keys apart in test output without ever recording a usable secret. */
export function keyPreview(key: string): string {
  return key.length > 8 ? `${key.slice(0, 4)}...${key.slice(-4)}` : '***';
}
