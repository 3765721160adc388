import { afterEach, describe, expect, it } from 'vitest';
import { createRedisClient } from '../quota/redis-client.js';
import { testRedis, uniquePrefix } from '../../test/support/redis-testing.js';
import { SharedBreakers, type SharedOpening } from './shared-breakers.js';

const started: SharedBreakers[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function instance(prefix: string, heard: SharedOpening[]): Promise<{ breakers: SharedBreakers; client: ReturnType<typeof createRedisClient> }> {
  const client = createRedisClient(testRedis());
  const breakers = new SharedBreakers(client, prefix, (opening) => heard.push(opening));
  await breakers.start();
  started.push(breakers);
  return { breakers, client };
}

async function until(check: () => boolean, ms = 2_000): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!check() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return check();
}

const opening = (deploymentId: string, ms: number): SharedOpening => ({ deploymentId, ms, reason: '500 server error: boom', kind: 'server_error', status: 500 });

describe('SharedBreakers', () => {
  it('tells the other instances of an opening, not itself', async () => {
    const prefix = uniquePrefix();
    const heardByA: SharedOpening[] = [];
    const heardByB: SharedOpening[] = [];
    const a = await instance(prefix, heardByA);
    await instance(prefix, heardByB);
    a.breakers.publish(opening('d1', 5_000));
    expect(await until(() => heardByB.length === 1)).toBe(true);
    expect(heardByB[0]).toMatchObject({ deploymentId: 'd1', ms: 5_000, status: 500 });
    expect(heardByA).toEqual([]);
  });

  it('publishes an opening made while Redis was away again on reconnect, with the rest of its time only', async () => {
    const prefix = uniquePrefix();
    const heardByB: SharedOpening[] = [];
    const a = await instance(prefix, []);
    await instance(prefix, heardByB);
    a.client.disconnect();
    a.breakers.publish(opening('d1', 5_000));
    a.breakers.publish(opening('d2', 1));
    await new Promise((r) => setTimeout(r, 150));
    expect(heardByB).toEqual([]);
    await a.client.connect();
    expect(await until(() => heardByB.length > 0)).toBe(true);
    expect(heardByB.map((o) => o.deploymentId)).toEqual(['d1']);
    expect(heardByB[0]?.ms).toBeGreaterThan(4_000);
    expect(heardByB[0]?.ms).toBeLessThan(5_000);
  });
});
