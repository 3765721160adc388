import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_FAMILIES } from '../../src/metrics/families.js';
import { deploymentYaml, startStack, type Stack } from '../integration/harness.js';
import { GRAFANA_DIR, expandVariables, loadDashboard, targetsOf } from './dashboard-lint.js';
import { chat } from './traffic.js';
import { requireBinary, run, withoutFamilies } from './tools.js';

/** prom-client's gauges named *_total, which `promtool check metrics` rightly flags; not ours to rename. */
const PROM_CLIENT_TOTAL_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];
const PRIMARY = 'groq/llama-3.3-70b-versatile';
const FALLBACK = 'groq/openai/gpt-oss-120b';
const LIMITS = '\n      rpm: 2\n      tpm: 100000\n      rpd: 1000\n      tpd: 1000000';

describe('the gateway /metrics under promtool check metrics', () => {
  let stack: Stack | undefined;
  let exposition = '';

  beforeAll(async () => {
    stack = await startStack({
      yaml: `model_list:\n${deploymentYaml(PRIMARY, 'llama-3.3-70b-versatile', '', LIMITS)}${deploymentYaml(FALLBACK, 'openai/gpt-oss-120b', '', LIMITS)}litellm_settings:\n  fallbacks:\n    - ${PRIMARY}: [${FALLBACK}]\n`,
    });
    // An upstream 429 (fallback, breaker open), streamed and plain answers, then budgets run dry (gateway 429s).
    stack.fake.fail('llama-3.3-70b-versatile', { status: 429, retryAfter: 1 }, 1);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await chat(stack.url, PRIMARY, i % 2 === 1)).status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    exposition = await (await fetch(`${stack.url}/metrics`)).text();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('passes with no output once the three prom-client *_total gauges are set aside', async () => {
    const promtool = requireBinary('promtool');
    const result = await run(promtool, ['check', 'metrics'], { input: withoutFamilies(exposition, PROM_CLIENT_TOTAL_GAUGES) });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('still checks every family the gateway declares (the filter removes only those three)', () => {
    const filtered = withoutFamilies(exposition, PROM_CLIENT_TOTAL_GAUGES);
    for (const family of ALL_FAMILIES) expect(filtered).toContain(`# TYPE ${family.name} ${family.type}`);
    for (const name of PROM_CLIENT_TOTAL_GAUGES) expect(filtered).not.toMatch(new RegExp(`^(# \\w+ )?${name}\\b`, 'm'));
    expect(exposition.split('\n').length - filtered.split('\n').length).toBe(PROM_CLIENT_TOTAL_GAUGES.length * 3);
  });
});

describe('withoutFamilies', () => {
  it('drops exactly the named families', () => {
    const text = ['# HELP a_total x', '# TYPE a_total gauge', 'a_total 1', '# HELP a x', '# TYPE a gauge', 'a{type="t"} 2', 'a_total_more 3', ''].join('\n');
    expect(withoutFamilies(text, ['a_total'])).toBe(['# HELP a x', '# TYPE a gauge', 'a{type="t"} 2', 'a_total_more 3', ''].join('\n'));
  });
});

describe('Prometheus files under promtool', () => {
  const prometheusDir = `${GRAFANA_DIR}prometheus/`;

  it('alerts.yml passes promtool check rules', async () => {
    const result = await run(requireBinary('promtool'), ['check', 'rules', 'alerts.yml'], { cwd: prometheusDir });
    expect(result.stdout + result.stderr).toContain('SUCCESS: 5 rules found');
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('alerts.test.yml passes promtool test rules', async () => {
    const result = await run(requireBinary('promtool'), ['test', 'rules', 'alerts.test.yml'], { cwd: prometheusDir });
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('prometheus.yml passes promtool check config', async () => {
    const result = await run(requireBinary('promtool'), ['check', 'config', 'prometheus.yml'], { cwd: prometheusDir });
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('every dashboard query parses as PromQL (as a recording rule, with variables expanded)', async () => {
    const rules = ['groq-router.json', 'litellm-compat.json'].flatMap((file) => {
      const dashboard = loadDashboard(file);
      return targetsOf(dashboard).map(({ path, expr }) => ({ path: `${file}: ${path}`, expr: expandVariables(expr, dashboard) }));
    });
    const dir = mkdtempSync(join(tmpdir(), 'groq-router-promql-'));
    try {
      const file = join(dir, 'queries.yml');
      // JSON is YAML, and keeps PromQL's quotes intact.
      writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboards', rules: rules.map((r, i) => ({ record: `dashboard_query_${i}`, expr: r.expr })) }] }));
      const result = await run(requireBinary('promtool'), ['check', 'rules', file]);
      const numbered = rules.map((r, i) => `dashboard_query_${i}: ${r.path}`).join('\n');
      expect(result.code, `${result.stdout}${result.stderr}\n${numbered}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
