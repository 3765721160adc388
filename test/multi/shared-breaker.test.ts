/**
 * Breakers across instances: a deployment that fails on gateway A rests on gateway B too, at once, and
 * when the rest ends the two instances send it a single half-open trial between them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGroq, type FakeGroq } from '../fake-groq/server.js';
import { testRedisUrl } from '../support/redis-testing.js';
import { chat, claimRedisDb, getJson, sleep, spawnGateway, tempDir, type ClaimedDb, type GatewayProcess, type TempDir } from './support.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PRIMARY = 'llama-3.3-70b-versatile';
const BACKUP = 'llama-3.1-8b-instant';

let redis: ClaimedDb;
let dir: TempDir;
let fake: FakeGroq;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  redis = await claimRedisDb();
  dir = tempDir();
  fake = await startFakeGroq();
  const config = join(dir.path, 'litellm.config.yaml');
  const deployment = (alias: string, model: string) =>
    `  - model_name: ${alias}\n    litellm_params:\n      model: groq/${model}\n      api_key: os.environ/GROQ_API_KEY\n      api_base: ${fake.url}\n      rpm: 100000\n      tpm: 100000000\n      rpd: null\n      tpd: null\n    model_info:\n      id: ${alias}-id\n`;
  writeFileSync(
    config,
    `model_list:\n${deployment('primary', PRIMARY)}${deployment('backup', BACKUP)}router_settings:\n  redis_url: ${testRedisUrl(redis.db)}\n  allowed_fails: 0\n  cooldown_time: 3\n  num_retries: 0\nlitellm_settings:\n  fallbacks:\n    - primary: [backup]\n`,
  );
  gateways.push(await spawnGateway(config), await spawnGateway(config));
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
  await fake?.close();
  dir?.remove();
  await redis?.release();
});

describe('breakers shared through Redis', () => {
  it('rests a deployment on B as soon as A opened its breaker, and probes it once between them', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    fake.fail(PRIMARY, { status: 500 }, 1);
    const first = await chat(a.url, 'primary');
    expect(first.status).toBe(200);
    expect(fake.callCount(PRIMARY)).toBe(1);
    // B has never seen the deployment fail; the opening reaches it through Redis.
    let open = false;
    for (let i = 0; i < 50 && !open; i++) {
      const health = (await getJson(`${b.url}/health`)) as { unhealthy_endpoints: Array<{ model_id: string; breaker: { state: string } }> };
      open = health.unhealthy_endpoints.some((e) => e.model_id === 'primary-id' && e.breaker.state === 'open');
      if (!open) await sleep(20);
    }
    expect(open).toBe(true);
    for (let i = 0; i < 5; i++) expect((await chat(b.url, 'primary')).status).toBe(200);
    expect(fake.callCount(PRIMARY)).toBe(1);

    // After the cooldown both instances are half-open; between them they send a single trial.
    await sleep(3_200);
    fake.fail(PRIMARY, { kind: 'delay', ms: 400 }, 1);
    const answers = await Promise.all([a, b, a, b].map((g) => chat(g.url, 'primary')));
    expect(answers.every((x) => x.status === 200)).toBe(true);
    expect(fake.callCount(PRIMARY)).toBe(2);
  }, 30_000);
});
