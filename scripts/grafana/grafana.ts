/**
 * A small, typed subset of Grafana's dashboard model (schemaVersion 39) and the builders the two
 * dashboards are written with. Only what the dashboards use is modelled; the output is plain JSON that
 * Grafana 10 and 11 import unchanged.
 */

export const SCHEMA_VERSION = 39;

/** Every panel and target queries the dashboard's `datasource` variable, so one import serves any Prometheus. */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

export type PanelType = 'timeseries' | 'state-timeline' | 'bargauge' | 'table';

export interface ThresholdStep {
  readonly color: string;
  readonly value: number | null;
}

export interface ValueMapping {
  readonly type: 'value';
  readonly options: Record<string, { readonly text: string; readonly color: string; readonly index: number }>;
}

export interface Target {
  readonly datasource: typeof DATASOURCE;
  readonly editorMode: 'code';
  readonly expr: string;
  readonly legendFormat: string;
  readonly refId: string;
  readonly range: boolean;
  readonly instant: boolean;
  readonly format?: 'table';
}

export interface Panel {
  readonly id: number;
  readonly type: PanelType;
  readonly title: string;
  readonly description: string;
  readonly datasource: typeof DATASOURCE;
  readonly gridPos: GridPos;
  readonly fieldConfig: { readonly defaults: Record<string, unknown> & { readonly unit: string }; readonly overrides: readonly unknown[] };
  readonly options: Record<string, unknown>;
  readonly targets: readonly Target[];
  readonly transformations?: readonly unknown[];
}

export interface RowPanel {
  readonly id: number;
  readonly type: 'row';
  readonly title: string;
  readonly collapsed: boolean;
  readonly gridPos: GridPos;
  readonly panels: readonly Panel[];
}

interface GridPos {
  readonly h: number;
  readonly w: number;
  readonly x: number;
  readonly y: number;
}

export interface Variable {
  readonly name: string;
  readonly label: string;
  readonly type: 'datasource' | 'query';
  readonly description: string;
  readonly [key: string]: unknown;
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly schemaVersion: number;
  readonly templating: { readonly list: readonly Variable[] };
  readonly panels: ReadonlyArray<Panel | RowPanel>;
  readonly [key: string]: unknown;
}

/** What a dashboard author states about a panel; ids, layout and Grafana's boilerplate are derived. */
export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly type?: PanelType;
  readonly targets: ReadonlyArray<{ readonly expr: string; readonly legend: string; readonly table?: boolean }>;
  /** Grid columns out of 24; rows of panels wrap when full. */
  readonly width?: number;
  readonly height?: number;
  readonly min?: number;
  readonly max?: number;
  readonly thresholds?: readonly ThresholdStep[];
  readonly mappings?: readonly ValueMapping[];
  /** Bars for per-interval counts (increase), lines otherwise. */
  readonly bars?: boolean;
}

export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

/** Red below 10 %, yellow below 25 %, green above: the headroom colours. */
export const HEADROOM_THRESHOLDS: readonly ThresholdStep[] = [
  { color: 'red', value: null },
  { color: 'yellow', value: 0.1 },
  { color: 'green', value: 0.25 },
];

/** Breaker and deployment states share 0/1/2; only the words differ between our names and LiteLLM's. */
export function stateMappings(names: readonly [string, string, string]): ValueMapping[] {
  const colors = ['green', 'yellow', 'red'] as const;
  const options: ValueMapping['options'] = {};
  names.forEach((text, index) => {
    options[String(index)] = { text, color: colors[index] ?? 'red', index };
  });
  return [{ type: 'value', options }];
}

