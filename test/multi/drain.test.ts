/**
 * SIGTERM with requests in flight: a gateway process drains. Requests that finish within
 * `graceful_shutdown_seconds` are answered in full; a stream still running at the deadline ends with an
 * error frame and `[DONE]`; every reservation is given back in Redis, so another instance sharing it
 * is not left short; the process exits 0.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../support/redis-testing.js';
import { claimRedisDb, getJson, spawnGateway, tempDir, type ClaimedDb, type GatewayProcess, type TempDir } from './support.js';

const SLOW = 'llama-3.3-70b-versatile';
const STUCK = 'llama-3.1-8b-instant';

let redis: ClaimedDb;
let dir: TempDir;
let upstream: Server;
let upstreamUrl: string;
const received: string[] = [];
const gateways: GatewayProcess[] = [];

const usage = { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 };
const chunk = (content: string, extra: object = {}) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }], ...extra })}\n\n`;

/** SLOW answers after a pause (streams over the same pause); STUCK streams one frame and then nothing. */
function answer(model: string, stream: boolean, res: ServerResponse): void {
  if (model === STUCK) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk('started'));
    return;
  }
  if (!stream) {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message: { role: 'assistant', content: 'slow answer' }, finish_reason: 'stop' }], usage }));
    }, 1_000);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chunk('one'));
  setTimeout(() => res.end(chunk('two', { x_groq: { usage } }) + 'data: [DONE]\n\n'), 1_000);
}

beforeAll(async () => {
  redis = await claimRedisDb();
  dir = tempDir();
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { model: string; stream?: boolean };
      received.push(parsed.model);
      answer(parsed.model, parsed.stream === true, res);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/openai/v1`;
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
  dir?.remove();
  await redis?.release();
});

function config(): string {
  const deployment = (model: string) => `  - model_name: groq/${model}
    litellm_params:
      model: groq/${model}
      api_key: os.environ/GROQ_API_KEY
      api_base: ${upstreamUrl}
      rpm: 1000
      tpm: 10000000
      rpd: null
      tpd: null
`;
  return `model_list:
${deployment(SLOW)}${deployment(STUCK)}router_settings:
  redis_url: ${testRedisUrl(redis.db)}
  gateway_instances: 2
  num_retries: 0
general_settings:
  graceful_shutdown_seconds: 4
`;
}

async function post(url: string, model: string, stream: boolean): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: `groq/${model}`, stream, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }),
    });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    return { status: 0, text: String((err as Error).cause ?? err) };
  }
}

type QuotaView = { budgets: Array<{ model: string; windows: Record<string, { used: number }> }> };

describe('graceful drain', () => {
  it('SIGTERM with requests in flight: loses none, ends a stuck stream with an error frame and [DONE], leaves no reservation in Redis, exits 0', async () => {
    const file = dir.write('drain.yaml', config());
    const gateway = await spawnGateway(file);
    gateways.push(gateway);

    const slow = [post(gateway.url, SLOW, false), post(gateway.url, SLOW, false), post(gateway.url, SLOW, true), post(gateway.url, SLOW, true)];
    const stuck = post(gateway.url, STUCK, true);
    await expect.poll(() => received.length, { timeout: 15_000 }).toBe(5);

    const exit = new Promise<number | null>((resolve) => gateway.child.once('exit', (code) => resolve(code)));
    gateway.child.kill('SIGTERM');

    for (const answer of await Promise.all(slow)) {
      expect(answer.status).toBe(200);
      expect(answer.text).toMatch(/slow answer|\[DONE\]/);
    }
    const cut = await stuck;
    expect(cut.status).toBe(200);
    const frames = cut.text.split('\n\n').filter(Boolean);
    expect(frames.at(-2)).toMatch(/^data: \{"error":/);
    expect(frames.at(-2)).toContain('shutting down');
    expect(frames.at(-1)).toBe('data: [DONE]');
    expect(await exit).toBe(0);
    expect(gateway.output()).toContain('SIGTERM');

    // Another instance on the same Redis: the stuck request's reservation was given back.
    const other = await spawnGateway(file);
    gateways.push(other);
    const quota = (await getJson(`${other.url}/quota`)) as QuotaView;
    const stuckBudget = quota.budgets.find((b) => b.model === STUCK);
    expect(stuckBudget?.windows.rpm?.used).toBe(0);
    expect(stuckBudget?.windows.tpm?.used).toBe(0);
    // The finished ones are settled (how many tokens a settled answer keeps booked is the budgets' rule).
    const slowBudget = quota.budgets.find((b) => b.model === SLOW);
    expect(slowBudget?.windows.rpm?.used).toBe(4);
  }, 60_000);
});
