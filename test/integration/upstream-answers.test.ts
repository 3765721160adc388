import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, UNLIMITED, type Stack } from './harness.js';

/**
 * An upstream that answers 200 with whatever the test scripts: the answers no real Groq should send,
 * which the gateway must not relay as successes.
 */
type Script = (req: IncomingMessage, res: ServerResponse) => void;
let script: Script = (_req, res) => res.end();
let upstream: Server;
let upstreamUrl: string;
/** Whether the last scripted answer's socket closed before it was all written. */
let cutShort = false;

const PRIMARY = 'groq/primary';
const FALLBACK = 'groq/fallback';
const messages = [{ role: 'user' as const, content: 'Say hello' }];

let stack: Stack;
beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => script(req, res));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  stack = await startStack({
    yaml: `model_list:
  - model_name: ${PRIMARY}
    litellm_params:
      model: groq/llama-3.3-70b-versatile
      api_key: os.environ/GROQ_API_KEY
      api_base: ${upstreamUrl}${UNLIMITED}
${deploymentYaml(FALLBACK, 'openai/gpt-oss-120b')}
  - model_name: groq/alone
    litellm_params:
      model: groq/llama-3.1-8b-instant
      api_key: os.environ/GROQ_API_KEY
      api_base: ${upstreamUrl}${UNLIMITED}
router_settings:
  allowed_fails: 1000
  num_retries: 0
  max_response_size_mb: 4
litellm_settings:
  fallbacks:
    - ${PRIMARY}: [${FALLBACK}]
`,
  });
});
afterEach(() => {
  cutShort = false;
});
afterAll(async () => {
  await stack?.close();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

function answer(status: number, contentType: string, body: string): Script {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  };
}

const chatJson = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'scripted' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

describe('a 2xx that is not an answer is an upstream failure', () => {
  for (const [name, contentType, body] of [
    ['HTML', 'text/html', '<html><body>502 Bad Gateway</body></html>'],
    ['invalid JSON', 'application/json', '{"choices": [{"message": '],
    ['an empty body', 'application/json', ''],
    ['JSON of another shape', 'application/json', '{"status":"ok"}'],
  ] as const) {
    it(`non-streamed, ${name}: falls back`, async () => {
      script = answer(200, contentType, body);
      const { data, response } = await stack.openai().chat.completions.create({ model: PRIMARY, messages }).withResponse();
      expect(data.choices[0]?.message.content).toBe('Hello from openai/gpt-oss-120b');
      expect(response.headers.get('x-litellm-model-group')).toBe(FALLBACK);
      expect(response.headers.get('x-groq-router-upstream-calls')).toBe('2');
    });
  }

  it('non-streamed HTML with nowhere to fall back to: 502, never a 200', async () => {
    script = answer(200, 'text/html', '<html>oops</html>');
    const error = await stack.openai().chat.completions.create({ model: 'groq/alone', messages }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
  });

  it('a good JSON answer still passes', async () => {
    script = answer(200, 'application/json', chatJson);
    const completion = await stack.openai().chat.completions.create({ model: 'groq/alone', messages });
    expect(completion.choices[0]?.message.content).toBe('scripted');
  });

  for (const [name, contentType, body] of [
    ['plain JSON', 'application/json', chatJson],
    ['HTML', 'text/html', '<html>oops</html>'],
  ] as const) {
    it(`a stream answered with ${name} instead of text/event-stream: falls back before any byte`, async () => {
      script = answer(200, contentType, body);
      const stream = await stack.openai().chat.completions.create({ model: PRIMARY, messages, stream: true }).withResponse();
      expect(stream.response.headers.get('x-litellm-model-group')).toBe(FALLBACK);
      let text = '';
      for await (const chunk of stream.data) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('Hello from openai/gpt-oss-120b');
    });
  }

  it('the breaker counts a malformed answer', async () => {
    script = answer(200, 'text/html', '<html>oops</html>');
    const before = await failuresCounted();
    await stack.openai().chat.completions.create({ model: PRIMARY, messages });
    expect(await failuresCounted()).toBeGreaterThan(before);
  });
});

describe('bounded memory for upstream answers', () => {
  it('an answer over max_response_size_mb is a 502 and its connection is dropped', async () => {
    const total = 200 * 1024 * 1024;
    const piece = Buffer.alloc(64 * 1024, 0x20);
    script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let sent = 0;
      res.on('close', () => {
        cutShort = sent < total;
      });
      const more = (): void => {
        while (sent < total) {
          sent += piece.length;
          if (!res.write(piece)) return void res.once('drain', more);
        }
        res.end();
      };
      res.write('{"choices":[],"pad":"');
      more();
    };
    const peak = { rss: process.memoryUsage().rss };
    const before = peak.rss;
    const sampler = setInterval(() => (peak.rss = Math.max(peak.rss, process.memoryUsage().rss)), 20);
    const error = await stack.openai().chat.completions.create({ model: 'groq/alone', messages }).catch((err: unknown) => err);
    clearInterval(sampler);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((error as Error).message).toContain('max_response_size_mb');
    await expect.poll(() => cutShort).toBe(true);
    // The gateway holds at most the cap, not the answer (buffering 200 MB whole takes 400 MB or more).
    expect(peak.rss - before).toBeLessThan(150 * 1024 * 1024);
  });
});

async function failuresCounted(): Promise<number> {
  const text = await (await fetch(`${stack.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('litellm_deployment_failure_responses') && line.includes('llama-3.3-70b-versatile'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}
