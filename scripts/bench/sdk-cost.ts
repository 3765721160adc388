/**
 * What groq-sdk itself costs per request: chat.completions.create(...).asResponse() against a fetch that
 * answers at once, against calling that fetch directly; for the SDK's `Groq` and for the deployments'
 * `DeploymentGroq`. Usage: tsx scripts/bench/sdk-cost.ts
 */
import Groq from 'groq-sdk';
import { DeploymentGroq } from '../../src/upstream/deployment-groq.js';

const answer = () => new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
const canned = answer();
const fetchStub = (async () => canned) as unknown as typeof fetch;
const body = { model: 'llama-3.3-70b-versatile', messages: [{ role: 'user' as const, content: 'Say hello' }], max_tokens: 100 };
const groq = new Groq({ apiKey: 'gsk_x', baseURL: 'http://127.0.0.1:9', maxRetries: 0, fetch: fetchStub });
const deployment = new DeploymentGroq({ apiKey: 'gsk_x', baseURL: 'http://127.0.0.1:9', maxRetries: 0, fetch: fetchStub });

async function time(label: string, n: number, call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20_000; i++) await call();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await call();
  const us = Number(process.hrtime.bigint() - started) / 1000 / n;
  console.log(`${label.padEnd(60)} ${us.toFixed(2)} µs/call`);
  return us;
}

const N = 100_000;
for (let round = 0; round < 2; round++) {
  // A fresh signal per call, as each upstream attempt has (the SDK never removes its listener from it).
  const direct = await time('fetch stub called directly (JSON.stringify of the body)', N, () => fetchStub('http://x', { method: 'POST', body: JSON.stringify(body), signal: new AbortController().signal }));
  const sdk = await time('groq.chat.completions.create(body, { signal, timeout }).asResponse()', N, () =>
    groq.chat.completions.create(body, { signal: new AbortController().signal, timeout: 60_000 }).asResponse(),
  );
  console.log(`groq-sdk's own work per request: ${(sdk - direct).toFixed(2)} µs`);
  const lean = await time('the same through DeploymentGroq', N, () =>
    deployment.chat.completions.create(body, { signal: new AbortController().signal, timeout: 60_000 }).asResponse(),
  );
  console.log(`DeploymentGroq's own work per request: ${(lean - direct).toFixed(2)} µs`);
}
