/**
 * Reads the committed Grafana dashboards as users import them and checks them against the families the
 * gateway exports. Pure functions over parsed JSON, so a test can feed them a broken copy.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Family } from '../../src/metrics/families.js';
import { metricRefs } from './promql.js';

export const GRAFANA_DIR = fileURLToPath(new URL('../../grafana/', import.meta.url));

export interface DatasourceRef {
  readonly type?: string;
  readonly uid?: string;
}

export interface TargetJson {
  readonly datasource?: DatasourceRef;
  readonly expr?: string;
  readonly refId?: string;
}

export interface PanelJson {
  readonly type?: string;
  readonly title?: string;
  readonly description?: string;
  readonly datasource?: DatasourceRef;
  readonly fieldConfig?: { readonly defaults?: { readonly unit?: string } };
  readonly targets?: readonly TargetJson[];
  /** A row's panels (Grafana keeps them here while the row is collapsed). */
  readonly panels?: readonly PanelJson[];
}

export interface VariableJson {
  readonly name: string;
  readonly type: string;
  /** A query variable's query as Grafana shows it, e.g. `label_values(metric, label)`. */
  readonly definition?: string;
}

export interface DashboardJson {
  readonly title?: string;
  readonly panels?: readonly PanelJson[];
  readonly templating?: { readonly list?: readonly VariableJson[] };
}

export function loadDashboard(file: string): DashboardJson {
  return JSON.parse(readFileSync(`${GRAFANA_DIR}dashboards/${file}`, 'utf8')) as DashboardJson;
}

/** Every panel that queries data, rows unfolded, with a path naming it in failure messages. */
export function queryPanels(dashboard: DashboardJson): Array<{ readonly path: string; readonly panel: PanelJson }> {
  const out: Array<{ path: string; panel: PanelJson }> = [];
  const walk = (panels: readonly PanelJson[], prefix: string): void => {
    for (const panel of panels) {
      const path = `${prefix}${panel.title ?? '(untitled)'}`;
      if (panel.type === 'row') walk(panel.panels ?? [], `${path} > `);
      else out.push({ path, panel });
    }
  };
  walk(dashboard.panels ?? [], '');
  return out;
}

export function targetsOf(dashboard: DashboardJson): Array<{ readonly path: string; readonly expr: string }> {
  return queryPanels(dashboard).flatMap(({ path, panel }) => (panel.targets ?? []).map((t) => ({ path: `${path} [${t.refId ?? '?'}]`, expr: t.expr ?? '' })));
}

const DATASOURCE_UID = '${datasource}';
/** Cumulative series: only their rate or increase means anything on a graph. */
const RATE_CALLS = new Set(['rate', 'increase', 'irate']);
const HISTOGRAM_SERIES = /_(bucket|sum|count)$/;

/** The family a selected series belongs to, and whether the series is cumulative (a counter or a histogram's parts). */
export function resolveSeries(name: string, families: readonly Family[]): { readonly family: Family; readonly cumulative: boolean } | undefined {
  const exact = families.find((f) => f.name === name && f.type !== 'histogram');
  if (exact !== undefined) return { family: exact, cumulative: exact.type === 'counter' };
  // A histogram is only ever selected through its _bucket, _sum or _count series.
  const base = name.replace(HISTOGRAM_SERIES, '');
  const histogram = base === name ? undefined : families.find((f) => f.name === base && f.type === 'histogram');
  return histogram === undefined ? undefined : { family: histogram, cumulative: true };
}

/** Everything wrong with a dashboard, one line per problem; empty when it is fine. */
export function lintDashboard(dashboard: DashboardJson, families: readonly Family[]): string[] {
  const problems: string[] = [];
  const panels = queryPanels(dashboard);
  if (panels.length === 0) problems.push('no panels');
  for (const { path, panel } of panels) {
    if (!isOurDatasource(panel.datasource)) problems.push(`${path}: panel datasource is not {type: prometheus, uid: ${DATASOURCE_UID}}`);
    if ((panel.title ?? '').trim() === '') problems.push(`${path}: no title`);
    if ((panel.description ?? '').trim() === '') problems.push(`${path}: no description`);
    if ((panel.fieldConfig?.defaults?.unit ?? '').trim() === '') problems.push(`${path}: no fieldConfig.defaults.unit`);
    const targets = panel.targets ?? [];
    if (targets.length === 0) problems.push(`${path}: no targets`);
    for (const target of targets) {
      const where = `${path} [${target.refId ?? '?'}]`;
      if (!isOurDatasource(target.datasource)) problems.push(`${where}: target datasource is not {type: prometheus, uid: ${DATASOURCE_UID}}`);
      const expr = target.expr ?? '';
      for (const name of queryVariableNames(dashboard)) {
        // Multi-value and "All" expand to a regex alternation, which only a regex matcher takes.
        const uses = expr.match(new RegExp(`\\$\\{?${name}\\b`, 'g'))?.length ?? 0;
        const regexUses = expr.match(new RegExp(`=~"\\$\\{?${name}\\}?"`, 'g'))?.length ?? 0;
        if (uses !== regexUses) problems.push(`${where}: $${name} used other than as =~"$${name}"`);
      }
      const refs = metricRefs(expr);
      if (refs.length === 0) problems.push(`${where}: selects no metric: ${expr}`);
      for (const ref of refs) {
        const series = resolveSeries(ref.name, families);
        if (series === undefined) problems.push(`${where}: ${ref.name} is not an exported family`);
        else if (series.cumulative && !RATE_CALLS.has(ref.enclosingCall ?? '')) {
          problems.push(`${where}: ${series.family.type} ${ref.name} used in ${ref.enclosingCall ?? 'no call'}, not rate/increase/irate`);
        }
      }
    }
  }
  return problems;
}

/** Names of the families a dashboard's queries select. */
export function familiesUsed(dashboard: DashboardJson, families: readonly Family[]): Set<string> {
  const used = new Set<string>();
  for (const { expr } of targetsOf(dashboard)) {
    for (const ref of metricRefs(expr)) {
      const series = resolveSeries(ref.name, families);
      if (series !== undefined) used.add(series.family.name);
    }
  }
  return used;
}

function queryVariableNames(dashboard: DashboardJson): string[] {
  return (dashboard.templating?.list ?? []).filter((v) => v.type === 'query' || v.type === 'custom').map((v) => v.name);
}

function isOurDatasource(ref: DatasourceRef | undefined): boolean {
  return ref?.type === 'prometheus' && ref.uid === DATASOURCE_UID;
}

/** Grafana's built-in interval variables, with values that suit a Prometheus scraping every second. */
export const BUILTIN_VALUES: Readonly<Record<string, string>> = { __rate_interval: '30s', __interval: '30s', __range: '5m' };

/**
 * An expression as Grafana would send it with every query variable on "All" (`.*`, as the variables'
 * allValue says) and fixed values for the built-in intervals. An unknown variable throws.
 */
export function expandVariables(expr: string, dashboard: DashboardJson): string {
  const queryVariables = new Set(queryVariableNames(dashboard));
  return expr.replace(/\$(?:\{(\w+)(?::\w+)?\}|(\w+))/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const builtin = BUILTIN_VALUES[name];
    if (builtin !== undefined) return builtin;
    if (queryVariables.has(name)) return '.*';
    throw new Error(`unknown variable ${whole} in ${expr}`);
  });
}
