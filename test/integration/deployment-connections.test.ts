import { createServer, type Server, type ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './harness.js';

/**
 * Two deployments on one upstream host (as every Groq deployment shares api.groq.com). Streams held on
 * the first, up to its max_parallel_requests, must not hold back the second; past its limit the first is
 * skipped like a full budget instead of queueing behind its own streams.
 */
const HELD = 'llama-3.3-70b-versatile';
const FREE = 'llama-3.1-8b-instant';
let upstream: Server;
const held: ServerResponse[] = [];
const seen: string[] = [];
let stack: Stack;

const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] })}\n\n`;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const { model } = JSON.parse(body) as { model: string };
      seen.push(model);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk('started'));
      if (model === HELD) return void held.push(res);
      res.end(`${chunk(' and done')}data: [DONE]\n\n`);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/openai/v1`;
  const deployment = (alias: string, model: string, extra = '') =>
    `  - model_name: ${alias}\n    litellm_params:\n      model: groq/${model}\n      api_key: os.environ/GROQ_API_KEY\n      api_base: ${base}\n      rpm: 100000\n      tpm: 100000000\n      rpd: null\n      tpd: null\n${extra}`;
  stack = await startStack({
    yaml: `model_list:\n${deployment('held', HELD, '      max_parallel_requests: 2\n')}${deployment('free', FREE)}router_settings:\n  num_retries: 0\n`,
  });
});
afterAll(async () => {
  for (const res of held) res.end();
  await stack?.close();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

async function firstChunk(model: string) {
  const stream = await stack.openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true });
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  return { first, iterator };
}

describe('connection limits per deployment', () => {
  it('a deployment at max_parallel_requests is skipped; another deployment on the same host is served meanwhile', async () => {
    const open = [await firstChunk('held'), await firstChunk('held')];
    expect(open.every((s) => s.first.done === false)).toBe(true);

    // The third is not sent upstream to queue behind the two: the deployment is busy, said at once.
    const error = await stack.openai().chat.completions.create({ model: 'held', messages: [{ role: 'user', content: 'hi' }] }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
    expect((error as Error).message).toContain('max_parallel_requests');
    expect(seen.filter((m) => m === HELD)).toHaveLength(2);

    // The other deployment is untouched by the held streams.
    const { first, iterator } = await firstChunk('free');
    expect(first.done).toBe(false);
    let rest = '';
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest += next.value.choices[0]?.delta.content ?? '';
    expect(rest).toBe(' and done');
  });
});
