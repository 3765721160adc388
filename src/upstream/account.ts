import type Groq from 'groq-sdk';

/**
 * One upstream organisation as the gateway reaches it: a Groq API key at an API base. Batches, files
 * and model lists belong to an organisation, so these calls go to an account, not through a chain.
 */
export interface Account {
  /** `acct_<12 hex>`, a hash of the key and base URL: stable across reloads and instances, never the key. */
  readonly id: string;
  /** `gsk_...9f3a`: how listings and messages show the key. */
  readonly keyPreview: string;
  /** What the SDK is given; `undefined` means the SDK's default (Groq's). */
  readonly baseURL: string | undefined;
  /** Aliases with a deployment on this account, in config order. */
  readonly aliases: readonly string[];
  readonly client: Groq;
}
