/** The abort reason of a signal whose own time ran out, so a timeout can be told apart from an abort. */
export const TIMED_OUT = 'timed-out';
/** The abort reason when a draining gateway's grace period is over and requests still running are ended. */
export const SHUTTING_DOWN = 'shutting-down';

/** What an upstream attempt holds of its time limit: the signal it is sent with, and ways to end it. */
export interface AttemptSignal {
  readonly signal: AbortSignal;
  /** Whether it fired because its time ran out (not because the caller left or the gateway stopped). */
  readonly timedOut: boolean;
  /** Ends its own time limit (a stream's time to first byte); whatever it hangs from still applies. */
  stopTimer(): void;
  abort(reason: unknown): void;
  /** Call when the attempt is over. */
  dispose(): void;
}

/**
 * A signal that fires when its parent does (caller gone, request deadline) or when its own time runs out.
 * Used for the request deadline and for each upstream attempt. The timer can be stopped on its own (a
 * stream that started no longer has a time-to-first-byte limit) while the link to the parent stays.
 */
export class TimedSignal implements AttemptSignal {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private sharedView: AttemptSignal | undefined;
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

  /**
   * This signal, for an attempt whose time limit is this one's (an upstream call with no shorter limit
   * than its request's deadline, the usual case): no AbortController, timer or parent listener of its
   * own. Stopping the attempt's timer or disposing it leaves this one running; aborting it aborts this one.
   */
  get shared(): AttemptSignal {
    this.sharedView ??= new SharedSignal(this);
    return this.sharedView;
  }
}

/** An attempt's view of the deadline it shares (`TimedSignal.shared`). */
class SharedSignal implements AttemptSignal {
  constructor(private readonly owner: TimedSignal) {}

  get signal(): AbortSignal {
    return this.owner.signal;
  }

  get timedOut(): boolean {
    return this.owner.timedOut;
  }

  /** The owner's timer is the request's deadline, which still applies to a stream that has started. */
  stopTimer(): void {}

  abort(reason: unknown): void {
    this.owner.abort(reason);
  }

  /** The owner is disposed by whoever made it, when the request is over. */
  dispose(): void {}
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
