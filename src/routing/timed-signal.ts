/** The abort reason of a signal whose own time ran out, so a timeout can be told apart from an abort. */
export const TIMED_OUT = 'timed-out';
/** The abort reason when a draining gateway's grace period is over and requests still running are ended. */
export const SHUTTING_DOWN = 'shutting-down';

/**
 * A signal that fires when its parent does (caller gone, request deadline) or when its own time runs out.
 * Used for the request deadline and for each upstream attempt. The timer can be stopped on its own (a
 * stream that started no longer has a time-to-first-byte limit) while the link to the parent stays.
 */
export class TimedSignal {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly onParentAbort = (): void => this.controller.abort(this.parent?.reason);

  constructor(
    private readonly parent: AbortSignal | undefined,
    timeoutMs: number,
  ) {
    if (parent?.aborted) this.controller.abort(parent.reason);
    else parent?.addEventListener('abort', this.onParentAbort, { once: true });
    this.timer = setTimeout(() => this.controller.abort(TIMED_OUT), Math.max(0, timeoutMs));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get timedOut(): boolean {
    return this.controller.signal.aborted && this.controller.signal.reason === TIMED_OUT;
  }

  stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  abort(reason: unknown): void {
    this.controller.abort(reason);
  }

  /** Stops the timer and unlinks from the parent; call when the work is over. */
  dispose(): void {
    this.stopTimer();
    this.parent?.removeEventListener('abort', this.onParentAbort);
  }
}

/** Resolves after `ms`, or early (without error) once `signal` aborts, so callers just re-check it. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    // setTimeout fires at once above 2^31-1 ms; clamp so a huge delay means "very long", not "none".
    const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
    signal.addEventListener('abort', done, { once: true });
  });
}
