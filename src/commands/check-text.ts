import { WINDOW_NAMES, type WindowLimit } from '../quota/types.js';
import type { AliasReport, CheckReport, DeploymentReport } from './check-report.js';

const LABEL_WIDTH = 20;
const GAP = '  ';

/** Pads every column but the last to its widest cell, so rows read as a table. */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join(GAP).trimEnd());
}

function labelled(indent: string, label: string, value: string): string {
  return `${indent}${label.padEnd(Math.max(LABEL_WIDTH - indent.length, label.length + GAP.length))}${value}`;
}

function limitCell(window: string, { limit, source }: WindowLimit): string {
  return limit === null ? `${window} none` : `${window} ${limit} ${source}`;
}

function orDash(value: number | null): string {
  return value === null ? '-' : String(value);
}

function summary(report: CheckReport): string {
  const deployments = report.aliases.flatMap((a) => a.deployments);
  const configured = deployments.filter((d) => d.configured).length;
  const warnings = report.warnings.length;
  return (
    `${report.file}: valid; ${report.aliases.length} aliases, ${deployments.length} deployments ` +
    `(${configured} configured), ${warnings} warning${warnings === 1 ? '' : 's'}`
  );
}

function settings(report: CheckReport): string[] {
  const { routing, auth } = report;
  const clients = auth.clientKeys.length === 0 ? 'none' : auth.clientKeys.map((k) => `${k.alias} ${k.preview}${k.models.length ? ` [${k.models.join(', ')}]` : ''}`).join('; ');
  return [
    labelled('', 'routing', `${routing.strategy}, max_fallbacks ${routing.maxFallbacks}, groq_plan ${routing.groqPlan}`),
    labelled('', 'master key', auth.masterKey ? 'set' : 'not set'),
    labelled('', 'client keys', clients),
    labelled('', 'CORS origins', auth.corsAllowOrigins.length === 0 ? 'none (CORS off)' : auth.corsAllowOrigins.join(', ')),
    labelled('', 'limits', `per window: limit and source (config = litellm_params, catalogue = documented for plan ${routing.groqPlan}); none = not enforced`),
  ];
}

function aliasBlock(alias: AliasReport, limitRows: ReadonlyMap<DeploymentReport, string>): string[] {
  const context = alias.contextWindow === null ? 'context window unknown' : `context window ${alias.contextWindow}`;
  const lines = [`${alias.alias}  (${context})`, labelled('  ', 'chain', alias.chain.join(' -> '))];
  const sameChain = alias.contextWindowChain.join('\n') === alias.chain.join('\n');
  lines.push(labelled('  ', 'context overflow', sameChain ? 'same chain (no context_window_fallbacks)' : alias.contextWindowChain.join(' -> ')));
  for (const d of alias.deployments) {
    lines.push(labelled('  ', 'deployment', `${d.id}  ${d.model}  order ${orDash(d.order)}  weight ${orDash(d.weight)}`));
    lines.push(labelled('    ', 'key', d.configured ? `configured, ${d.keyPreview ?? '***'}` : `NOT CONFIGURED: ${d.unconfiguredReason ?? 'no API key'}`));
    const pending = d.configured ? '' : `${GAP}(apply once the key is set)`;
    lines.push(labelled('    ', 'limits', `${limitRows.get(d) ?? ''}${pending}`));
  }
  return lines;
}

/** The plain-text form of a report: summary, warnings, settings, then one block per alias. */
export function renderCheckText(report: CheckReport): string {
  const deployments = report.aliases.flatMap((a) => a.deployments);
  // Aligned across every alias, so one window's column lines up down the whole output.
  const aligned = alignColumns(deployments.map((d) => WINDOW_NAMES.map((w) => limitCell(w, d.limits[w]))));
  const limitRows = new Map(deployments.map((d, i) => [d, aligned[i] ?? '']));

  const sections: string[][] = [[summary(report)]];
  if (report.warnings.length > 0) sections.push(['warnings', ...report.warnings.map((w) => `  ${w.text}`)]);
  sections.push(settings(report));
  for (const alias of report.aliases) sections.push(aliasBlock(alias, limitRows));
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}
