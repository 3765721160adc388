/**
 * The dashboards and alerts against a real Prometheus scraping the real gateway: traffic shaped so that
 * every panel has something to show, then every panel query must return data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, type Stack } from '../integration/harness.js';
import { BUILTIN_VALUES, GRAFANA_DIR, expandVariables, loadDashboard, targetsOf } from './dashboard-lint.js';
import { LITELLM_DASHBOARD_QUERIES } from './litellm-dashboards.js';
import { getJson, query, startPrometheus, waitUntil, type RunningPrometheus } from './prometheus.js';
import { chat, sleep, type ChatResult } from './traffic.js';

const PRIMARY = 'groq/primary';
const FALLBACK = 'groq/fallback';
const STEADY = 'groq/steady';
const PRIMARY_MODEL = 'llama-3.3-70b-versatile';
const STEADY_FIRST_MODEL = 'llama-3.1-8b-instant';
/** A deployment whose key Groq rejects: its breaker ejects it for 15 minutes, so the ejected panels have a row. */
const BROKEN = 'groq/broken';
const BROKEN_MODEL = 'qwen/qwen3-32b';

/** Every window limited, so each quota panel (day windows included) has series. */
const limits = (rpm: number) => `\n      rpm: ${rpm}\n      tpm: 1000000\n      rpd: 10000\n      tpd: 10000000`;

// Small RPMs on the primary and its only fallback, so the chain runs dry and the gateway answers 429;
// a steady group of two ordered deployments, so a failure on the first is a retry on the second.
const YAML = `model_list:
${deploymentYaml(PRIMARY, PRIMARY_MODEL, '', limits(3))}${deploymentYaml(FALLBACK, 'openai/gpt-oss-120b', '', limits(4))}${deploymentYaml(STEADY, STEADY_FIRST_MODEL, '\n      order: 1', limits(1000))}${deploymentYaml(STEADY, 'openai/gpt-oss-20b', '\n      order: 2', limits(1000))}${deploymentYaml(BROKEN, BROKEN_MODEL, '', limits(1000))}
litellm_settings:
  fallbacks:
    - ${PRIMARY}: [${FALLBACK}]
`;

const ALERTS = ['GroqRouterQuotaHeadroomLow', 'GroqRouterBreakerOpen', 'GroqRouterUpstreamRateLimited', 'GroqRouterClientsRefused', 'GroqRouterChainHeadroomRunningOut'];

let stack: Stack | undefined;
let prometheus: RunningPrometheus | undefined;
const results: { upstreamFailures: ChatResult[]; exhaustion: ChatResult[]; steady: ChatResult[]; broken: ChatResult[] } = {
  upstreamFailures: [],
  exhaustion: [],
  steady: [],
  broken: [],
};

async function stopAll(): Promise<void> {
  await prometheus?.stop();
  prometheus = undefined;
  await stack?.close();
  stack = undefined;
}

/** Time of the target's last scrape, once it is up. */
async function lastScrape(url: string): Promise<number | undefined> {
  const body = await getJson<{ data: { activeTargets: Array<{ health: string; lastScrape: string }> } }>(url, '/api/v1/targets');
  const target = body.data.activeTargets[0];
  return target?.health === 'up' ? Date.parse(target.lastScrape) : undefined;
}

async function driveTraffic(s: Stack): Promise<void> {
  const { fake, url } = s;
  // A 500 then a 429 from the primary's upstream: two fallbacks, and the 429 opens its breaker for 1 s;
  // a third request meanwhile passes the open breaker over.
  fake.fail(PRIMARY_MODEL, { status: 500 }, 1);
  results.upstreamFailures.push(await chat(url, PRIMARY, false));
  fake.fail(PRIMARY_MODEL, { status: 429, retryAfter: 1 }, 1);
  results.upstreamFailures.push(await chat(url, PRIMARY, true));
  results.upstreamFailures.push(await chat(url, PRIMARY, false));
  await sleep(1_200);
  // Breaker closed again: 3 on the primary (its RPM), 1 on the fallback (its 4th), then the gateway's 429s.
  for (let i = 0; i < 6; i++) results.exhaustion.push(await chat(url, PRIMARY, i % 2 === 0));
  // A rejected key: the deployment rests for 15 minutes.
  fake.fail(BROKEN_MODEL, { status: 401 }, 1);
  results.broken.push(await chat(url, BROKEN, false));
  // Spread over a few scrapes so rates are non-zero; the first one fails over to the group's second deployment.
  fake.fail(STEADY_FIRST_MODEL, { status: 500 }, 1);
  for (let i = 0; i < 8; i++) {
    results.steady.push(await chat(url, STEADY, i % 2 === 1));
    await sleep(250);
  }
}

beforeAll(async () => {
  try {
    stack = await startStack({ yaml: YAML });
    prometheus = await startPrometheus({
      targets: [new URL(stack.url).host],
      ruleFiles: [`${GRAFANA_DIR}prometheus/alerts.yml`],
      scrapeInterval: '1s',
      startTimeoutMs: 15_000,
    });
    const { url } = prometheus;
    // Scraping before the traffic starts, so counters are seen growing rather than appearing.
    await waitUntil('the first scrape of the gateway', 10_000, () => lastScrape(url));
    await driveTraffic(stack);
    const trafficDone = Date.now();
    await waitUntil('two scrapes after the traffic', 10_000, async () => ((await lastScrape(url)) ?? 0) > trafficDone + 1_500 || undefined);
  } catch (err) {
    await stopAll();
    throw err;
  }
}, 50_000);

