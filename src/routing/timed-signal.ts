/** The abort reason of a signal whose own time ran out, so a timeout can be told apart from an abort. */
export const TIMED_OUT = 'timed-out';
/** The abort reason when a draining gateway's grace period is over and requests still running are ended. */
export const SHUTTING_DOWN = 'shutting-down';

/** The TimedSignal behind each signal one made, so a child made from the bare signal can link to it. */
const owners = new WeakMap<AbortSignal, TimedSignal>();

/**
 * A signal that fires when its parent does (caller gone, request deadline) or when its own time runs out.
 * Used for the request deadline and for each upstream attempt. The timer can be stopped on its own (a
 * stream that started no longer has a time-to-first-byte limit) while the link to the parent stays.
 *
 * Every request makes one for its deadline and one per upstream attempt. An attempt's signal made from
 * the request's is linked to it directly rather than through an `abort` listener (an EventTarget
 * listener costs more than the rest of the link), and needs no timer of its own when the request's
 * deadline comes no later than its own would: the deadline's firing ends it with the same reason.
 */
export class TimedSignal {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** When this signal's own timer fires (`performance.now()` time); Infinity without one. */
  private endsAt = Infinity;
  private children: Set<TimedSignal> | undefined;
  private readonly linkedTo: TimedSignal | undefined;
  private readonly onParentAbort = (): void => this.fire(this.parent?.reason);

  constructor(
    private readonly parent: AbortSignal | undefined,
    timeoutMs: number,
  ) {
    owners.set(this.controller.signal, this);
    const ms = Math.max(0, timeoutMs);
    if (parent?.aborted) {
      this.controller.abort(parent.reason);
      return;
    }
    const owner = parent === undefined ? undefined : owners.get(parent);
    if (owner !== undefined) {
      this.linkedTo = owner;
      (owner.children ??= new Set()).add(this);
      // The parent's timer ends this one at or before its own would, with the same reason.
      if (owner.endsAt <= performance.now() + ms) return;
    } else {
      parent?.addEventListener('abort', this.onParentAbort, { once: true });
    }
    this.endsAt = performance.now() + ms;
    this.timer = setTimeout(() => this.fire(TIMED_OUT), ms);
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
    this.endsAt = Infinity;
  }

  abort(reason: unknown): void {
    this.fire(reason);
  }

  /** Stops the timer and unlinks from the parent; call when the work is over. */
  dispose(): void {
    this.stopTimer();
    if (this.linkedTo !== undefined) this.linkedTo.children?.delete(this);
    else this.parent?.removeEventListener('abort', this.onParentAbort);
  }

  private fire(reason: unknown): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(reason);
    if (this.children !== undefined) for (const child of [...this.children]) child.fire(reason);
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
