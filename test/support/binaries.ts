/**
 * The system programs the test suite drives (redis-server, Prometheus, Chromium): found on the PATH,
 * installed from Debian's packages when the suite runs as root, or named in one line when it cannot.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Each program and the Debian package that provides it. */
export const SYSTEM_PROGRAMS = {
  'redis-server': 'redis-server',
  prometheus: 'prometheus',
  promtool: 'prometheus',
  chromium: 'chromium',
  // Not the suite's: `scripts/bench/perf-profile.ts` samples the gateway with it.
  perf: 'linux-perf',
} as const;

export type SystemProgram = keyof typeof SYSTEM_PROGRAMS;

/** A program missing and not installable here; its message is the one line to show. */
export class MissingProgramError extends Error {
  constructor(
    readonly program: SystemProgram,
    readonly debianPackage: string,
  ) {
    super(`the test suite needs ${program}: install Debian's \`${debianPackage}\` package (apt-get install ${debianPackage}), or run it as root and it installs itself`);
    this.name = 'MissingProgramError';
  }
}

/** The path of the first executable `name` in the directories of $PATH, if any. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** The programs' paths; what is missing gets installed with apt-get as root, otherwise a MissingProgramError. */
export function ensurePrograms(programs: readonly SystemProgram[]): Record<string, string> {
  const missing = programs.filter((p) => findOnPath(p) === undefined);
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((p) => SYSTEM_PROGRAMS[p]))];
    const first = missing[0] as SystemProgram;
    if (process.getuid?.() !== 0 || findOnPath('apt-get') === undefined) throw new MissingProgramError(first, packages.join(' '));
    process.stderr.write(`test setup: installing ${packages.join(', ')} with apt-get\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
  }
  return Object.fromEntries(
    programs.map((p) => {
      const path = findOnPath(p);
      if (path === undefined) throw new MissingProgramError(p, SYSTEM_PROGRAMS[p]);
      return [p, path];
    }),
  );
}
