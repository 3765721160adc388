import { GatewayError } from '../errors.js';

export interface QueueOptions {
  /** How long a request may wait for headroom, ms; 0 turns waiting off. */
  readonly maxWaitMs: number;
  /** Fires when the caller goes away or the request deadline passes. */
  readonly signal: AbortSignal;
}

/**
 * `router_settings.max_queue_wait_seconds`: a request that every budget of its chain refuses may wait for
 * headroom instead of failing. Waiters of one alias take turns in arrival order: only the first retries,
 * the rest wait behind it, so a freed slot goes to whoever came first. At most `capacity` requests wait
 * at once; beyond that, and when the wait would pass the limit, the 429 goes out as it is.
 */
export class HeadroomQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private waiting = 0;

  constructor(private readonly capacity = 1_000) {}

  async run<T>(alias: string, options: QueueOptions, attempt: () => Promise<T>): Promise<T> {
    const giveUpAt = performance.now() + options.maxWaitMs;
    let wakeAt: number;
    try {
      return await attempt();
    } catch (err) {
      if (!this.mayWait(err, giveUpAt)) throw err;
      wakeAt = performance.now() + retryAfterMs(err as GatewayError);
    }
    this.waiting++;
    const earlier = this.tails.get(alias) ?? Promise.resolve();
    let leave!: () => void;
    const mine = new Promise<void>((resolve) => (leave = resolve));
    const tail = earlier.then(() => mine);
    this.tails.set(alias, tail);
    try {
      await untilAborted(earlier, options.signal);
      for (;;) {
        await sleep(wakeAt - performance.now(), options.signal);
        try {
          return await attempt();
        } catch (err) {
          if (!this.mayWait(err, giveUpAt)) throw err;
          wakeAt = performance.now() + retryAfterMs(err as GatewayError);
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

  private mayWait(err: unknown, giveUpAt: number): boolean {
    if (!(err instanceof GatewayError) || err.status !== 429 || err.code !== 'rate_limit_exceeded') return false;
    return this.waiting < this.capacity && performance.now() + retryAfterMs(err) <= giveUpAt;
  }
}

function retryAfterMs(err: GatewayError): number {
  return Number(err.headers['retry-after'] ?? 1) * 1000;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return untilAborted(new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref()), signal);
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
