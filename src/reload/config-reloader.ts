import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Gateway, GatewayState } from '../gateway.js';
import type { Logger } from '../log.js';
import { describeChanges } from './changes.js';

export type ReloadTrigger = 'file' | 'signal' | 'api' | 'manual';

export type ReloadResult = { readonly ok: true; readonly changes: readonly string[] } | { readonly ok: false; readonly error: string };

export interface ReloadStatus {
  /** When the config now serving was loaded. */
  readonly lastSuccessAt: Date;
  /** The last failed attempt since the last success, if any. */
  readonly lastFailure: { readonly at: Date; readonly error: string; readonly trigger: ReloadTrigger } | undefined;
  readonly failures: number;
}

/** Editors save in bursts (write, rename, chmod); one reload per burst. */
const DEBOUNCE_MS = 150;

/**
 * Re-reads the routing file on change (editors that save by rename included), on SIGHUP and on
 * `POST /config/reload`. A new file is parsed and validated in full before anything changes; then the
 * gateway's state is swapped in one assignment, so requests in flight finish on the table they started
 * with. A bad file changes nothing: the old table keeps serving and the error names file, line, column
 * and key path.
 */
export class ConfigReloader {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private status: ReloadStatus;
  /** Digest of the file as last read, so watch events that change nothing cost no reload. */
  private digest: string | undefined;

  constructor(
    private readonly gateway: Gateway,
    private readonly file: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Logger,
    private readonly onResult: (result: ReloadResult) => void = () => {},
  ) {
    this.status = { lastSuccessAt: gateway.current.loadedAt, lastFailure: undefined, failures: 0 };
    this.digest = this.readDigest();
  }

  get current(): ReloadStatus {
    return this.status;
  }

  reload(trigger: ReloadTrigger): ReloadResult {
    this.digest = this.readDigest();
    const before = this.gateway.current;
    let result: ReloadResult;
    try {
      const config = loadConfig(this.file, this.env);
      const after = this.gateway.replace(config);
      const changes = describeChanges(before, after);
      this.status = { lastSuccessAt: after.loadedAt, lastFailure: undefined, failures: this.status.failures };
      this.logSuccess(trigger, after, changes);
      result = { ok: true, changes };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.status = { ...this.status, lastFailure: { at: new Date(), error, trigger }, failures: this.status.failures + 1 };
      this.log.error(`config reload (${trigger}) failed; still serving the config loaded at ${before.loadedAt.toISOString()}:\n${error}`);
      result = { ok: false, error };
    }
    this.onResult(result);
    return result;
  }

  /** Reloads when the file changes; watching its folder catches editors that replace it by rename. */
  watch(): void {
    const name = basename(this.file);
    this.watcher = watch(dirname(this.file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed.toString() !== name) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        // Some platforms name no file, and neighbours in a busy folder fire too: reload only on a real change.
        if (this.readDigest() !== this.digest) this.reload('file');
      }, DEBOUNCE_MS);
      this.timer.unref();
    });
    this.watcher.on('error', (err) => this.log.warn(`stopped watching ${this.file}: ${err.message}; SIGHUP and POST /config/reload still work`));
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  private readDigest(): string | undefined {
    try {
      return createHash('sha1').update(readFileSync(this.file)).digest('hex');
    } catch {
      // Mid-rename the file may briefly not exist; the next event brings it back.
      return undefined;
    }
  }

  private logSuccess(trigger: ReloadTrigger, after: GatewayState, changes: readonly string[]): void {
    for (const warning of after.table.chainWarnings) this.log.warn(`${this.file}: ${warning}`);
    for (const warning of after.config.warnings) this.log.warn(`${this.file}${warning.line !== undefined ? `:${warning.line}:${warning.column ?? 1}` : ''}: ${warning.message}`);
    const summary = changes.length === 0 ? 'no routing changes' : changes.join('; ');
    this.log.info(`config reloaded (${trigger}) from ${this.file}: ${summary}`);
  }
}
