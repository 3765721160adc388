/** A shared-store call that did not answer in time. Whether the server applied it is unknown. */
export class StoreTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/**
 * Settles like `promise`, or rejects with StoreTimeoutError after `ms`. The underlying call keeps running
 * (a socket write cannot be taken back); callers that care about a late result keep `promise` themselves.
 *
 * The bound measures the store, not this process: when the timer fires, I/O that has already arrived is
 * read first (one turn of the event loop, `setImmediate`), and a reply found there counts as in time.
 * Without this, a process that was busy for longer than `ms` (a burst of requests on cold code) ran its
 * timers before reading the socket and took a reply received within a millisecond for an outage.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new StoreTimeoutError(what, ms));
      });
    }, ms);
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
