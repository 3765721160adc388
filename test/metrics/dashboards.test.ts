import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_FAMILIES, LITELLM, OURS, type Family } from '../../src/metrics/families.js';
import { DASHBOARD_DIR, DASHBOARDS, render } from '../../scripts/grafana/build.js';
import { expandVariables, familiesUsed, lintDashboard, loadDashboard, queryPanels, resolveSeries, targetsOf, type DashboardJson, type PanelJson } from './dashboard-lint.js';
import { metricRefs } from './promql.js';

const GROQ_ROUTER = 'groq-router.json';
const LITELLM_COMPAT = 'litellm-compat.json';
const ours: readonly Family[] = Object.values(OURS);
const litellm: readonly Family[] = Object.values(LITELLM);
/** Older names exported only because LiteLLM's own dashboard_v2 still queries them (see litellm-dashboards.ts). */
const ONLY_FOR_LITELLM_DASHBOARDS: ReadonlySet<string> = new Set([LITELLM.remainingRequestsLegacy.name, LITELLM.remainingTokensLegacy.name]);

describe.each([
  { file: GROQ_ROUTER, own: ours },
  { file: LITELLM_COMPAT, own: litellm },
])('$file', ({ file, own }) => {
  const dashboard = loadDashboard(file);

  it('has a datasource, title, description and unit on every panel and target, and selects only exported families', () => {
    expect(queryPanels(dashboard).length).toBeGreaterThan(10);
    expect(lintDashboard(dashboard, ALL_FAMILIES)).toEqual([]);
  });

  it('selects only its own set of families, and every one of them', () => {
    // Linting against just this dashboard's set makes any family of the other set a problem.
    expect(lintDashboard(dashboard, own)).toEqual([]);
    const missing = own
      .map((f) => f.name)
      .filter((name) => !familiesUsed(dashboard, own).has(name) && !ONLY_FOR_LITELLM_DASHBOARDS.has(name));
    expect(missing).toEqual([]);
  });

  it('has datasource and multi-value "All = .*" variables, and no query with an unknown variable', () => {
    const variables = dashboard.templating?.list ?? [];
    expect(variables.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const variable of variables.filter((v) => v.type === 'query')) expect(variable).toMatchObject({ multi: true, includeAll: true, allValue: '.*' });
    for (const { expr } of targetsOf(dashboard)) expect(() => expandVariables(expr, dashboard)).not.toThrow();
  });

  it('is what scripts/grafana/build.ts generates (run `npx tsx scripts/grafana/build.ts` after editing the specs)', () => {
    const spec = DASHBOARDS.find((d) => d.file === file);
    if (spec === undefined) throw new Error(`scripts/grafana/build.ts does not build ${file}`);
    expect(readFileSync(DASHBOARD_DIR + file, 'utf8')).toBe(render(spec.build()));
  });
});

describe('groq-router.json specifics', () => {
  const dashboard = loadDashboard(GROQ_ROUTER);
  const exprs = targetsOf(dashboard).map((t) => t.expr);

  it('offers model_group and model_id variables from a gateway metric', () => {
    const names = (dashboard.templating?.list ?? []).map((v) => v.name);
    expect(names).toEqual(['datasource', 'model_group', 'model_id']);
  });

  it('compares tokens per minute with the TPM limit and colours headroom red under 10 %, yellow under 25 %', () => {
    expect(exprs).toContain('sum by (model_group, model_id) (rate(groq_router_tokens_total{model_group=~"$model_group", model_id=~"$model_id"}[$__rate_interval])) * 60');
    expect(exprs).toContain('max by (model_group, model_id) (groq_router_quota_limit{model_group=~"$model_group", model_id=~"$model_id", window="tpm"})');
    const headroom = queryPanels(dashboard).filter(({ panel }) => (panel.targets ?? []).some((t) => t.expr?.startsWith('groq_router_quota_headroom_ratio')));
    expect(headroom.length).toBeGreaterThan(0);
    for (const { panel } of headroom) {
      expect(panel.fieldConfig).toMatchObject({
        defaults: { unit: 'percentunit', thresholds: { steps: [{ color: 'red' }, { color: 'yellow', value: 0.1 }, { color: 'green', value: 0.25 }] } },
      });
    }
  });
});

