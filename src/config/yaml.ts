import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import type { ConfigIssue } from './errors.js';
import type { RawIssue } from './issues.js';
import { formatPath } from './path.js';
import { positionOf } from './positions.js';

/** A YAML file read into a plain value, keeping the document so issues can be given a line and column. */
export interface YamlText {
  readonly ok: true;
  readonly doc: Document;
  readonly lineCounter: LineCounter;
  readonly value: unknown;
  /** The library's warnings (e.g. an unknown tag), each with its position. */
  readonly warnings: readonly ConfigIssue[];
}

/** YAML that cannot be read at all: its syntax errors, or the library's refusal to expand it. */
export interface YamlFailure {
  readonly ok: false;
  readonly errors: readonly ConfigIssue[];
  readonly cause?: unknown;
}

export interface ReadYamlOptions {
  /** `<<: *anchor` merge keys, as PyYAML reads them. */
  readonly merge: boolean;
  /** Put before the library's messages, e.g. `YAML syntax error`. */
  readonly labels: { readonly error: string; readonly warning: string };
}

export function readYaml(text: string, options: ReadYamlOptions): YamlText | YamlFailure {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: options.merge, prettyErrors: true });
  if (doc.errors.length > 0) return { ok: false, errors: doc.errors.map((e) => yamlIssue(e, options.labels.error)) };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    // Alias bombs ("billion laughs") are refused by the yaml library with an exception.
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, errors: [{ message: reason }], cause: err };
  }
  return { ok: true, doc, lineCounter, value, warnings: doc.warnings.map((w) => yamlIssue(w, options.labels.warning)) };
}

/** An issue found while validating, with its key path formatted and the position of that path in the file. */
export function placeIssue(yaml: YamlText, issue: RawIssue): ConfigIssue {
  const at = positionOf(yaml.doc, yaml.lineCounter, issue.path);
  const path = formatPath(issue.path);
  return {
    ...(path ? { path } : {}),
    ...(at ? { line: at.line, column: at.column } : {}),
    message: issue.message,
    ...(issue.expected ? { expected: issue.expected } : {}),
  };
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
export function byPosition<T extends { line?: number; column?: number }>(items: readonly T[]): T[] {
  const key = (item: T): [number, number] => [item.line ?? Number.MAX_SAFE_INTEGER, item.column ?? Number.MAX_SAFE_INTEGER];
  return [...items].sort((a, b) => {
    const [la, ca] = key(a);
    const [lb, cb] = key(b);
    return la - lb || ca - cb;
  });
}
