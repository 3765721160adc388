import type { ConfigWarning } from './types.js';

/** One problem found in a config file. `message` is the bare description, without file or path. */
export interface ConfigIssue {
  readonly message: string;
  /** Formatted key path, e.g. `model_list[2].litellm_params.model`; absent for file-level problems. */
  readonly path?: string;
  readonly line?: number;
  readonly column?: number;
  /** What a valid value looks like, when there is a single answer. */
  readonly expected?: string;
}

function location(file: string, at: { line?: number; column?: number }): string {
  if (at.line === undefined) return file;
  return at.column === undefined ? `${file}:${at.line}` : `${file}:${at.line}:${at.column}`;
}

/** `file:line:col: path: message`, leaving out whatever is unknown. */
export function formatIssue(file: string, issue: ConfigIssue): string {
  const path = issue.path ? `${issue.path}: ` : '';
  return `${location(file, issue)}: ${path}${issue.message}`;
}

/** A warning's `message` already starts with its path (it is read on its own, e.g. in logs). */
export function formatWarning(file: string, warning: ConfigWarning): string {
  return `${location(file, warning)}: ${warning.message}`;
}

/**
 * A config file that cannot be used. Carries every error found (`errors`), so a user can fix them in
 * one pass; the top-level `line`/`column`/`path`/`expected` repeat the first one for callers that
 * only look at a single location.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly path?: string;
  readonly expected?: string;
  readonly errors: readonly ConfigIssue[];

  constructor(file: string, errors: readonly ConfigIssue[], options?: { cause?: unknown }) {
    super(ConfigError.describe(file, errors), options);
    const first = errors[0];
    this.file = file;
    this.errors = Object.freeze([...errors]);
    if (first?.line !== undefined) this.line = first.line;
    if (first?.column !== undefined) this.column = first.column;
    if (first?.path !== undefined) this.path = first.path;
    if (first?.expected !== undefined) this.expected = first.expected;
  }

  private static describe(file: string, errors: readonly ConfigIssue[]): string {
    const lines = errors.map((e) => formatIssue(file, e));
    if (lines.length <= 1) return lines[0] ?? `${file}: invalid configuration`;
    return [`${file}: ${lines.length} configuration errors:`, ...lines].join('\n');
  }
}
