/**
 * The soak: mixed stream and non-stream traffic through two gateway processes sharing Redis, while one
 * of them is stopped (SIGTERM, a graceful drain) and started again, over and over. Requests may fail only
 * on the stopped instance: refused because it no longer accepts, or cut at the end of its grace period;
 * the other never fails. Afterwards no budget is left booked: the shared day budget counts no more
 * requests than the upstream received. `npm run test:chaos` soaks for ten minutes; `npm test` for
 * CHAOS_SOAK_SECONDS (default 20).
 */
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../support/redis-testing.js';
import { startFakeGroq, type FakeGroq } from '../fake-groq/server.js';
import { claimRedisDb, getJson, sleep, spawnGateway, tempDir, type ClaimedDb, type GatewayProcess, type TempDir } from '../multi/support.js';

const SOAK_MS = Number(process.env.CHAOS_SOAK_SECONDS ?? 20) * 1000;
const MODEL = 'llama-3.1-8b-instant';
const ALIAS = 'groq/llama-3.1-8b-instant';
const CLIENTS = 6;
const GRACE_S = 3;
/** Bounds the loop in count as well as in time. */
const MAX_REQUESTS = 200_000;

let redis: ClaimedDb;
let dir: TempDir;
let fake: FakeGroq;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  redis = await claimRedisDb();
  dir = tempDir();
  fake = await startFakeGroq({ latencyMs: 30, chunkDelayMs: 5 });
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await fake?.close();
  await noKeepAlive.close();
  dir?.remove();
  await redis?.release();
});

function config(): string {
  return `model_list:
  - model_name: ${ALIAS}
    litellm_params:
      model: groq/${MODEL}
      api_key: os.environ/GROQ_API_KEY
      api_base: ${fake.url}/openai/v1
      rpm: 1000000
      tpm: 1000000000
      rpd: 100000000
      tpd: null
router_settings:
  redis_url: ${testRedisUrl(redis.db)}
  gateway_instances: 2
  num_retries: 0
general_settings:
  graceful_shutdown_seconds: ${GRACE_S}
`;
}

interface Outcome {
  readonly instance: 'steady' | 'restarted';
  readonly ok: boolean;
  /** Never accepted: the connection was refused while the instance was down, so a balancer retries it elsewhere. */
  readonly refused: boolean;
  readonly detail: string;
}

/** A connection per request: a request is then either accepted by the gateway or refused, never lost to a kept-alive socket's close race. */
const noKeepAlive = new Agent({ pipelining: 0 });

async function one(url: string, instance: Outcome['instance'], stream: boolean): Promise<Outcome> {
  let answered = false;
  try {
    const res = await fetch(`${url}/v1/chat/completions`, {
      dispatcher: noKeepAlive,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: ALIAS, stream, max_tokens: 32, messages: [{ role: 'user', content: 'soak' }] }),
      signal: AbortSignal.timeout(30_000),
    });
    answered = true;
    const text = await res.text();
    const ok = res.status === 200 && (stream ? text.trimEnd().endsWith('data: [DONE]') && !text.includes('"error"') : text.includes('"choices"'));
    return { instance, ok, refused: false, detail: `${res.status} ${text.slice(-200)}` };
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    // Refused, or reset while still in the listen backlog when the instance stopped listening.
    const refused = !answered && (code === 'ECONNREFUSED' || code === 'ECONNRESET');
    return { instance, ok: false, refused, detail: `${code ?? ''} ${String(err)}` };
  }
}

describe('soak: two instances sharing Redis, one stopped and restarted under load', () => {
  it('fails requests only on the stopped instance and leaves no budget booked', { timeout: SOAK_MS + 120_000 }, async () => {
    const file = dir.write('soak.yaml', config());
    const steady = await spawnGateway(file);
    gateways.push(steady);
    let restarted = await spawnGateway(file);
    gateways.push(restarted);
    let restartedUrl: string = restarted.url;

    const outcomes: Outcome[] = [];
    const until = Date.now() + SOAK_MS;
    let sent = 0;
    const client = async (index: number) => {
      while (Date.now() < until && sent < MAX_REQUESTS) {
        const n = sent++;
        const toRestarted = n % 2 === 1;
        outcomes.push(await one(toRestarted ? restartedUrl : steady.url, toRestarted ? 'restarted' : 'steady', (n + index) % 3 === 0));
      }
    };
    const restarts = async () => {
      let cycles = 0;
      while (Date.now() < until - 5_000) {
        await sleep(Math.min(5_000, SOAK_MS / 4));
        const exit = new Promise<number | null>((resolve) => restarted.child.once('exit', (code) => resolve(code)));
        restarted.child.kill('SIGTERM');
        expect(await exit).toBe(0);
        restarted = await spawnGateway(file);
        gateways.push(restarted);
        restartedUrl = restarted.url;
        cycles++;
      }
      return cycles;
    };
    const [cycles] = await Promise.all([restarts(), ...Array.from({ length: CLIENTS }, (_, i) => client(i))]);

    const failed = outcomes.filter((o) => !o.ok);
    const summary = `${outcomes.length} requests, ${cycles} restarts, ${failed.length} failed (${failed.filter((o) => o.refused).length} refused while down)`;
    console.log(`soak: ${summary}`);
    expect(cycles).toBeGreaterThanOrEqual(1);
    // The steady instance never fails; the restarted one only refuses connections while it is down
    // (answers here are far shorter than the grace period, so none it accepted is cut or lost).
    expect(failed.filter((o) => o.instance === 'steady').map((o) => o.detail)).toEqual([]);
    expect(failed.filter((o) => !o.refused).map((o) => o.detail)).toEqual([]);

    // No budget left booked: the shared day budget has counted no request the upstream did not receive.
    const quota = (await getJson(`${steady.url}/quota`)) as { budgets: Array<{ model: string; windows: Record<string, { used: number }> }> };
    const used = quota.budgets.find((b) => b.model === MODEL)?.windows.rpd?.used;
    expect(used).toBeDefined();
    expect(used).toBeLessThanOrEqual(fake.callCount(MODEL));
    expect(used).toBeGreaterThanOrEqual(outcomes.filter((o) => o.ok).length);
  });
});
