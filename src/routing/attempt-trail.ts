import type { Refusal } from '../quota/types.js';
import type { UpstreamFailure } from '../upstream/failure.js';
import type { Ejection } from './attempt-deployment.js';
import type { Deployment } from './deployment.js';

/** What happened to one deployment on the way to an answer. */
export type AttemptRecord =
  | {
      readonly deployment: Deployment;
      readonly kind: 'skipped';
      readonly reason: string;
      /** Set when it was skipped because the prompt does not fit: its context window, tokens. */
      readonly contextWindow?: number;
    }
  | { readonly deployment: Deployment; readonly kind: 'refused'; readonly refusal: Refusal }
  | { readonly deployment: Deployment; readonly kind: 'busy'; readonly limit: number }
  | { readonly deployment: Deployment; readonly kind: 'ejected'; readonly ejection: Ejection }
  | { readonly deployment: Deployment; readonly kind: 'failed'; readonly failure: UpstreamFailure };

export interface AttemptTrail {
  /** What happened on the last pass along the chain. */
  records: AttemptRecord[];
  /** What happened on every pass, for metrics. */
  readonly all: AttemptRecord[];
  /** Fallback groups entered after the alias's own group. */
  fallbacks: number;
  /** Further attempts after the first: another deployment of the same group, or a whole pass again. */
  retries: number;
  /** Upstream calls made, over all passes. */
  calls: number;
  /** Time spent waiting on upstreams, ms. */
  upstreamMs: number;
  /** Groups of the chain left out because the caller's key may not use them. */
  readonly outsideKey: Set<string>;
}

export function newTrail(): AttemptTrail {
  return { records: [], all: [], fallbacks: 0, retries: 0, calls: 0, upstreamMs: 0, outsideKey: new Set() };
}
