import type { Path } from './path.js';

export interface RawIssue {
  readonly path: Path;
  readonly message: string;
  readonly expected?: string;
}

/**
 * Collects errors and warnings while validating, so one run reports everything; positions are
 * attached afterwards, by whoever holds the YAML document.
 */
export class Issues {
  readonly errors: RawIssue[] = [];
  readonly warnings: RawIssue[] = [];

  error(path: Path, message: string, expected?: string): void {
    this.errors.push(expected === undefined ? { path, message } : { path, message, expected });
  }

  warn(path: Path, message: string): void {
    this.warnings.push({ path, message });
  }
}
