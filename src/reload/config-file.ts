import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, relative, isAbsolute } from 'node:path';

/** The config path names something other than a regular file (a FIFO, a device, a directory): reading it could block forever. */
export class NotRegularFileError extends Error {
  constructor(readonly path: string) {
    super(`${path} is not a regular file; not reading it`);
    this.name = 'NotRegularFileError';
  }
}

/** Throws `NotRegularFileError` unless `path`, links followed, is a regular file. `stat` never blocks on a FIFO. */
export function assertRegularFile(path: string): void {
  if (!statSync(path).isFile()) throw new NotRegularFileError(path);
}

/** The file's digest, read off the event loop; `undefined` while it does not exist (mid-rename). */
export async function digestOf(path: string): Promise<string | undefined> {
  try {
    if (!(await stat(path)).isFile()) throw new NotRegularFileError(path);
    return createHash('sha1').update(await readFile(path)).digest('hex');
  } catch (err) {
    if (err instanceof NotRegularFileError) throw err;
    return undefined;
  }
}

/** The same, at start-up and after a reload (a regular file, so a short synchronous read). */
export function digestOfSync(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
    return createHash('sha1').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * Watches what can change the config without touching its path: its directory, with no filter on names,
 * since a Kubernetes ConfigMap update renames a `..data` symlink there rather than writing the file, and
 * editors save by rename; and, when the path is a symlink to a file elsewhere, that file's directory too.
 * Callers compare digests, so events from neighbours cost a stat and a read, not a reload.
 */
export function watchConfigFile(file: string, onEvent: () => void, onError: (err: Error) => void): { close(): void } {
  const dirs = new Set([dirname(file)]);
  try {
    const target = dirname(realpathSync(file));
    const inside = relative(dirname(file), target);
    // A target under the config's own directory (the ConfigMap's `..<timestamp>/`) is replaced whole on
    // update; the directory watch already sees that.
    if (inside.startsWith('..') || isAbsolute(inside)) dirs.add(target);
  } catch {
    // Not there yet: the directory watch sees it arrive.
  }
  const watchers: FSWatcher[] = [];
  for (const dir of dirs) {
    const watcher = watch(dir, { persistent: false }, () => onEvent());
    watcher.on('error', onError);
    watchers.push(watcher);
  }
  return { close: () => watchers.forEach((w) => w.close()) };
}
