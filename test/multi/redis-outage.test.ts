/**
 * Two gateway processes share budgets through Redis reached via a TCP proxy the test can cut.
 * Cut (a partition: connections stay open, nothing answers): both keep answering at once, from a local
 * share of each budget, and say so in /health/readiness and /metrics. Restored: both rejoin, a request
 * on one shows in the other's /quota, and the shared limit binds both together again.
 *
 * The gateways run as their own processes, not in this one: the proxy shares this process's event loop,
 * and gateways here would see its forwarding delayed by their own work and by vitest's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGroq, type FakeGroq } from '../fake-groq/server.js';
import {
  claimRedisDb,
  drive,
  eventually,
  getJson,
  getText,
  multiConfig,
  spawnGateway,
  startRedisProxy,
  tempDir,
  type Answer,
  type ClaimedDb,
  type GatewayProcess,
  warmUp,
  type RedisProxy,
  type TempDir,
  sleep,
} from './support.js';

const MODEL = 'llama-3.1-8b-instant';
const ALIAS = 'groq/llama-3.1-8b-instant';
/** The budget's requests per minute; each instance keeps half of it while Redis is away. */
const RPM = 40;
/** What "answers at once" means here: a bound on waiting, far above the 50 ms the store may wait. */
const ANSWER_BOUND_MS = 1_000;
/** How long Redis stays away: past ioredis's 2 s command timeout for calls left unanswered. */
const CUT_MS = 3_500;

let redis: ClaimedDb;
let proxy: RedisProxy;
let fake: FakeGroq;
let dir: TempDir;
const gateways: GatewayProcess[] = [];
const logs = () => gateways.map((g, i) => g.output().replace(/^/gm, `[${'ab'[i]}] `)).join('');

beforeAll(async () => {
  redis = await claimRedisDb();
  proxy = await startRedisProxy();
  fake = await startFakeGroq(); // generous limits: only the gateways' budgets bind here
  dir = tempDir();
  const config = dir.write('redis.yaml', multiConfig({ fakeUrl: fake.url, model: MODEL, alias: ALIAS, rpm: RPM, redisUrl: `redis://127.0.0.1:${proxy.port}/${redis.db}`, instances: 2 }));
  const started = await Promise.allSettled([spawnGateway(config), spawnGateway(config)]);
  for (const s of started) if (s.status === 'fulfilled') gateways.push(s.value);
  for (const s of started) if (s.status === 'rejected') throw s.reason;
  await warmUp(gateways.map((g) => g.url));
});

afterAll(async () => {
  await Promise.allSettled(gateways.splice(0).map((g) => g.stop()));
  await proxy?.close();
  await fake?.close();
  dir?.remove();
  await redis?.release();
});

interface QuotaView {
  budgets: Array<{ model: string; windows: { rpm: { used: number; limit: number } } }>;
}

async function rpmUsed(gateway: GatewayProcess): Promise<number> {
  const quota = (await getJson(`${gateway.url}/quota`)) as QuotaView;
  const used = quota.budgets.find((b) => b.model === MODEL)?.windows.rpm.used;
  if (used === undefined) throw new Error(`no ${MODEL} budget in /quota: ${JSON.stringify(quota)}`);
  return used;
}

async function degraded(gateway: GatewayProcess): Promise<unknown> {
  const readiness = (await getJson(`${gateway.url}/health/readiness`)) as { budgets: { store: string; degraded?: boolean } };
  return readiness.budgets;
}

function summary(answers: readonly (Answer & { gateway: number })[]): string {
  return JSON.stringify(answers.map((a) => [a.gateway, a.status, Math.round(a.ms)])) + `\n${logs()}`;
}

