/** Running Prometheus's command-line tools from tests. */
import { spawn } from 'node:child_process';
import { findOnPath } from '../support/binaries.js';

/** The tests need the real tools; a missing one is a failure that says how to get it, never a skip. */
export function requireBinary(name: 'promtool' | 'prometheus'): string {
  const path = findOnPath(name);
  if (path !== undefined) return path;
  throw new Error(`${name} is not on the PATH: install Debian's \`prometheus\` package (apt-get install prometheus), which provides /usr/bin/promtool and /usr/bin/prometheus`);
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion, feeding `input` on stdin; killed after `timeoutMs`. */
export function run(file: string, args: readonly string[], options: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 15_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/**
 * The exposition text without the named families (their HELP, TYPE and sample lines). Only families
 * known to break a lint rule for reasons outside the gateway's control are meant to be removed.
 */
export function withoutFamilies(exposition: string, names: readonly string[]): string {
  const drop = new Set(names);
  return exposition
    .split('\n')
    .filter((line) => {
      const comment = /^# (?:HELP|TYPE) (\S+)/.exec(line);
      const name = comment?.[1] ?? /^([A-Za-z_:][A-Za-z0-9_:]*)/.exec(line)?.[1];
      return name === undefined || !drop.has(name);
    })
    .join('\n');
}
