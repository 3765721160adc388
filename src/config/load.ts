import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.js';
import { deepFreeze } from './freeze.js';
import { Issues, type RawIssue } from './issues.js';
import { formatPath } from './path.js';
import { positionOf } from './positions.js';
import type { ConfigWarning, GatewayConfig } from './types.js';
import { validateConfig } from './validate.js';

export { ConfigError, formatIssue, formatWarning, type ConfigIssue } from './errors.js';

/** Reads and validates a LiteLLM-format config file. Throws `ConfigError` listing every problem found. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(file, [{ message: `cannot read config file: ${reason}` }], { cause: err });
  }
  return parseConfig(text, file, env);
}

/**
 * Validates config text; `file` is used in messages as given and resolved to an absolute path in the
 * result. `env` is only read: `environment_variables` from the file shadow it without modifying it.
 */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const lineCounter = new LineCounter();
  // `merge: true` because LiteLLM reads YAML with PyYAML, where `<<: *anchor` merge keys work.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map((e) => yamlIssue(e, 'YAML syntax error')));

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    // Alias bombs ("billion laughs") are refused by the yaml library with an exception.
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(file, [{ message: reason }], { cause: err });
  }

  const issues = new Issues();
  const config = validateConfig(raw, env, issues);
  const place = (issue: RawIssue): { path?: string; line?: number; column?: number } => {
    const at = positionOf(doc, lineCounter, issue.path);
    const path = formatPath(issue.path);
    return { ...(path ? { path } : {}), ...(at ? { line: at.line, column: at.column } : {}) };
  };

  if (issues.errors.length > 0) {
    const errors = issues.errors.map(
      (e): ConfigIssue => ({ ...place(e), message: e.message, ...(e.expected ? { expected: e.expected } : {}) }),
    );
    throw new ConfigError(file, byPosition(errors));
  }

  const warnings: ConfigWarning[] = [
    ...doc.warnings.map((w): ConfigWarning => ({ path: '', message: yamlIssue(w, 'YAML warning').message, ...yamlPosition(w) })),
    ...issues.warnings.map((w): ConfigWarning => {
      const { path = '', ...at } = place(w);
      return { path, message: path ? `${path}: ${w.message}` : w.message, ...at };
    }),
  ];
  return deepFreeze({ file: resolve(file), ...config, warnings: byPosition(warnings) });
}

function yamlPosition(error: YAMLError): { line?: number; column?: number } {
  const start = error.linePos?.[0];
  return start ? { line: start.line, column: start.col } : {};
}

/** The library's message repeats the position and appends a code frame; the prefix already says where. */
function yamlIssue(error: YAMLError, label: string): ConfigIssue {
  const firstLine = error.message.split('\n')[0] ?? error.message;
  const message = firstLine.replace(/ at line \d+, column \d+:?$/, '');
  return { message: `${label}: ${message}`, ...yamlPosition(error) };
}

/** Sorted so the list reads top to bottom like the file; the sort is stable for equal positions. */
function byPosition<T extends { line?: number; column?: number }>(items: T[]): T[] {
  const key = (item: T): [number, number] => [item.line ?? Number.MAX_SAFE_INTEGER, item.column ?? Number.MAX_SAFE_INTEGER];
  return [...items].sort((a, b) => {
    const [la, ca] = key(a);
    const [lb, cb] = key(b);
    return la - lb || ca - cb;
  });
}