describe('two gateways when Redis goes away and comes back', () => {
  it('keep answering from their local share while cut, then share one budget again', async () => {
    const urls = gateways.map((g) => g.url);
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];

    // Shared: ten requests across both, each visible to both.
    for (const g of gateways) expect(await degraded(g)).toEqual({ store: 'redis', degraded: false });
    const before = await drive(urls, ALIAS, 10, 4, 10_000);
    expect(before.map((x) => x.status), summary(before)).toEqual(Array(10).fill(200));
    expect(await rpmUsed(a), logs()).toBe(10);
    expect(await rpmUsed(b)).toBe(10);

    // Cut: a partition (connections open, no replies).
    const warm = gateways.map((g) => g.output().length);
    await proxy.setMode('blackhole');
    const cutAt = Date.now();
    const cut = await drive(urls, ALIAS, 60, 6, 20_000);
    // Keep Redis away for longer than the client's 2 s command timeout, with a request now and then (each
    // second one of them probes Redis), as a real outage would have.
    while (Date.now() - cutAt < CUT_MS) {
      cut.push(...(await drive(urls, ALIAS, 2, 2, 5_000)).map((x) => ({ ...x })));
      await sleep(250);
    }
    expect(cut.length, summary(cut)).toBeGreaterThanOrEqual(60);
    for (const answer of cut) {
      // Every request completes, with an answer (never a hang or a 5xx), within the bound.
      expect([200, 429], summary(cut)).toContain(answer.status);
      expect(answer.ms, summary(cut)).toBeLessThan(ANSWER_BOUND_MS);
    }
    // Each instance spends at most its half of the budget on its own (the local store knows nothing of
    // the ten booked in Redis before the cut, as documented).
    for (const index of [0, 1]) {
      const mine = cut.filter((x) => x.gateway === index);
      expect(mine.filter((x) => x.status === 200), summary(cut)).toHaveLength(RPM / 2);
      for (const refused of mine.filter((x) => x.status === 429)) expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    }
    for (const g of gateways) {
      expect(await degraded(g)).toEqual({ store: 'redis', degraded: true });
      expect(await getText(`${g.url}/metrics`)).toMatch(/^groq_router_quota_store_degraded 1$/m);
    }
    // Each logged the switch once.
    for (const [i, g] of gateways.entries()) expect(g.output().slice(warm[i]).match(/shared store unavailable/g), logs()).toHaveLength(1);

    // Restored: both rejoin within a bounded wait (each /quota read is a call that may probe Redis).
    await proxy.setMode('pass');
    const rejoined = await eventually(async () => {
      await Promise.all(gateways.map((g) => rpmUsed(g)));
      const states = await Promise.all(gateways.map((g) => degraded(g)));
      return states.every((s) => (s as { degraded: boolean }).degraded === false);
    }, 15_000);
    expect(rejoined, logs()).toBe(true);
    for (const g of gateways) expect(await getText(`${g.url}/metrics`)).toMatch(/^groq_router_quota_store_degraded 0$/m);

    // Nothing the instances did while cut stays booked in Redis: the ten from before, no more. (Calls
    // that timed out during the cut must not be applied when the client reconnects.)
    await sleep(500);
    const seenByB = await rpmUsed(b);
    expect(seenByB, logs()).toBe(10);

    // A request on one is visible in the other's /quota.
    const one = await drive([a.url], ALIAS, 1, 1, 10_000);
    expect(one[0]?.status).toBe(200);
    expect(await rpmUsed(b)).toBe(seenByB + 1);
    expect(await rpmUsed(a)).toBe(seenByB + 1);

    // And the shared limit binds both together: exactly what is left of RPM is admitted, not twice it.
    const left = RPM - (seenByB + 1);
    expect(left).toBeGreaterThan(0);
    const after = await drive(urls, ALIAS, left + 20, 6, 20_000);
    expect(after.filter((x) => x.status === 200), summary(after)).toHaveLength(left);
    expect(after.filter((x) => x.status === 429)).toHaveLength(20);
    expect(await rpmUsed(a)).toBe(RPM);
    for (const g of gateways) expect(await degraded(g)).toEqual({ store: 'redis', degraded: false });
  }, 60_000);
});
