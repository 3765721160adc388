/**
 * Writes the dashboards users import: `tsx scripts/grafana/build.ts` (re)generates
 * grafana/dashboards/*.json from the TypeScript specs; `--check` only reports whether they are current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Dashboard } from './grafana.js';
import { groqRouterDashboard } from './groq-router.js';
import { litellmCompatDashboard } from './litellm-compat.js';

export const DASHBOARDS: ReadonlyArray<{ readonly file: string; readonly build: () => Dashboard }> = [
  { file: 'groq-router.json', build: groqRouterDashboard },
  { file: 'litellm-compat.json', build: litellmCompatDashboard },
];

export const DASHBOARD_DIR = fileURLToPath(new URL('../../grafana/dashboards/', import.meta.url));

export function render(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

function main(check: boolean): number {
  let stale = 0;
  for (const { file, build } of DASHBOARDS) {
    const path = DASHBOARD_DIR + file;
    const text = render(build());
    if (!check) {
      writeFileSync(path, text);
      console.log(`wrote ${path}`);
      continue;
    }
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // A missing file is stale like any other.
    }
    if (current !== text) {
      console.error(`${path} is out of date: run tsx scripts/grafana/build.ts`);
      stale++;
    }
  }
  return stale === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.includes('--check'));
}
