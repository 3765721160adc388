import { afterEach, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, UPSTREAM_KEY, type Stack } from './harness.js';

const PRIMARY = 'groq/llama-3.3-70b-versatile';
const FALLBACK = 'groq/openai/gpt-oss-120b';
const messages = [{ role: 'user', content: 'hi' }];

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function start(settings = '', primaryLimits?: string): Promise<Stack> {
  stack = await startStack({
    yaml: `model_list:
${deploymentYaml(PRIMARY, 'llama-3.3-70b-versatile', '', primaryLimits)}${deploymentYaml(FALLBACK, 'openai/gpt-oss-120b')}
litellm_settings:
  fallbacks:
    - ${PRIMARY}: [${FALLBACK}]
${settings}`,
    env: { TEST_MASTER_KEY: 'sk-master-metrics-0000000000' },
  });
  return stack;
}

const chat = (s: Stack, body: Record<string, unknown> = {}) =>
  fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: PRIMARY, messages, ...body }) }).then(async (r) => {
    await r.text();
    return r.status;
  });

async function scrape(s: Stack, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${s.url}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

/** The sum of the samples of `name` whose labels include all of `labels`. */
function total(text: string, name: string, labels: Record<string, string>): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** The value of the first sample of `name` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('/metrics', () => {
  it('counts requests, upstream 429s, fallbacks and tokens in our families and LiteLLM’s', async () => {
    const s = await start();
    s.fake.fail('llama-3.3-70b-versatile', { status: 429, retryAfter: 30 }, 1);
    expect(await chat(s)).toBe(200);
    expect(await chat(s, { stream: true, stream_options: { include_usage: true } })).toBe(200);
    const text = await scrape(s);
    expect(sample(text, 'groq_router_requests_total', { requested_model: PRIMARY, model_group: FALLBACK, outcome: 'success', status_code: '200' })).toBe(2);
    expect(sample(text, 'groq_router_rate_limited_total', { requested_model: PRIMARY, source: 'upstream' })).toBe(1);
    expect(sample(text, 'groq_router_fallbacks_total', { from: PRIMARY, to: FALLBACK, reason: 'rate_limit' })).toBe(1);
    expect(sample(text, 'groq_router_fallbacks_total', { from: PRIMARY, to: FALLBACK, reason: 'breaker_open' })).toBe(1);
    expect(sample(text, 'groq_router_breaker_state', { model_group: PRIMARY })).toBe(2);
    expect(sample(text, 'litellm_deployment_state', { litellm_model_name: 'groq/llama-3.3-70b-versatile' })).toBe(2);
    expect(sample(text, 'litellm_deployment_cooled_down_total', { litellm_model_name: 'groq/llama-3.3-70b-versatile', exception_status: '429' })).toBe(1);
    expect(total(text, 'litellm_deployment_successful_fallbacks_total', { requested_model: PRIMARY, fallback_model: FALLBACK })).toBe(2);
    expect(sample(text, 'litellm_deployment_successful_fallbacks_total', { fallback_model: FALLBACK, exception_status: '429', exception_class: 'RateLimitError' })).toBe(2);
    expect(sample(text, 'litellm_deployment_failure_responses_total', { requested_model: PRIMARY, exception_status: '429' })).toBe(1);
    expect(sample(text, 'litellm_proxy_total_requests_metric_total', { requested_model: PRIMARY, status_code: '200' })).toBe(2);
    expect(sample(text, 'groq_router_tokens_total', { model_group: FALLBACK, direction: 'output' })).toBeGreaterThan(0);
    expect(sample(text, 'litellm_input_tokens_metric_total', { requested_model: PRIMARY })).toBeGreaterThan(0);
    expect(sample(text, 'groq_router_time_to_first_token_seconds_count', { model_group: FALLBACK })).toBe(1);
    expect(sample(text, 'groq_router_overhead_seconds_count', { requested_model: PRIMARY })).toBe(2);
    expect(text).not.toContain(UPSTREAM_KEY);
  });

  it('tells the gateway’s own 429s from Groq’s and shows the budget at scrape time', async () => {
    const s = await start('', '\n      rpm: 2\n      tpm: 100000\n      rpd: null\n      tpd: null');
    // The fallback alias has budget to spare; ask for the primary's group directly so it runs out.
    stack = s;
    const direct = (body: Record<string, unknown> = {}) =>
      fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: FALLBACK, messages, ...body }) });
    expect((await direct()).status).toBe(200);
    for (let i = 0; i < 2; i++) expect(await chat(s)).toBe(200);
    const text = await scrape(s);
    expect(sample(text, 'groq_router_quota_limit', { model_group: PRIMARY, window: 'rpm' })).toBe(2);
    expect(sample(text, 'groq_router_quota_remaining', { model_group: PRIMARY, window: 'rpm', view: 'local' })).toBe(0);
    expect(sample(text, 'groq_router_quota_headroom_ratio', { model_group: PRIMARY, window: 'rpm' })).toBe(0);
    expect(sample(text, 'groq_router_quota_remaining', { model_group: PRIMARY, window: 'tpm', view: 'upstream' })).toBeGreaterThan(0);
    expect(sample(text, 'litellm_deployment_rpm_limit', { litellm_model_name: 'groq/llama-3.3-70b-versatile' })).toBe(2);
    expect(sample(text, 'litellm_remaining_tokens_metric', { litellm_model_name: 'groq/llama-3.3-70b-versatile' })).toBeGreaterThan(0);
    // The third request to the primary goes to the fallback without an upstream call to the primary.
    expect(await chat(s)).toBe(200);
    const after = await scrape(s);
    expect(sample(after, 'groq_router_deployments_skipped_total', { model_group: PRIMARY, reason: 'quota' })).toBe(1);
    expect(sample(after, 'groq_router_fallbacks_total', { from: PRIMARY, to: FALLBACK, reason: 'quota' })).toBe(1);
  });

  it('counts a gateway 429 apart from upstream 429s', async () => {
    stack = await startStack({ yaml: `model_list:\n${deploymentYaml('solo', 'llama-3.3-70b-versatile', '', '\n      rpm: 1')}` });
    const s = stack;
    const once = () => fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'solo', messages }) });
    expect((await once()).status).toBe(200);
    expect((await once()).status).toBe(429);
    const text = await scrape(s);
    expect(sample(text, 'groq_router_rate_limited_total', { requested_model: 'solo', source: 'gateway' })).toBe(1);
    expect(total(text, 'groq_router_rate_limited_total', { source: 'upstream' })).toBe(0);
    expect(sample(text, 'groq_router_requests_total', { requested_model: 'solo', outcome: 'gateway_refused', status_code: '429' })).toBe(1);
    expect(sample(text, 'litellm_proxy_failed_requests_metric_total', { requested_model: 'solo', exception_status: '429', exception_class: 'RateLimitError' })).toBe(1);
  });

  it('is open without the master key unless require_auth_for_metrics_endpoint is set', async () => {
    const open = await start('general_settings:\n  master_key: os.environ/TEST_MASTER_KEY\n');
    expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${open.url}/v1/models`)).status).toBe(401);
    await open.close();
    const closed = await start('general_settings:\n  master_key: os.environ/TEST_MASTER_KEY\n  require_auth_for_metrics_endpoint: true\n');
    expect((await fetch(`${closed.url}/metrics`)).status).toBe(401);
    await scrape(closed, { authorization: 'Bearer sk-master-metrics-0000000000' });
  });
});

describe('/metrics tells the truth', () => {
  const solo = (limits?: string, settings = '') =>
    startStack({ yaml: `model_list:\n${deploymentYaml('solo', 'llama-3.3-70b-versatile', '', limits)}${settings}` });
  const once = (s: Stack, body: Record<string, unknown> = {}) =>
    fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'solo', messages, ...body }) }).then(async (r) => {
      await r.text();
      return r.status;
    });

  it('counts one relayed upstream 429 once, as upstream, and the gateway series stays at zero', async () => {
    stack = await solo();
    const s = stack;
    s.fake.fail('llama-3.3-70b-versatile', { status: 429, retryAfter: 30 }, 1);
    expect(await once(s)).toBe(429);
    const text = await scrape(s);
    expect(sample(text, 'groq_router_rate_limited_total', { requested_model: 'solo', source: 'upstream' })).toBe(1);
    expect(sample(text, 'groq_router_rate_limited_total', { requested_model: 'solo', source: 'gateway' })).toBe(0);
    expect(sample(text, 'groq_router_requests_total', { requested_model: 'solo', outcome: 'upstream_rate_limited', status_code: '429' })).toBe(1);
    expect(total(text, 'groq_router_requests_total', { requested_model: 'solo', outcome: 'gateway_refused' })).toBe(0);
  });

  it.each([
    ['an error frame', { kind: 'midstream-error', afterChunks: 2 } as const],
    ['a cut socket', { kind: 'midstream-reset', afterChunks: 2 } as const],
  ])('counts a stream ended by %s after its first byte as an error in every family', async (_, fault) => {
    stack = await solo();
    const s = stack;
    s.fake.fail('llama-3.3-70b-versatile', fault, 1);
    expect(await once(s, { stream: true })).toBe(200);
    const text = await scrape(s);
    expect(sample(text, 'groq_router_requests_total', { requested_model: 'solo', outcome: 'stream_error', status_code: '500' })).toBe(1);
    expect(total(text, 'groq_router_requests_total', { requested_model: 'solo', outcome: 'success' })).toBe(0);
    expect(sample(text, 'groq_router_upstream_attempts_total', { model_group: 'solo', result: 'stream_error' })).toBe(1);
    expect(total(text, 'groq_router_upstream_attempts_total', { model_group: 'solo', result: 'success' })).toBe(0);
    expect(total(text, 'litellm_proxy_total_requests_metric_total', { requested_model: 'solo', status_code: '200' })).toBe(0);
    expect(sample(text, 'litellm_proxy_total_requests_metric_total', { requested_model: 'solo', status_code: '500' })).toBe(1);
    expect(sample(text, 'litellm_proxy_failed_requests_metric_total', { requested_model: 'solo', exception_status: '500' })).toBe(1);
    expect(sample(text, 'litellm_llm_api_failed_requests_metric_total', { model: 'groq/llama-3.3-70b-versatile' })).toBe(1);
    expect(sample(text, 'litellm_deployment_failure_responses_total', { requested_model: 'solo', exception_status: '500' })).toBe(1);
    expect(total(text, 'litellm_deployment_success_responses_total', { requested_model: 'solo' })).toBe(0);
    expect(sample(text, 'litellm_deployment_state', { litellm_model_name: 'groq/llama-3.3-70b-versatile' })).toBeGreaterThanOrEqual(1);
  });

  it('creates at zero every breaker reason and cooldown status before the first one happens', async () => {
    stack = await solo();
    const text = await scrape(stack);
    for (const reason of ['rate_limit', 'server_error', 'timeout', 'connection', 'auth', 'not_found', 'stream_error']) {
      expect(sample(text, 'groq_router_breaker_opens_total', { model_group: 'solo', reason }), reason).toBe(0);
    }
    for (const status of ['429', '401', '403', '404', '500', '502', '503', '504', '']) {
      expect(sample(text, 'litellm_deployment_cooled_down_total', { litellm_model_name: 'groq/llama-3.3-70b-versatile', exception_status: status }), status).toBe(0);
    }
    expect(sample(text, 'groq_router_rate_limited_total', { requested_model: 'solo', source: 'gateway' })).toBe(0);
    expect(sample(text, 'groq_router_requests_total', { requested_model: 'solo', outcome: 'gateway_refused' })).toBe(0);
    // The scrape itself is in flight.
    expect(sample(text, 'litellm_in_flight_requests', {})).toBe(1);
  });

  it('then counts an auth failure that opens the breaker from 0 to 1', async () => {
    stack = await solo();
    const s = stack;
    s.fake.fail('llama-3.3-70b-versatile', { status: 401 }, 1);
    expect(await once(s)).toBeGreaterThanOrEqual(400);
    const text = await scrape(s);
    expect(sample(text, 'groq_router_breaker_opens_total', { model_group: 'solo', reason: 'auth' })).toBe(1);
    expect(sample(text, 'litellm_deployment_cooled_down_total', { exception_status: '401' })).toBe(1);
    // A 401 ejection is tried again by one probe a minute (a fixed key is picked up without a restart).
    expect(sample(text, 'groq_router_breaker_trial_seconds', { model_group: 'solo', reason: 'auth' })).toBeGreaterThan(0);
    expect(sample(text, 'groq_router_breaker_trial_seconds', { model_group: 'solo', reason: 'auth' })).toBeLessThanOrEqual(60);
    expect(sample(text, 'litellm_deployment_state', { litellm_model_name: 'groq/llama-3.3-70b-versatile' })).toBe(2);
  });

  it('observes time to first token for streams only', async () => {
    stack = await solo();
    const s = stack;
    expect(await once(s)).toBe(200);
    const plain = await scrape(s);
    expect(total(plain, 'litellm_llm_api_time_to_first_token_metric_count', {})).toBe(0);
    expect(total(plain, 'groq_router_time_to_first_token_seconds_count', {})).toBe(0);
    expect(total(plain, 'litellm_llm_api_latency_metric_count', {})).toBe(1);
    expect(await once(s, { stream: true })).toBe(200);
    const streamed = await scrape(s);
    expect(total(streamed, 'litellm_llm_api_time_to_first_token_metric_count', {})).toBe(1);
    expect(total(streamed, 'groq_router_time_to_first_token_seconds_count', {})).toBe(1);
  });

  it('shows LiteLLM’s deployment state: partial outage after a failed call, healthy after a success', async () => {
    stack = await startStack({
      yaml: `model_list:\n${deploymentYaml(PRIMARY, 'llama-3.3-70b-versatile')}${deploymentYaml(FALLBACK, 'openai/gpt-oss-120b')}
router_settings:
  allowed_fails: 5
litellm_settings:
  fallbacks:
    - ${PRIMARY}: [${FALLBACK}]
`,
    });
    const s = stack;
    s.fake.fail('llama-3.3-70b-versatile', { status: 500 }, 3);
    expect(await chat(s)).toBe(200);
    const failed = await scrape(s);
    expect(sample(failed, 'groq_router_breaker_state', { model_group: PRIMARY })).toBe(0);
    expect(sample(failed, 'litellm_deployment_state', { litellm_model_name: 'groq/llama-3.3-70b-versatile' })).toBe(1);
    expect(sample(failed, 'litellm_deployment_state', { litellm_model_name: 'groq/openai/gpt-oss-120b' })).toBe(0);
    s.fake.clearFaults();
    expect(await chat(s)).toBe(200);
    const healed = await scrape(s);
    expect(sample(healed, 'litellm_deployment_state', { litellm_model_name: 'groq/llama-3.3-70b-versatile' })).toBe(0);
  });

  it('observes the headroom queue’s wait as queue time', async () => {
    stack = await solo(undefined, 'router_settings:\n  max_queue_wait_seconds: 10\n');
    const s = stack;
    // Groq's 429 asks for a second; the request waits in the queue for it, then is served.
    s.fake.fail('llama-3.3-70b-versatile', { status: 429, retryAfter: 1 }, 1);
    expect(await once(s)).toBe(200);
    const text = await scrape(s);
    expect(sample(text, 'litellm_request_queue_time_seconds_count', { requested_model: 'solo' })).toBe(1);
    expect(sample(text, 'litellm_request_queue_time_seconds_sum', { requested_model: 'solo' })).toBeGreaterThan(0);
    expect(sample(text, 'groq_router_rate_limited_total', { requested_model: 'solo', source: 'upstream' })).toBe(1);
    expect(sample(text, 'groq_router_rate_limited_total', { requested_model: 'solo', source: 'gateway' })).toBe(0);
  });

  it('shows in LiteLLM’s remaining tokens what our budget will still send, not Groq’s looser header', async () => {
    stack = await solo('\n      rpm: 1000\n      tpm: 3000\n      rpd: null\n      tpd: null');
    const s = stack;
    expect(await once(s)).toBe(200);
    const text = await scrape(s);
    const upstream = sample(text, 'groq_router_quota_remaining', { model_group: 'solo', window: 'tpm', view: 'upstream' }) ?? 0;
    const remaining = sample(text, 'litellm_remaining_tokens_metric', { litellm_model_name: 'groq/llama-3.3-70b-versatile' }) ?? Infinity;
    // The fake sends Groq's 12,000 TPM header; the configured budget is 3,000.
    expect(upstream).toBeGreaterThan(3000);
    expect(remaining).toBeLessThan(3000);
    expect(sample(text, 'litellm_remaining_tokens', { litellm_model_name: 'groq/llama-3.3-70b-versatile' })).toBe(remaining);
  });

  it('exports spend, queue time, per-token latency and the deprecated request counter for a served request', async () => {
    stack = await solo();
    const s = stack;
    expect(await once(s)).toBe(200);
    const text = await scrape(s);
    const model = { model: 'groq/llama-3.3-70b-versatile' };
    expect(sample(text, 'litellm_spend_metric_total', model)).toBeGreaterThan(0);
    expect(sample(text, 'litellm_requests_metric_total', model)).toBe(1);
    expect(sample(text, 'litellm_request_queue_time_seconds_count', { requested_model: 'solo' })).toBe(1);
    expect(sample(text, 'litellm_deployment_latency_per_output_token_count', { litellm_model_name: 'groq/llama-3.3-70b-versatile' })).toBe(1);
    expect(sample(text, 'litellm_in_flight_requests', {})).toBe(1);
  });
});