describe('lintDashboard catches what it should', () => {
  const original = loadDashboard(GROQ_ROUTER);
  const mutate = (change: (panels: PanelJson[]) => PanelJson[]): DashboardJson => {
    const copy = structuredClone(original) as DashboardJson;
    return { ...copy, panels: change([...(copy.panels ?? [])]) };
  };
  const firstQueryPanel = (panels: PanelJson[]): number => panels.findIndex((p) => p.type !== 'row');
  const withFirst = (panels: PanelJson[], edit: (p: PanelJson) => PanelJson): PanelJson[] => {
    const index = firstQueryPanel(panels);
    return panels.map((p, i) => (i === index ? edit(p) : p));
  };

  it.each<[string, (p: PanelJson) => PanelJson, RegExp]>([
    ['a missing description', (p) => ({ ...p, description: ' ' }), /no description/],
    ['a missing title', (p) => ({ ...p, title: '' }), /no title/],
    ['a missing unit', (p) => ({ ...p, fieldConfig: { defaults: {} } }), /no fieldConfig\.defaults\.unit/],
    ['a fixed panel datasource', (p) => ({ ...p, datasource: { type: 'prometheus', uid: 'P1809F7CD0C75ACF3' } }), /panel datasource/],
    ['a target without datasource', (p) => ({ ...p, targets: (p.targets ?? []).map((t) => ({ expr: t.expr ?? '', refId: 'A' })) }), /target datasource/],
    ['an unknown metric', (p) => ({ ...p, targets: [{ ...p.targets?.[0], expr: 'groq_router_quota_headroom{window="rpm"}' }] }), /groq_router_quota_headroom is not an exported family/],
    ['a bare counter', (p) => ({ ...p, targets: [{ ...p.targets?.[0], expr: 'sum(groq_router_requests_total)' }] }), /counter groq_router_requests_total used in sum/],
    [
      'a histogram bucket outside rate',
      (p) => ({ ...p, targets: [{ ...p.targets?.[0], expr: 'histogram_quantile(0.9, sum by (le) (groq_router_overhead_seconds_bucket))' }] }),
      /histogram groq_router_overhead_seconds_bucket used in sum/,
    ],
    ['a histogram by its family name', (p) => ({ ...p, targets: [{ ...p.targets?.[0], expr: 'groq_router_overhead_seconds' }] }), /groq_router_overhead_seconds is not an exported family/],
    ['a variable matched exactly', (p) => ({ ...p, targets: [{ ...p.targets?.[0], expr: 'groq_router_breaker_state{model_group="$model_group"}' }] }), /\$model_group used other than/],
  ])('%s', (_name, edit, problem) => {
    const problems = lintDashboard(
      mutate((panels) => withFirst(panels, edit)),
      ALL_FAMILIES,
    );
    expect(problems).toEqual([expect.stringMatching(problem)]);
  });

  it('looks inside collapsed rows', () => {
    const broken = mutate((panels) => {
      const index = firstQueryPanel(panels);
      const inner = { ...(panels[index] as PanelJson), description: '' };
      return [...panels.filter((_, i) => i !== index), { type: 'row', title: 'Collapsed', panels: [inner] }];
    });
    expect(lintDashboard(broken, ALL_FAMILIES)).toEqual([expect.stringMatching(/^Collapsed > .*: no description$/)]);
  });

  it('sees a family that no dashboard uses', () => {
    const without = mutate((panels) => panels.filter((p) => !(p.targets ?? []).some((t) => t.expr?.includes('groq_router_retries_total'))));
    expect(familiesUsed(without, ours).has('groq_router_retries_total')).toBe(false);
    expect(familiesUsed(original, ours).has('groq_router_retries_total')).toBe(true);
  });
});

describe('metricRefs', () => {
  it.each<[string, Array<[string, string | undefined]>]>([
    ['up', [['up', undefined]]],
    ['sum(rate(a_total{x=~"$v", y!="b_total"}[$__rate_interval])) by (le)', [['a_total', 'rate']]],
    ['histogram_quantile(0.5, sum by (le, stream) (rate(h_bucket{a="x"}[5m])))', [['h_bucket', 'rate']]],
    ['sum by (model) (c_total)', [['c_total', 'sum']]],
    ['max without (view) (g) / on (model) group_left () (sum by (model) (increase(c_total[1h])) > 0)', [['g', 'max'], ['c_total', 'increase']]],
    ['(a or b * 0) / c', [['a', undefined], ['b', undefined], ['c', undefined]]],
    ['g and on (model_group, window) h offset 5m', [['g', undefined], ['h', undefined]]],
    ['topk(5, sort(g{le="1"}))', [['g', 'sort']]],
    ['label_replace(g, "dst", "$1", "src", "(.*)")', [['g', 'label_replace']]],
    ['irate(c_total[1m]) * 60 > bool 1e3', [['c_total', 'irate']]],
  ])('%s', (expr, expected) => {
    expect(metricRefs(expr).map((r) => [r.name, r.enclosingCall])).toEqual(expected);
  });

  it('resolves histogram series to their family and keeps gauges out of the rate rule', () => {
    expect(resolveSeries('groq_router_request_duration_seconds_count', ALL_FAMILIES)).toMatchObject({ family: { name: 'groq_router_request_duration_seconds' }, cumulative: true });
    expect(resolveSeries('groq_router_quota_limit', ALL_FAMILIES)).toMatchObject({ cumulative: false });
    expect(resolveSeries('groq_router_quota_limit_count', ALL_FAMILIES)).toBeUndefined();
    expect(resolveSeries('litellm_deployment_success_responses_total', ALL_FAMILIES)).toMatchObject({ cumulative: true });
  });
});

describe('expandVariables', () => {
  const dashboard = loadDashboard(GROQ_ROUTER);
  it('turns query variables into .* and built-in intervals into durations', () => {
    expect(expandVariables('rate(x{a=~"$model_group", b=~"${model_id}"}[$__rate_interval]) + increase(y[$__range])', dashboard)).toBe(
      'rate(x{a=~".*", b=~".*"}[30s]) + increase(y[5m])',
    );
  });
  it('refuses a variable the dashboard does not define', () => {
    expect(() => expandVariables('x{a=~"$nope"}', dashboard)).toThrow(/unknown variable \$nope/);
  });
});