afterAll(stopAll, 20_000);

describe('traffic of every shape', () => {
  it('had fallbacks after upstream failures, a run on the budgets ending in 429s, and retries', () => {
    expect(results.upstreamFailures.map((r) => [r.status, r.group])).toEqual([
      [200, FALLBACK],
      [200, FALLBACK],
      [200, FALLBACK],
    ]);
    expect(results.exhaustion.map((r) => [r.status, r.group])).toEqual([
      [200, PRIMARY],
      [200, PRIMARY],
      [200, PRIMARY],
      [200, FALLBACK],
      [429, null],
      [429, null],
    ]);
    expect(results.steady.every((r) => r.status === 200 && r.group === STEADY)).toBe(true);
    expect(results.steady[1]?.body).toContain('data:');
    expect(results.broken.map((r) => r.group)).toEqual([null]);
  });
});

describe.each(['groq-router.json', 'litellm-compat.json'])('%s against Prometheus', (file) => {
  it('returns data for every query of every panel', async () => {
    const dashboard = loadDashboard(file);
    const targets = targetsOf(dashboard);
    expect(targets.length).toBeGreaterThan(10);
    const url = (prometheus as RunningPrometheus).url;
    const outcomes = await Promise.all(
      targets.map(async ({ path, expr }) => {
        const expanded = expandVariables(expr, dashboard);
        try {
          return (await query(url, expanded)).length > 0 ? undefined : `${path}: no data: ${expanded}`;
        } catch (err) {
          return `${path}: ${String(err)}`;
        }
      }),
    );
    expect(outcomes.filter((o) => o !== undefined)).toEqual([]);
  });

  it('offers values for every query variable', async () => {
    const dashboard = loadDashboard(file);
    const url = (prometheus as RunningPrometheus).url;
    const variables = (dashboard.templating?.list ?? []).filter((v) => v.type === 'query');
    expect(variables.length).toBeGreaterThan(0);
    for (const variable of variables) {
      const definition = variable.definition ?? '';
      // Grafana's label_values(selector, label) is Prometheus's label values API with a match[] selector.
      const parsed = /^label_values\((.+),\s*(\w+)\)$/.exec(definition);
      expect(parsed, `${variable.name}: ${definition}`).not.toBeNull();
      const [, selector = '', label = ''] = parsed ?? [];
      const match = encodeURIComponent(expandVariables(selector, dashboard));
      const { data } = await getJson<{ data: string[] }>(url, `/api/v1/label/${label}/values?match[]=${match}`);
      expect(data.length, `${variable.name}: ${definition}`).toBeGreaterThan(0);
    }
  });
});

describe.each(Object.entries(LITELLM_DASHBOARD_QUERIES))('LiteLLM’s shipped dashboard %s against Prometheus', (_, queries) => {
  it('returns data for every query', async () => {
    const url = (prometheus as RunningPrometheus).url;
    const outcomes = await Promise.all(
      queries.map(async (expr) => {
        const expanded = expr.replaceAll('$__rate_interval', BUILTIN_VALUES.__rate_interval ?? '30s');
        try {
          return (await query(url, expanded)).length > 0 ? undefined : `no data: ${expanded}`;
        } catch (err) {
          return `${expanded}: ${String(err)}`;
        }
      }),
    );
    expect(outcomes.filter((o) => o !== undefined)).toEqual([]);
  });
});

describe('alert rules in Prometheus', () => {
  it('are loaded from alerts.yml and evaluate without error', async () => {
    const url = (prometheus as RunningPrometheus).url;
    type Rules = { data: { groups: Array<{ rules: Array<{ name: string; type: string; health: string; lastError?: string }> }> } };
    const rules = await waitUntil('every alert rule to be evaluated', 10_000, async () => {
      const all = (await getJson<Rules>(url, '/api/v1/rules')).data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
    });
    expect(rules.map((r) => ({ name: r.name, type: r.type, health: r.health, lastError: r.lastError ?? '' }))).toEqual(
      ALERTS.map((name) => ({ name, type: 'alerting', health: 'ok', lastError: '' })),
    );
  });

  it('fire for the upstream 429 and hold the exhausted budgets pending', async () => {
    const url = (prometheus as RunningPrometheus).url;
    type Alerts = { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
    const stateOf = (alerts: Alerts['data']['alerts'], name: string, labels: Record<string, string>) =>
      alerts.find((a) => a.labels.alertname === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v))?.state;
    await waitUntil('the upstream 429 alert to fire and the headroom alert to be pending', 10_000, async () => {
      const { alerts } = (await getJson<Alerts>(url, '/api/v1/alerts')).data;
      const upstream = stateOf(alerts, 'GroqRouterUpstreamRateLimited', { requested_model: PRIMARY, source: 'upstream' });
      const headroom = stateOf(alerts, 'GroqRouterQuotaHeadroomLow', { model_group: FALLBACK, window: 'rpm' });
      return upstream === 'firing' && headroom === 'pending' ? true : undefined;
    });
    // Every other deployment's upstream 429 series exists at zero from start-up: none of them fires.
    const { alerts } = (await getJson<Alerts>(url, '/api/v1/alerts')).data;
    const upstream429 = alerts.filter((a) => a.labels.alertname === 'GroqRouterUpstreamRateLimited');
    expect(upstream429.map((a) => a.labels.requested_model)).toEqual([PRIMARY]);
  });
});
