import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, parseConfig } from '../config/load.js';
import type { GatewayConfig } from '../config/types.js';
import type { Gateway, GatewayState } from '../gateway.js';
import type { Logger } from '../log.js';
import { describeChanges, describeKeyChanges } from './changes.js';
import { assertRegularFile, digestOfSync, NotRegularFileError, watchConfigFile } from './config-file.js';

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

export interface SettleOptions {
  /** How long the file must stay the same (size, mtime and content) before it counts as written. */
  readonly quietMs?: number;
  /** Give up waiting after this long and take what is there; a file that never settles is still read. */
  readonly maxWaitMs?: number;
}

/**
 * The file's content once it has stopped changing: two reads `quietMs` apart with the same size, mtime
 * and bytes. A config written in several steps (a script, a slow copy, a sync tool) is acted on when
 * complete, not when its first part happens to be valid YAML. `undefined` while the file is missing.
 */
export async function readSettled(file: string, options: SettleOptions = {}): Promise<string | undefined> {
  const quietMs = options.quietMs ?? 500;
  const giveUpAt = performance.now() + (options.maxWaitMs ?? 10_000);
  const snapshot = async () => {
    try {
      // A FIFO or device at the path would never finish a read: refuse it before reading.
      const info = await stat(file);
      if (!info.isFile()) throw new NotRegularFileError(file);
      return { size: info.size, mtimeMs: info.mtimeMs, text: await readFile(file, 'utf8') };
    } catch (err) {
      if (err instanceof NotRegularFileError) throw err;
      return undefined;
    }
  };
  let last = await snapshot();
  for (;;) {
    await sleep(quietMs);
    const now = await snapshot();
    const same = now !== undefined && last !== undefined && now.size === last.size && now.mtimeMs === last.mtimeMs && now.text === last.text;
    if (same || performance.now() >= giveUpAt) return now?.text;
    last = now;
  }
}

/** Whether a config asks callers for a key at all. */
function requiresKeys(config: GatewayConfig): boolean {
  return config.general.masterKey !== undefined || config.general.clientKeys.length > 0;
}

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
  /** Bumped by every watch event, so a settle that a newer change overtook is dropped. */
  private generation = 0;

  constructor(
    private readonly gateway: Gateway,
    private readonly file: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Logger,
    private readonly onResult: (result: ReloadResult) => void = () => {},
    private readonly settle: SettleOptions = {},
  ) {
    this.status = { lastSuccessAt: gateway.current.loadedAt, lastFailure: undefined, failures: 0 };
    this.digest = this.readDigest();
  }

  get current(): ReloadStatus {
    return this.status;
  }

  /**
   * Loads the file (or `text`, its content as already read) and swaps it in. A config that would turn
   * authentication off (no master key and no client key, where there were some) is refused: that takes
   * a restart, so a half-written or mistaken file can never open the gateway to anyone.
   */
  reload(trigger: ReloadTrigger, text?: string): ReloadResult {
    this.digest = text === undefined ? this.readDigest() : digestOf(text);
    const before = this.gateway.current;
    let result: ReloadResult;
    try {
      // A FIFO or device at the path would block the synchronous read below, and with it every request.
      if (text === undefined) assertRegularFile(this.file);
      const config = text === undefined ? loadConfig(this.file, this.env) : parseConfig(text, this.file, this.env);
      if (requiresKeys(before.config) && !requiresKeys(config)) {
        throw new Error(
          'the new config has no master_key and no client_keys, which would turn authentication off; refused. ' +
            'Turning authentication off takes a restart with that config.',
        );
      }
      const after = this.gateway.replace(config);
      const changes = [...describeKeyChanges(before.config.general, config.general), ...describeChanges(before, after)];
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
   * Reloads when the file changes: renames and ConfigMap `..data` swaps included (see `watchConfigFile`),
   * once the file has settled. The check reads off the event loop and refuses anything but a regular file.
   */
  watch(): void {
    this.watcher = watchConfigFile(
      this.file,
      () => {
        clearTimeout(this.timer);
        const generation = ++this.generation;
        this.timer = setTimeout(() => void this.reloadWhenSettled(generation), DEBOUNCE_MS);
        this.timer.unref();
      },
      (err) => this.log.warn(`stopped watching ${this.file}: ${err.message}; SIGHUP and POST /config/reload still work`),
    );
  }

  /** Acts on the file once it has settled; a newer change restarts the wait. */
  private async reloadWhenSettled(generation: number): Promise<void> {
    let text: string | undefined;
    try {
      text = await readSettled(this.file, this.settle);
    } catch (err) {
      this.log.warn(`config watch: ${err instanceof Error ? err.message : String(err)}; still serving the config loaded at ${this.gateway.current.loadedAt.toISOString()}`);
      return;
    }
    if (generation !== this.generation || this.closed) return;
    // Neighbours in a busy folder fire too: reload only on a real change.
    if (text !== undefined && digestOf(text) !== this.digest) this.reload('file', text);
  }

  private closed = false;

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  private readDigest(): string | undefined {
    // Mid-rename the file may briefly not exist; the next event brings it back.
    return digestOfSync(this.file);
  }

  private logSuccess(trigger: ReloadTrigger, after: GatewayState, changes: readonly string[]): void {
    for (const warning of after.table.chainWarnings) this.log.warn(`${this.file}: ${warning}`);
    for (const warning of after.config.warnings) this.log.warn(`${this.file}${warning.line !== undefined ? `:${warning.line}:${warning.column ?? 1}` : ''}: ${warning.message}`);
    const summary = changes.length === 0 ? 'no routing changes' : changes.join('; ');
    this.log.info(`config reloaded (${trigger}) from ${this.file}: ${summary}`);
  }
}

function digestOf(content: string | Buffer): string {
  return createHash('sha1').update(content).digest('hex');
}
