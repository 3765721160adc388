/**
 * Two gateway processes, one fake Groq enforcing RPM 20 for the organisation, one Redis: together the
 * gateways send Groq no more than 20 requests a minute and never earn a 429 from it, answering the rest
 * themselves with 429 + retry-after. The same two processes with in-memory budgets (the contrast) each
 * admit 20, so Groq sees more than 20 and sends 429s: the shared budget is what makes the difference.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGroq, type FakeGroq } from '../fake-groq/server.js';
import { testRedisUrl } from '../support/redis-testing.js';
import { claimRedisDb, drive, getJson, multiConfig, spawnGateway, tempDir, type Answer, type ClaimedDb, type GatewayProcess, type TempDir, warmUp } from './support.js';
import { bookingLifetimeMs } from '../../src/quota/types.js';

/** The longest wait a minute window can give: its minute, one bucket and its grace, in whole seconds. */
const LONGEST_RETRY_AFTER_S = Math.ceil(bookingLifetimeMs('rpm') / 1000);

const MODEL = 'llama-3.1-8b-instant';
const ALIAS = 'groq/llama-3.1-8b-instant';
const RPM = 20;
const REQUESTS = 60;

let redis: ClaimedDb;
let dir: TempDir;
const fakes: FakeGroq[] = [];
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  redis = await claimRedisDb();
  dir = tempDir();
});

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

afterAll(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  dir?.remove();
  await redis?.release();
});

async function startPair(redisUrl: string | undefined): Promise<{ fake: FakeGroq; urls: string[] }> {
  const fake = await startFakeGroq({ limits: { [MODEL]: { rpm: RPM } } });
  fakes.push(fake);
  const config = dir.write(`${redisUrl === undefined ? 'memory' : 'redis'}.yaml`, multiConfig({ fakeUrl: fake.url, model: MODEL, alias: ALIAS, rpm: RPM, redisUrl }));
  const started = await Promise.allSettled([spawnGateway(config), spawnGateway(config)]);
  for (const s of started) if (s.status === 'fulfilled') gateways.push(s.value);
  for (const s of started) if (s.status === 'rejected') throw s.reason;
  const urls = gateways.map((g) => g.url);
  await warmUp(urls);
  return { fake, urls };
}

function tally(answers: readonly Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}

function upstream(fake: FakeGroq): { admitted: number; rejected: number; other: number } {
  const calls = fake.calls.filter((c) => c.model === MODEL);
  return {
    admitted: calls.filter((c) => c.status === 200).length,
    rejected: calls.filter((c) => c.status === 429).length,
    other: calls.filter((c) => c.status !== 200 && c.status !== 429).length,
  };
}

describe('two gateway processes sharing budgets through Redis', () => {
  it(`send Groq at most RPM ${RPM} together and never earn a 429`, async () => {
    const { fake, urls } = await startPair(testRedisUrl(redis.db));
    for (const url of urls) expect(await getJson(`${url}/health/readiness`)).toMatchObject({ budgets: { store: 'redis', degraded: false } });

    const warm = gateways.map((g) => g.output().length);
    const started = Date.now();
    const answers = await drive(urls, ALIAS, REQUESTS, 20, 20_000);
    const elapsed = Date.now() - started;
    const logs = gateways.map((g) => g.output()).join('\n');

    expect(answers, logs).toHaveLength(REQUESTS);
    // Well inside one minute, so the fake's 60 s window holds every call.
    expect(elapsed).toBeLessThan(30_000);
    const seen = upstream(fake);
    expect(seen, `${JSON.stringify(tally(answers))}\n${logs}`).toEqual({ admitted: RPM, rejected: 0, other: 0 });

    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    expect(ok).toHaveLength(RPM);
    expect(limited).toHaveLength(REQUESTS - RPM);
    // Both gateways served some of the 20: the budget was shared, not one instance doing all the work.
    expect(new Set(ok.map((a) => a.gateway)).size).toBe(2);
    for (const a of limited) {
      expect(Number(a.retryAfter), a.body).toBeGreaterThan(0);
      // Whole seconds, rounded up, to when the oldest booking leaves the 60 s window (its bucket and grace).
      expect(Number(a.retryAfter)).toBeLessThanOrEqual(LONGEST_RETRY_AFTER_S);
      expect(a.body).toMatch(/RPM/);
    }

    // Each gateway's /quota reads the one shared budget: both see all 20 requests.
    for (const url of urls) {
      const quota = (await getJson(`${url}/quota`)) as { budgets: Array<{ model: string; windows: { rpm: { used: number; limit: number } } }> };
      const budget = quota.budgets.find((b) => b.model === MODEL);
      expect(budget?.windows.rpm).toMatchObject({ used: RPM, limit: RPM });
    }
    // Redis was never away: neither instance may have fallen back to its local share.
    for (const url of urls) expect(await getJson(`${url}/health/readiness`)).toMatchObject({ budgets: { store: 'redis', degraded: false } });
    expect(gateways.map((g, i) => g.output().slice(warm[i])).join('')).not.toContain('shared store unavailable');
    // The budget lives in the claimed logical database.
    expect(await redis.client.dbsize()).toBeGreaterThan(0);
  }, 60_000);

  it('contrast: the same two processes with in-memory budgets admit more than RPM and Groq answers 429', async () => {
    const { fake, urls } = await startPair(undefined);
    for (const url of urls) expect(await getJson(`${url}/health/readiness`)).toMatchObject({ budgets: { store: 'memory' } });

    const answers = await drive(urls, ALIAS, REQUESTS, 20, 20_000);
    expect(answers).toHaveLength(REQUESTS);
    const seen = upstream(fake);
    // Each instance believes it has the whole RPM: more than RPM reach Groq, which refuses the excess.
    expect(seen.admitted + seen.rejected, JSON.stringify(seen)).toBeGreaterThan(RPM);
    expect(seen.admitted).toBe(RPM);
    expect(seen.rejected).toBeGreaterThan(0);
    // Each gateway alone stays within RPM; only together do they overshoot.
    expect(seen.admitted + seen.rejected).toBeLessThanOrEqual(2 * RPM);
  }, 60_000);
});
