import { retriesFor } from '../breaker/error-class.js';
import { failureError, GatewayError } from '../errors.js';
import { failure, type UpstreamFailure } from '../upstream/failure.js';
import { attemptDeployment, type RoutedRequest, type RouteContext, type Served } from './attempt-deployment.js';
import { newTrail, type AttemptRecord, type AttemptTrail } from './attempt-trail.js';
import type { Deployment } from './deployment.js';
import { exhaustedError } from './exhausted.js';
import { RoutingError } from './routing-error.js';
import { backoffMs } from './backoff.js';
import { SHUTTING_DOWN, sleep } from './timed-signal.js';
import { attemptOrder } from './strategy.js';
import type { ModelGroup, RoutingTable } from './table.js';

export type { RoutedRequest, RouteContext } from './attempt-deployment.js';

export interface ServedResponse extends Served {
  readonly group: ModelGroup;
  readonly trail: AttemptTrail;
}

/**
 * Walks the alias's chain: each group's deployments in attempt order, then the fallback groups, until one
 * deployment answers. Deployments whose breaker has ejected them or whose budget has no room are skipped
 * before any network call. When a whole pass fails, it is retried only if `num_retries` (or the
 * `retry_policy` for the last failure's class) allows, after a backoff or the upstream's `retry-after`,
 * and only within the request's deadline. Retries are counted for the whole request: moving on to a
 * fallback never restarts them. At most (deployments in the chain) x (1 + retries) upstream calls.
 */
export async function routeRequest(request: RoutedRequest, table: RoutingTable, ctx: RouteContext): Promise<ServedResponse> {
  const trail = newTrail();
  try {
    for (let pass = 0; ; pass++) {
      trail.records = [];
      const served = await walkChain(request, table, ctx, trail);
      if (served !== undefined) return served;
      const wait = retryWaitMs(trail.records, pass, request, ctx);
      if (wait === undefined) break;
      await sleep(wait, request.signal);
      if (request.signal.aborted) throw abortedError(request);
      trail.retries++;
    }
    throw withOutsideKey(exhaustedError(request.alias, trail), trail);
  } catch (err) {
    // Whatever stopped the walk (the caller's own 400 from an endpoint's hygiene, a deadline) carries the attempts made.
    if (err instanceof GatewayError && !(err instanceof RoutingError)) throw RoutingError.from(err, trail);
    throw err;
  }
}

function note(trail: AttemptTrail, record: AttemptRecord): void {
  trail.records.push(record);
  trail.all.push(record);
}

/**
 * A client key is a tenant: its request never reaches (or spends the budget of) a group outside its
 * aliases, whichever list (`fallbacks`, `default_fallbacks`, `context_window_fallbacks`) leads there.
 */
function withinKey(chain: readonly ModelGroup[], request: RoutedRequest, trail: AttemptTrail): ModelGroup[] {
  const mayUse = request.mayUseAlias;
  if (mayUse === undefined) return [...chain];
  return chain.filter((group) => {
    if (mayUse(group.name)) return true;
    trail.outsideKey.add(group.name);
    return false;
  });
}

/** Says, when the chain ran out, which fallbacks were left untried because the key may not use them. */
function withOutsideKey(err: RoutingError, trail: AttemptTrail): RoutingError {
  if (trail.outsideKey.size === 0) return err;
  const note = ` Fallbacks outside this key's aliases were not tried: ${[...trail.outsideKey].join(', ')}.`;
  return RoutingError.from(err, trail, `${err.message}${note}`);
}

async function walkChain(request: RoutedRequest, table: RoutingTable, ctx: RouteContext, trail: AttemptTrail): Promise<ServedResponse | undefined> {
  let chain = withinKey(withRequestFallbacks(table.chainFor(request.alias, request.promptTokens) ?? [], request), request, trail);
  // After an upstream context-length error only larger windows can help.
  let needsContextAbove = 0;
  for (let index = 0; index < chain.length; index++) {
    const group = chain[index] as ModelGroup;
    if (index > 0 && trail.records.some((r) => r.kind !== 'skipped')) trail.fallbacks++;
    if (index === 0 && request.mockPrimaryFailure === true) {
      for (const deployment of group.deployments) note(trail, { deployment, kind: 'failed', failure: MOCK_FAILURE });
      continue;
    }
    let calledInGroup = 0;
    for (const deployment of await attemptOrder(group.deployments, table.strategy, ctx.quota)) {
      const skip = skipReason(deployment, request, needsContextAbove);
      if (skip !== undefined) {
        note(trail, { deployment, kind: 'skipped', ...skip });
        continue;
      }
      if (request.signal.aborted) throw abortedError(request);
      let outcome = await attemptDeployment(deployment, request, ctx);
      if ('failure' in outcome && outcome.failure.refusedWithRoom === true) {
        // The upstream counts this request larger than we booked it: re-planned once with the corrected
        // estimate (a smaller cap, or a refusal of our own), never retried as it was.
        trail.calls++;
        trail.upstreamMs += outcome.upstreamMs;
        note(trail, { deployment, kind: 'failed', failure: outcome.failure });
        outcome = await attemptDeployment(deployment, request, ctx);
      }
      if ('refusal' in outcome) {
        note(trail, { deployment, kind: 'refused', refusal: outcome.refusal });
        continue;
      }
      if ('ejection' in outcome) {
        note(trail, { deployment, kind: 'ejected', ejection: outcome.ejection });
        continue;
      }
      if ('busy' in outcome) {
        note(trail, { deployment, kind: 'busy', limit: outcome.busy.limit });
        continue;
      }
      trail.calls++;
      if (calledInGroup++ > 0) trail.retries++;
      if ('served' in outcome) {
        trail.upstreamMs += outcome.served.upstreamMs;
        return servedBy(outcome.served, group, trail);
      }
      trail.upstreamMs += outcome.upstreamMs;
      const failed = outcome.failure;
      note(trail, { deployment, kind: 'failed', failure: failed });
      if (failed.kind === 'aborted') throw abortedError(request);
      if (!failed.moveOn) throw failureError(failed, 'caller_mistake');
      if (failed.kind === 'context_window') {
        needsContextAbove = Math.max(needsContextAbove, deployment.contextWindow ?? 0);
        const visited = chain.slice(0, index + 1);
        chain = [...visited, ...withinKey(table.contextChainFor(request.alias), request, trail).filter((g) => !visited.includes(g))];
      }
    }
  }
  return undefined;
}

