import { loadConfig } from '../config/load.js';
import type { Gateway, GatewayState } from '../gateway.js';
import type { Logger } from '../log.js';
import { describeChanges } from './changes.js';
import { assertRegularFile, digestOf, digestOfSync, watchConfigFile } from './config-file.js';

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
  private watcher: { close(): void } | undefined;
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
      // A FIFO or device at the path would block the synchronous read below, and with it every request.
      assertRegularFile(this.file);
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

  /**
   * Reloads when the file changes: renames and ConfigMap `..data` swaps included (see `watchConfigFile`).
   * The check reads off the event loop and refuses anything but a regular file.
   */
  watch(): void {
    this.watcher = watchConfigFile(
      this.file,
      () => {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.reloadIfChanged(), DEBOUNCE_MS);
        this.timer.unref();
      },
      (err) => this.log.warn(`stopped watching ${this.file}: ${err.message}; SIGHUP and POST /config/reload still work`),
    );
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  /** Neighbours in a busy folder fire too: reload only on a real change. */
  private async reloadIfChanged(): Promise<void> {
    let digest: string | undefined;
    try {
      digest = await digestOf(this.file);
    } catch (err) {
      this.log.warn(`config watch: ${err instanceof Error ? err.message : String(err)}; still serving the config loaded at ${this.gateway.current.loadedAt.toISOString()}`);
      return;
    }
    if (digest !== this.digest) this.reload('file');
  }

  private readDigest(): string | undefined {
    return digestOfSync(this.file);
  }

  private logSuccess(trigger: ReloadTrigger, after: GatewayState, changes: readonly string[]): void {
    for (const warning of after.table.chainWarnings) this.log.warn(`${this.file}: ${warning}`);
    for (const warning of after.config.warnings) this.log.warn(`${this.file}${warning.line !== undefined ? `:${warning.line}:${warning.column ?? 1}` : ''}: ${warning.message}`);
    const summary = changes.length === 0 ? 'no routing changes' : changes.join('; ');
    this.log.info(`config reloaded (${trigger}) from ${this.file}: ${summary}`);
  }
}
