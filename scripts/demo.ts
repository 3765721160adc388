/**
 * `npm run demo`: the gateway in front of the fake Groq, so routing and fallback can be seen without a
 * Groq key or network. Runs a short walkthrough, then keeps serving until Ctrl-C.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PortInUseError, startGateway } from '../src/server.js';
import { startFakeGroq } from '../test/fake-groq/server.js';

const PRIMARY = 'groq/llama-3.3-70b-versatile';
/** Step 3's own primary: step 2 leaves PRIMARY ejected by its breaker, and step 3 must meet a fresh one. */
const STREAM_PRIMARY = 'groq/llama-3.1-8b-instant';
const FALLBACK = 'groq/openai/gpt-oss-120b';

const fake = await startFakeGroq({ chunkDelayMs: 30 });
const dir = mkdtempSync(join(tmpdir(), 'groq-router-demo-'));
const configFile = join(dir, 'litellm.config.yaml');
writeFileSync(
  configFile,
  `model_list:
  - model_name: ${PRIMARY}
    litellm_params: { model: groq/llama-3.3-70b-versatile, api_key: os.environ/GROQ_API_KEY, api_base: ${fake.url} }
  - model_name: ${STREAM_PRIMARY}
    litellm_params: { model: groq/llama-3.1-8b-instant, api_key: os.environ/GROQ_API_KEY, api_base: ${fake.url} }
  - model_name: ${FALLBACK}
    litellm_params: { model: groq/openai/gpt-oss-120b, api_key: os.environ/GROQ_API_KEY, api_base: ${fake.url} }
router_settings:
  num_retries: 0
litellm_settings:
  fallbacks:
    - ${PRIMARY}: [${FALLBACK}]
    - ${STREAM_PRIMARY}: [${FALLBACK}]
`,
);

const gateway = await startGateway({
  configFile,
  port: Number(process.env.PORT ?? 4000),
  host: process.env.HOST ?? '127.0.0.1',
  env: { GROQ_API_KEY: 'gsk_demo_key_for_the_fake_groq' },
}).catch(async (error: unknown) => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
  if (!(error instanceof PortInUseError)) throw error;
  console.error(`demo: ${error.message}`);
  process.exit(1);
});

async function chat(label: string, stream = false, model = PRIMARY): Promise<void> {
  const res = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Hello!' }] }),
  });
  const text = await res.text();
  const answer = stream
    ? text
        .split('\n\n')
        .filter((frame) => frame.startsWith('data: {'))
        .map((frame) => (JSON.parse(frame.slice(6)) as { choices: Array<{ delta?: { content?: string } }> }).choices[0]?.delta?.content ?? '')
        .join('')
    : (JSON.parse(text) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content;
  console.log(`\n${label}`);
  console.log(`  status ${res.status}, served by ${res.headers.get('x-litellm-model-group')}, fallbacks ${res.headers.get('x-litellm-attempted-fallbacks')}`);
  console.log(`  answer: ${answer}`);
}

console.log(`\nfake Groq on ${fake.url}, gateway on ${gateway.url}`);
await chat('1. A plain request goes to the alias itself:');
fake.fail('llama-3.3-70b-versatile', { status: 429, retryAfter: 7 }, 1);
await chat('2. The primary answers 429 (scripted), so the next group in the chain answers:');
fake.fail('llama-3.1-8b-instant', { status: 503 }, 1);
await chat(`3. A stream whose primary (${STREAM_PRIMARY}) answers 503 before the first byte falls back too:`, true, STREAM_PRIMARY);

console.log(`
Try it yourself (Ctrl-C to stop):
  open ${gateway.url}/ui for the status page (aliases, budgets, ejected deployments, last requests)
  curl -s ${gateway.url}/v1/models
  curl -s ${gateway.url}/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"${PRIMARY}","messages":[{"role":"user","content":"hi"}]}'
`);

const stop = async (): Promise<void> => {
  await gateway.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
if (process.env.DEMO_EXIT === '1') await stop();
