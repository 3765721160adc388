/**
 * Same traffic through two builds, then their /metrics compared: every series (name and labels) and
 * every value that does not measure time (counters, histogram counts, gauges other than process ones).
 * Usage: tsx scripts/bench/metrics-diff.ts distA distB
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeGroq } from '../../test/fake-groq/server.js';
import { startProcess, stopAll } from './bench.js';

const [a, b] = process.argv.slice(2) as [string, string];
// One fake per build: each sees only its own traffic, so the quota views compare too.
const fakes = [await startFakeGroq({ port: 40910 }), await startFakeGroq({ port: 40911 })];
const configOf = (fakeUrl: string) => {
  const config = join(mkdtempSync(join(tmpdir(), 'mdiff-')), 'litellm.config.yaml');
  writeFileSync(config, `model_list:
  - model_name: bench
    litellm_params: { model: groq/llama-3.3-70b-versatile, api_key: os.environ/GROQ_API_KEY, api_base: ${fakeUrl}, rpm: 1000, tpm: 10000000 }
    model_info: { id: bench-0 }
  - model_name: bad
    litellm_params: { model: groq/llama-3.3-70b-versatile, api_key: gsk_wrong_key_but_valid_shape, api_base: http://127.0.0.1:1 }
    model_info: { id: bad-0 }
router_settings:
  fallbacks: [{ bad: [bench] }]
`);
  return config;
};
function start(build: string, port: number, config: string): Promise<ChildProcess> {
  return startProcess([join(build, 'cli.js'), '--config', config, '--port', String(port)], { GROQ_API_KEY: 'gsk_bench_key_0000000000000000' }, /listening on/);
}
const post = (port: number, body: object) =>
  fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.text());
async function traffic(port: number): Promise<string> {
  for (let i = 0; i < 5; i++) await post(port, { model: 'bench', messages: [{ role: 'user', content: 'hi' }] });
  for (let i = 0; i < 3; i++) await post(port, { model: 'bench', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  await post(port, { model: 'nope', messages: [{ role: 'user', content: 'hi' }] });
  await post(port, { model: 'bad', messages: [{ role: 'user', content: 'hi' }] });
  await post(port, { model: 'bench', messages: 'not a list' });
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}
const TIMED = /^(process_|nodejs_|groq_router_config_last_success)|_(sum|bucket)\{|_seconds_|latency|overhead|queue_time|quota_reset/;
function series(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const at = line.lastIndexOf(' ');
    const key = line.slice(0, at).replace(/127\.0\.0\.1:4091[01]/g, "upstream");
    out.set(key, TIMED.test(key) && !/_count\{/.test(key) ? '(timed)' : line.slice(at + 1));
  }
  return out;
}
await Promise.all([start(a, 40900, configOf('http://127.0.0.1:40910')), start(b, 40901, configOf('http://127.0.0.1:40911'))]);
try {
  const [ma, mb] = [series(await traffic(40900)), series(await traffic(40901))];
  let differences = 0;
  for (const key of new Set([...ma.keys(), ...mb.keys()])) {
    if (/^(process_|nodejs_)/.test(key)) continue;
    if (ma.get(key) !== mb.get(key)) {
      differences++;
      console.log(`${key}: ${ma.get(key)} | ${mb.get(key)}`);
    }
  }
  console.log(`${ma.size} and ${mb.size} series, ${differences} differences`);
} finally {
  stopAll();
  await Promise.all(fakes.map((f) => f.close()));
}
