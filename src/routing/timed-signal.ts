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
  private readonly onParentAbort = (): void => this.controller.abort((this.parent as AbortSignal).reason);

  /** `parent`: a signal it follows (through a listener), or the `Stopper` of the requests it belongs to. */
  constructor(
    private readonly parent: AbortSignal | Stopper | undefined,
    timeoutMs: number,
  ) {
    if (parent instanceof Stopper) parent.join(this);
    else if (parent?.aborted) this.controller.abort(parent.reason);
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
    if (this.parent instanceof Stopper) this.parent.leave(this);
    else this.parent?.removeEventListener('abort', this.onParentAbort);
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

/**
 * Ends every request still running at once, when a draining gateway's grace period is over: each request's
 * deadline (a `TimedSignal` made with it as parent) is held in a set while it runs, and aborted with the
 * stop's reason. A listener per request on one shared signal cost more: Node's `EventTarget` compares a
 * new listener with every one it holds, so each request's add and remove walked all the others'.
 */
export class Stopper {
  private readonly running = new Set<TimedSignal>();
  private readonly controller = new AbortController();

  /** Fires when the stop comes, after the deadlines have been ended (a stream's relay listens to it). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  stop(reason: unknown): void {
    if (this.controller.signal.aborted) return;
    for (const deadline of this.running) deadline.abort(reason);
    this.running.clear();
    this.controller.abort(reason);
  }

  /** A deadline made after the stop ends at once. */
  join(deadline: TimedSignal): void {
    if (this.controller.signal.aborted) deadline.abort(this.controller.signal.reason);
    else this.running.add(deadline);
  }

  leave(deadline: TimedSignal): void {
    this.running.delete(deadline);
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
