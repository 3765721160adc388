import { describe, expect, it } from 'vitest';
import { DeploymentBreaker, type BreakerPolicy } from '../breaker/breaker.js';
import { loadCatalog } from '../catalog/load.js';
import { parseConfig } from '../config/load.js';
import { GatewayError } from '../errors.js';
import { createLogger } from '../log.js';
import { chatOperation } from '../endpoints/chat/operation.js';
import { MemoryQuotaStore } from '../quota/memory-store.js';
import { TokenPlanning } from '../quota/token-planning.js';
import type { FetchLike } from '../upstream/transport.js';
import { routeRequest, type RouteContext } from './route-request.js';
import { RoutingError } from './routing-error.js';
import { RoutingTable } from './table.js';

const catalog = loadCatalog();

function setUp(extraYaml = '') {
  const fetched: string[] = [];
  const fetch: FetchLike = (url) => {
    fetched.push(String(url));
    return Promise.reject(new Error('no network in unit tests'));
  };
  const yaml = `model_list:
  - model_name: a
    litellm_params: {model: groq/llama-3.3-70b-versatile, api_key: os.environ/GROQ_API_KEY}
  - model_name: b
    litellm_params: {model: groq/openai/gpt-oss-120b, api_key: os.environ/GROQ_API_KEY}
router_settings:
  allowed_fails: 0
litellm_settings:
  fallbacks:
    - a: [b]
${extraYaml}`;
  const config = parseConfig(yaml, 'test.yaml', { GROQ_API_KEY: 'gsk_unit' });
  const table = new RoutingTable(config, catalog, {
    fetch,
    statsFor: () => ({ inFlight: 0, latencyEwmaMs: undefined }),
    breakerFor: (_id: string, label: string, policy: BreakerPolicy) => new DeploymentBreaker(label, policy, () => {}),
  });
  const ctx: RouteContext = {
    quota: new MemoryQuotaStore(),
    log: createLogger('error', () => {}),
    router: { ...config.router, numRetries: 0, retryPolicy: {}, dropParams: true, timeoutMs: 5_000, streamTimeoutMs: undefined, completionCap: 'requested' },
    redact: (text) => text,
  };
  return { fetched, table, ctx };
}

/** Nested beyond what JSON.stringify can walk: built in code, past any check at the door. */
function deeplyNested(levels: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

describe('an exception before any byte goes upstream', () => {
  it('is the gateway\'s own error: never an upstream call, never a breaker failure, never a fallback', async () => {
    const { fetched, table, ctx } = setUp();
    const body = { model: 'a', messages: [{ role: 'user', content: 'hi' }], tools: deeplyNested(100_000) };
    const request = {
      alias: 'a',
      operation: chatOperation(body, 'a', 10, new TokenPlanning()),
      stream: false,
      promptTokens: 10,
      signal: new AbortController().signal,
      deadline: performance.now() + 10_000,
    };
    for (let i = 0; i < 3; i++) {
      const err = await routeRequest(request, table, ctx).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RoutingError);
      expect((err as GatewayError).status).toBe(400);
      expect((err as RoutingError).trail.calls).toBe(0);
      expect((err as RoutingError).trail.all.filter((r) => r.kind === 'failed')).toEqual([]);
    }
    expect(fetched).toEqual([]);
    expect(table.deployments.map((d) => d.breaker.state)).toEqual(['closed', 'closed']);
    // The reservation was given back.
    const budget = table.deployments[0]?.budget;
    if (budget !== undefined) expect((await ctx.quota.snapshot(budget)).windows.rpm.used).toBe(0);
  });
});

describe('a client key limited to some aliases', () => {
  it('never reaches a context-window fallback outside its list, and the answer says so', async () => {
    const { fetched, table, ctx } = setUp('  context_window_fallbacks:\n    - a: [b]\n');
    const request = {
      alias: 'a',
      operation: chatOperation({ model: 'a', messages: [{ role: 'user', content: 'hi' }] }, 'a', 200_000, new TokenPlanning()),
      stream: false,
      promptTokens: 200_000,
      signal: new AbortController().signal,
      deadline: performance.now() + 10_000,
      mayUseAlias: (alias: string) => alias === 'a',
    };
    const err = await routeRequest(request, table, ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RoutingError);
    expect((err as GatewayError).message).toContain("outside this key's aliases were not tried: b");
    expect((err as RoutingError).trail.all.map((r) => r.deployment.alias)).toEqual(['a']);
    expect(fetched).toEqual([]);
  });
});
