import { GatewayError } from '../errors.js';
import { RateLimitRefusal } from './routing-error.js';

/** The queue's sense of time: a monotonic `now` in ms, and a wait on it. Tests move it by hand. */
export interface WaitClock {
  now(): number;
  /** Resolves once `ms` have passed. */
  after(ms: number): Promise<void>;
}

const REAL_TIME: WaitClock = { now: () => performance.now(), after: delay };

export interface QueueOptions {
  /** How long a request may wait for headroom, ms; 0 turns waiting off. */
  readonly maxWaitMs: number;
  /** Fires when the caller goes away or the request deadline passes. */
  readonly signal: AbortSignal;
  /** Told how long the request waited in the queue before its last attempt, when it waited at all. */
  readonly onWaited?: (ms: number) => void;
}

/**
 * `router_settings.max_queue_wait_seconds`: a request that every budget of its chain refuses may wait for
 * headroom instead of failing. While it waits it re-plans whenever capacity may have appeared: when a
 * booking is settled or released (`capacityFreed`), and when its last refusal said it would fit (a window
 * bucket expiring, an ejected deployment's trial). Each attempt plans afresh: a smaller completion cap
 * that fits now, or the first deployment of the chain with room. Waiters of one alias take turns in
 * arrival order: only the first re-plans, the rest wait behind it. At most `capacity` requests wait at
 * once; beyond that, and once the wait is over, the 429 goes out with the wait as it then stands.
 */
export class HeadroomQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private waiting = 0;
  private freed = signal();

  constructor(
    private readonly capacity = 1_000,
    private readonly clock: WaitClock = REAL_TIME,
  ) {}

  /** Booked capacity came back somewhere: the first waiter of every alias re-plans. */
  readonly capacityFreed = (): void => {
    const { resolve } = this.freed;
    this.freed = signal();
    resolve();
  };

  async run<T>(alias: string, options: QueueOptions, attempt: () => Promise<T>): Promise<T> {
    const giveUpAt = this.clock.now() + options.maxWaitMs;
    let wakeAt: number;
    // Taken before each attempt: capacity freed while it runs, or while earlier waiters had their turn,
    // wakes this waiter at once.
    let freed = this.freed.promise;
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof RateLimitRefusal) || options.maxWaitMs <= 0 || this.waiting >= this.capacity) throw err;
      wakeAt = this.clock.now() + err.retryAfterMs;
    }
    this.waiting++;
    const queuedAt = this.clock.now();
    const earlier = this.tails.get(alias) ?? Promise.resolve();
    let leave!: () => void;
    const mine = new Promise<void>((resolve) => (leave = resolve));
    const tail = earlier.then(() => mine);
    this.tails.set(alias, tail);
    try {
      await untilAborted(earlier, options.signal);
      for (;;) {
        const left = giveUpAt - this.clock.now();
        // The last try is at the end of the wait, so the 429 that goes out carries the wait as it stands then.
        if (left > 0) await untilAborted(Promise.race([freed, this.clock.after(Math.min(wakeAt, giveUpAt) - this.clock.now())]), options.signal);
        freed = this.freed.promise;
        options.onWaited?.(this.clock.now() - queuedAt);
        try {
          return await attempt();
        } catch (err) {
          if (!(err instanceof RateLimitRefusal) || this.clock.now() >= giveUpAt) throw err;
          wakeAt = this.clock.now() + err.retryAfterMs;
        }
      }
    } finally {
      this.waiting--;
      leave();
      if (this.tails.get(alias) === tail) this.tails.delete(alias);
    }
  }

  /** Requests currently waiting, for tests and metrics. */
  get size(): number {
    return this.waiting;
  }
}

/** A promise and the function that resolves it (Node 20 has no Promise.withResolvers). */
function signal(): { readonly promise: Promise<void>; readonly resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}

/** Resolves with `promise`, or rejects as soon as the caller is gone. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abandoned());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abandoned());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function abandoned(): GatewayError {
  return new GatewayError(408, 'Gave up waiting for rate-limit headroom: the request was cancelled or its deadline passed', {
    type: 'timeout_error',
    code: 'timeout',
  });
}