export function queryVariable(name: string, label: string, query: string, description: string): Variable {
  return {
    name,
    label,
    description,
    type: 'query',
    datasource: DATASOURCE,
    definition: query,
    query: { query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    refresh: 2,
    regex: '',
    sort: 1,
    multi: true,
    includeAll: true,
    // `.*` rather than Grafana's default list of every value: it also matches series with an empty label
    // (e.g. requests no deployment served) and keeps the query short.
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    hide: 0,
  };
}

export const DATASOURCE_VARIABLE: Variable = {
  name: 'datasource',
  label: 'Data source',
  description: 'The Prometheus that scrapes the gateway.',
  type: 'datasource',
  query: 'prometheus',
  current: {},
  hide: 0,
  includeAll: false,
  multi: false,
  options: [],
  refresh: 1,
  regex: '',
};

export function dashboard(meta: { uid: string; title: string; description: string; tags: readonly string[] }, variables: readonly Variable[], rows: readonly RowSpec[]): Dashboard {
  return {
    uid: meta.uid,
    title: meta.title,
    description: meta.description,
    tags: meta.tags,
    schemaVersion: SCHEMA_VERSION,
    editable: true,
    graphTooltip: 1,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    timezone: 'browser',
    annotations: { list: [] },
    links: [],
    templating: { list: variables },
    panels: layout(rows),
  };
}

/** Rows stay expanded, so their panels follow them at the top level, as Grafana stores open rows. */
function layout(rows: readonly RowSpec[]): Array<Panel | RowPanel> {
  const out: Array<Panel | RowPanel> = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    out.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const spec of row.panels) {
      const w = spec.width ?? 12;
      const h = spec.height ?? 8;
      if (x + w > 24) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      out.push(panel(spec, id++, { h, w, x, y }));
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return out;
}

function panel(spec: PanelSpec, id: number, gridPos: GridPos): Panel {
  const type = spec.type ?? 'timeseries';
  const targets = spec.targets.map(
    (t, i): Target => ({
      datasource: DATASOURCE,
      editorMode: 'code',
      expr: t.expr,
      legendFormat: t.legend,
      refId: String.fromCharCode(65 + i),
      // Bar gauges and tables show the value now; time series and timelines show history.
      range: type === 'timeseries' || type === 'state-timeline',
      instant: type === 'bargauge' || type === 'table',
      ...(t.table === true ? { format: 'table' as const } : {}),
    }),
  );
  const defaults: Record<string, unknown> & { unit: string } = {
    unit: spec.unit,
    color: { mode: spec.thresholds !== undefined || spec.mappings !== undefined ? 'thresholds' : 'palette-classic' },
    thresholds: { mode: 'absolute', steps: spec.thresholds ?? [{ color: 'green', value: null }] },
    mappings: spec.mappings ?? [],
  };
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.max !== undefined) defaults.max = spec.max;
  if (type === 'timeseries') {
    defaults.custom = {
      drawStyle: spec.bars === true ? 'bars' : 'line',
      fillOpacity: spec.bars === true ? 80 : 10,
      lineWidth: 1,
      showPoints: 'never',
      spanNulls: false,
      stacking: { mode: 'none', group: 'A' },
      thresholdsStyle: { mode: spec.thresholds !== undefined ? 'line+area' : 'off' },
    };
  }
  if (type === 'state-timeline') defaults.custom = { fillOpacity: 80, lineWidth: 0 };
  return {
    id,
    type,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: { defaults, overrides: [] },
    options: optionsFor(type),
    targets,
    ...(type === 'table' ? { transformations: [{ id: 'organize', options: { excludeByName: { Time: true } } }] } : {}),
  };
}

function optionsFor(type: PanelType): Record<string, unknown> {
  const legend = { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull', 'max'] };
  switch (type) {
    case 'timeseries':
      return { legend, tooltip: { mode: 'multi', sort: 'desc' } };
    case 'state-timeline':
      return { mergeValues: true, showValue: 'auto', alignValue: 'left', rowHeight: 0.9, legend: { displayMode: 'list', placement: 'bottom', showLegend: true } };
    case 'bargauge':
      return { displayMode: 'gradient', orientation: 'horizontal', showUnfilled: true, minVizHeight: 16, maxVizHeight: 24, valueMode: 'color', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } };
    case 'table':
      return { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } };
  }
}