/**
 * The served answer with its group and trail, built field by field: a spread followed by more keys makes
 * V8 work out the object's shape again on every request (about 1.7 µs, measured), and this object is
 * read all through the answer.
 */
function servedBy(served: Served, group: ModelGroup, trail: AttemptTrail): ServedResponse {
  return {
    deployment: served.deployment,
    upstream: served.upstream,
    body: served.body,
    usage: served.usage,
    stream: served.stream,
    attempt: served.attempt,
    completionCap: served.completionCap,
    finish: served.finish,
    upstreamMs: served.upstreamMs,
    group,
    trail,
  };
}

/**
 * Whether, and after how long, to walk the chain again: only when this pass reached an upstream and
 * failed, the last failure's class still has retries left, and the wait ends before the deadline.
 * Deployments merely out of budget or ejected are not waited for here; the caller hears when
 * they free up (`retry-after`), or `max_queue_wait_seconds` holds the request.
 */
function retryWaitMs(records: readonly AttemptRecord[], pass: number, request: RoutedRequest, ctx: RouteContext): number | undefined {
  const failures = records.flatMap((r) => (r.kind === 'failed' ? [r.failure] : []));
  const last = failures.at(-1);
  if (last === undefined) return undefined;
  if (pass >= retriesFor(last.kind, request.numRetries ?? ctx.router.numRetries, ctx.router.retryPolicy)) return undefined;
  const upstreamWaits = failures.flatMap((f) => (f.kind === 'rate_limit' && f.retryAfterSec !== undefined ? [f.retryAfterSec * 1000] : []));
  const wait = upstreamWaits.length > 0 ? Math.min(...upstreamWaits) : backoffMs(pass);
  return performance.now() + wait < request.deadline ? wait : undefined;
}

/** The request's own `fallbacks` replace the configured ones for it, as in LiteLLM. */
function withRequestFallbacks(chain: readonly ModelGroup[], request: RoutedRequest): readonly ModelGroup[] {
  const extra = request.extraFallbacks;
  if (extra === undefined) return chain;
  const first = chain[0];
  return first === undefined ? chain : [first, ...extra.filter((g) => g !== first)];
}

/** What `mock_testing_fallbacks` makes of the alias's own deployments: failed, as a 500 would leave them. */
const MOCK_FAILURE: UpstreamFailure = failure('server_error', 'mock_testing_fallbacks: the primary was treated as failed, without an upstream call');

function skipReason(deployment: Deployment, request: RoutedRequest, needsContextAbove: number): { reason: string; contextWindow?: number } | undefined {
  if (deployment.client === undefined) return { reason: `not configured: ${deployment.config.unconfiguredReason ?? 'no API key'}` };
  const unfit = request.operation.unfit?.(deployment);
  if (unfit !== undefined) return { reason: unfit.reason };
  const { promptTokens } = request;
  const window = deployment.contextWindow;
  if (window !== null && (promptTokens > window || (needsContextAbove > 0 && window <= needsContextAbove))) {
    return { reason: `context window ${window} tokens is too small for ~${promptTokens} prompt tokens`, contextWindow: window };
  }
  return undefined;
}

function abortedError(request: RoutedRequest): GatewayError {
  if (request.signal.reason === SHUTTING_DOWN) {
    return new GatewayError(503, `the gateway is shutting down; ${request.alias} was not answered in its grace period, retry`, { code: 'gateway_shutting_down' });
  }
  if (performance.now() >= request.deadline) {
    return new GatewayError(408, `request timed out for ${request.alias}`, { type: 'timeout_error', code: 'timeout' });
  }
  // The caller is gone; this answer is never read, but keeps the handler's contract.
  return new GatewayError(499, 'client closed the request', { code: 'client_closed_request' });
}
