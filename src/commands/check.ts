import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CatalogError, loadCatalog } from '../catalog/load.js';
import type { Catalog } from '../catalog/types.js';
import { ConfigError, type ConfigIssue } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import { buildCheckReport } from './check-report.js';
import { alignColumns, renderCheckText } from './check-text.js';
import { litellmDiff, type DiffRow } from './litellm-diff.js';
import { parseCommandLine, type CommandIo } from './io.js';

export const CHECK_USAGE = `Usage: groq-router check [--config FILE] [--json] [--litellm-diff]

Validates the config and the model catalogue without starting the gateway, prints any warnings, and
prints the routing table the gateway would use: each alias's fallback chain in order, its chain for
prompts larger than its context window, and per deployment its key status and rate limits with where
each limit comes from. API keys are never printed, only previews.

  --config  LiteLLM-format config file (default: litellm.config.yaml)
  --json    print the result as JSON instead of text
  --litellm-diff
            list every key of the file with how this gateway treats it next to LiteLLM: honoured,
            honoured differently (and how), or ignored (and why)

Exit status: 0 when valid (warnings allowed), 1 when the config or catalogue has errors, 2 on bad usage.
`;

export interface CheckDeps {
  readonly env?: NodeJS.ProcessEnv;
  /** The catalogue to check against; the shipped one unless given. */
  readonly loadCatalog?: () => Catalog;
}

interface CheckFailure {
  readonly valid: false;
  readonly file: string;
  readonly errors: readonly ConfigIssue[];
}

export function runCheck(argv: readonly string[], io: CommandIo, deps: CheckDeps = {}): number {
  const values = parseCommandLine(
    argv,
    {
      config: { type: 'string', default: 'litellm.config.yaml' },
      json: { type: 'boolean', default: false },
      'litellm-diff': { type: 'boolean', default: false },
    },
    'groq-router check',
    CHECK_USAGE,
    io,
  );
  if (typeof values === 'number') return values;
  const file = values.config;

  try {
    const config = loadConfig(file, deps.env ?? process.env);
    const catalog = (deps.loadCatalog ?? loadCatalog)();
    if (values['litellm-diff']) {
      const rows = litellmDiff(parse(readFileSync(file, 'utf8'), { merge: true }), config);
      io.out(values.json ? `${JSON.stringify({ valid: true, file: config.file, keys: rows }, null, 2)}\n` : renderDiffText(rows));
      return 0;
    }
    const report = buildCheckReport(config, catalog, file);
    io.out(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderCheckText(report));
    return 0;
  } catch (err) {
    const failure = describeFailure(err);
    if (failure === undefined) throw err;
    if (values.json) io.out(`${JSON.stringify(failure.json, null, 2)}\n`);
    else io.err(`groq-router check: invalid config\n${failure.text}\n`);
    return 1;
  }
}

function renderDiffText(rows: readonly DiffRow[]): string {
  const counts = (t: DiffRow['treatment']) => rows.filter((r) => r.treatment === t).length;
  const lines = alignColumns(rows.map((r) => [r.path, r.treatment, r.note]));
  const summary = `${rows.length} keys: ${counts('honoured')} honoured, ${counts('honoured differently')} honoured differently, ${counts('ignored')} ignored`;
  return `${lines.join('\n')}\n\n${summary}\n`;
}

/** Errors `check` exists to report; anything else is a bug and propagates. */
function describeFailure(err: unknown): { text: string; json: CheckFailure } | undefined {
  if (err instanceof ConfigError) {
    return { text: err.message, json: { valid: false, file: err.file, errors: err.errors } };
  }
  if (err instanceof CatalogError) {
    return { text: err.message, json: { valid: false, file: err.source, errors: [{ message: err.message }] } };
  }
  return undefined;
}
