import { GatewayError } from '../errors.js';
import type { Refusal } from '../quota/types.js';
import type { UpstreamFailure } from '../upstream/failure.js';
import { attemptDeployment, type ChatRequest, type RouteContext, type Served } from './attempt.js';
import type { Deployment } from './deployment.js';
import { exhaustedError } from './exhausted.js';
import { attemptOrder } from './strategy.js';
import type { ModelGroup, RoutingTable } from './table.js';

export type { ChatRequest, RouteContext } from './attempt.js';

/** What happened to one deployment on the way to an answer. */
export type AttemptRecord =
  | { readonly deployment: Deployment; readonly kind: 'skipped'; readonly reason: string }
  | { readonly deployment: Deployment; readonly kind: 'refused'; readonly refusal: Refusal }
  | { readonly deployment: Deployment; readonly kind: 'failed'; readonly failure: UpstreamFailure };

export interface AttemptTrail {
  readonly records: AttemptRecord[];
  /** Fallback groups entered after the alias's own group. */
  fallbacks: number;
  /** Further attempts inside the same group. */
  retries: number;
  /** Time spent waiting on upstreams, ms. */
  upstreamMs: number;
}

export interface ServedResponse extends Served {
  readonly group: ModelGroup;
  readonly trail: AttemptTrail;
}

/**
 * Walks the alias's chain: each group's deployments in attempt order, then the fallback groups, until one
 * deployment answers. A deployment without budget headroom is passed over before any network call.
 * Deployment faults (429, 5xx, timeouts, connection errors, bad keys, unknown model) move on; the
 * caller's own errors (400/413/422) go straight back.
 */
export async function routeChat(request: ChatRequest, table: RoutingTable, ctx: RouteContext): Promise<ServedResponse> {
  const trail: AttemptTrail = { records: [], fallbacks: 0, retries: 0, upstreamMs: 0 };
  let chain = table.chainFor(request.alias, request.promptTokens) ?? [];
  // After an upstream context-length error only larger windows can help.
  let needsContextAbove = 0;

  for (let index = 0; index < chain.length; index++) {
    const group = chain[index] as ModelGroup;
    if (index > 0 && trail.records.some((r) => r.kind !== 'skipped')) trail.fallbacks++;
    let calledInGroup = 0;
    for (const deployment of await attemptOrder(group.deployments, table.strategy, ctx.quota)) {
      const skip = skipReason(deployment, request.promptTokens, needsContextAbove);
      if (skip !== undefined) {
        trail.records.push({ deployment, kind: 'skipped', reason: skip });
        continue;
      }
      if (request.signal.aborted) throw abortedError(request);
      const outcome = await attemptDeployment(deployment, request, ctx);
      if ('refusal' in outcome) {
        trail.records.push({ deployment, kind: 'refused', refusal: outcome.refusal });
        continue;
      }
      if (calledInGroup++ > 0) trail.retries++;
      trail.upstreamMs += 'served' in outcome ? outcome.served.upstreamMs : outcome.upstreamMs;
      if ('served' in outcome) return { ...outcome.served, group, trail };
      const failed = outcome.failure;
      trail.records.push({ deployment, kind: 'failed', failure: failed });
      if (failed.kind === 'aborted') throw abortedError(request);
      if (!failed.moveOn) throw upstreamClientError(failed);
      if (failed.kind === 'context_window') {
        needsContextAbove = Math.max(needsContextAbove, deployment.contextWindow ?? 0);
        const visited = chain.slice(0, index + 1);
        chain = [...visited, ...table.contextChainFor(request.alias).filter((g) => !visited.includes(g))];
      }
    }
  }
  throw exhaustedError(request.alias, trail);
}

function skipReason(deployment: Deployment, promptTokens: number, needsContextAbove: number): string | undefined {
  if (deployment.client === undefined) return `not configured: ${deployment.config.unconfiguredReason ?? 'no API key'}`;
  const window = deployment.contextWindow;
  if (window !== null && (promptTokens > window || (needsContextAbove > 0 && window <= needsContextAbove))) {
    return `context window ${window} tokens is too small for ~${promptTokens} prompt tokens`;
  }
  return undefined;
}

function abortedError(request: ChatRequest): GatewayError {
  if (performance.now() >= request.deadline) {
    return new GatewayError(408, `request timed out for ${request.alias}`, { type: 'timeout_error', code: 'timeout' });
  }
  // The caller is gone; this answer is never read, but keeps the handler's contract.
  return new GatewayError(499 as 400, 'client closed the request', { code: 'client_closed_request' });
}

/** The caller's own mistake, as the upstream described it, with the upstream's status. */
function upstreamClientError(failed: UpstreamFailure): GatewayError {
  const headers: Record<string, string> = {};
  failed.headers?.forEach((value, name) => {
    if (name.startsWith('x-ratelimit-')) headers[name] = value;
  });
  return new GatewayError((failed.status ?? 400) as 400, failed.message, { code: failed.code ?? null, headers });
}
