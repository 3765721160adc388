import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { newTrail } from './attempt-trail.js';
import { HeadroomQueue, type WaitClock } from './headroom-queue.js';
import { RateLimitRefusal } from './routing-error.js';

const refused = (seconds = 1) => new RateLimitRefusal(() => 'no headroom', seconds * 1000, {}, newTrail());

/** An attempt refused `times` times, then answering `value`. */
function refusedThen<T>(times: number, value: T, log?: string[], seconds = 1): () => Promise<T> {
  let left = times;
  return async () => {
    log?.push(String(value));
    if (left-- > 0) throw refused(seconds);
    return value;
  };
}

const open = () => new AbortController().signal;

/** Lets every continuation that is ready run (a bounded number of event-loop turns). */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await new Promise((r) => setImmediate(r));
}

/** Resolves once `count` requests wait in the queue (bounded: a thousand event-loop turns). */
async function waiting(queue: HeadroomQueue, count: number): Promise<void> {
  for (let turn = 0; turn < 1_000 && queue.size < count; turn++) await new Promise((r) => setImmediate(r));
  expect(queue.size).toBe(count);
}

/** Time that passes only when the test says so: waits end at `advance`, never on their own. */
class TestClock implements WaitClock {
  private at = 0;
  private timers: { readonly due: number; readonly fire: () => void }[] = [];

  now(): number {
    return this.at;
  }

  after(ms: number): Promise<void> {
    return new Promise((fire) => this.timers.push({ due: this.at + Math.max(0, ms), fire }));
  }

  async advance(ms: number): Promise<void> {
    this.at += ms;
    const due = this.timers.filter((t) => t.due <= this.at);
    this.timers = this.timers.filter((t) => t.due > this.at);
    for (const timer of due) timer.fire();
    await settle();
  }
}

const queueWithClock = (capacity?: number) => {
  const clock = new TestClock();
  return { clock, queue: new HeadroomQueue(capacity, clock) };
};

describe('HeadroomQueue', () => {
  it('passes the 429 straight through when waiting is off', async () => {
    const queue = new HeadroomQueue();
    await expect(queue.run('a', { maxWaitMs: 0, signal: open() }, refusedThen(1, 'x'))).rejects.toMatchObject({ status: 429 });
  });

  it('passes other errors straight through, a 429 that is not a refusal of ours included', async () => {
    const queue = new HeadroomQueue();
    const upstream = new GatewayError(429, 'upstream said so', { code: 'rate_limit_exceeded', headers: { 'retry-after': '1' } });
    await expect(queue.run('a', { maxWaitMs: 5_000, signal: open() }, () => Promise.reject(upstream))).rejects.toBe(upstream);
    expect(queue.size).toBe(0);
  });

  it('waits the retry-after and tries again when the wait fits', async () => {
    const { clock, queue } = queueWithClock();
    const log: string[] = [];
    const served = queue.run('a', { maxWaitMs: 5_000, signal: open() }, refusedThen(1, 'served', log));
    await waiting(queue, 1);
    await clock.advance(999);
    expect(log).toEqual(['served']);
    await clock.advance(1);
    await expect(served).resolves.toBe('served');
    expect(log).toEqual(['served', 'served']);
  });

  it('re-plans as soon as capacity is freed, long before the retry-after', async () => {
    const { queue } = queueWithClock();
    const log: string[] = [];
    const served = queue.run('a', { maxWaitMs: 30_000, signal: open() }, refusedThen(1, 'served', log, 25));
    await waiting(queue, 1);
    queue.capacityFreed();
    await expect(served).resolves.toBe('served');
    expect(queue.size).toBe(0);
  });

  it('keeps waiting while freed capacity is not enough, then gives the 429 at the end of the wait', async () => {
    const { clock, queue } = queueWithClock();
    let tries = 0;
    const never = async () => {
      tries++;
      throw refused(10);
    };
    const refusedAtLast = queue.run('a', { maxWaitMs: 300, signal: open() }, never);
    await waiting(queue, 1);
    queue.capacityFreed();
    await settle();
    expect(tries).toBe(2);
    // Watched before the clock moves, so the 429 is handled the moment it comes.
    const refused429 = expect(refusedAtLast).rejects.toBeInstanceOf(RateLimitRefusal);
    await clock.advance(300);
    await refused429;
    // On arrival, after the freed capacity, and once more when the wait ran out.
    expect(tries).toBe(3);
    expect(queue.size).toBe(0);
  });

  it('serves waiters of one alias in arrival order', async () => {
    const { queue } = queueWithClock();
    const log: string[] = [];
    const first = queue.run('a', { maxWaitMs: 5_000, signal: open() }, refusedThen(1, 'first', log));
    await waiting(queue, 1);
    const second = queue.run('a', { maxWaitMs: 5_000, signal: open() }, refusedThen(1, 'second', log));
    await waiting(queue, 2);
    queue.capacityFreed();
    await Promise.all([first, second]);
    // Each tried once on arrival; on retry the first goes before the second.
    expect(log).toEqual(['first', 'second', 'first', 'second']);
  });

  it('never lets more than its capacity wait', async () => {
    const { queue } = queueWithClock(1);
    const one = queue.run('a', { maxWaitMs: 5_000, signal: open() }, refusedThen(1, 'one'));
    await waiting(queue, 1);
    await expect(queue.run('a', { maxWaitMs: 5_000, signal: open() }, refusedThen(1, 'two'))).rejects.toMatchObject({ status: 429 });
    queue.capacityFreed();
    await expect(one).resolves.toBe('one');
  });

  it('stops waiting when the caller goes away', async () => {
    const { queue } = queueWithClock();
    const controller = new AbortController();
    const waits = queue.run('a', { maxWaitMs: 5_000, signal: controller.signal }, refusedThen(5, 'never'));
    await waiting(queue, 1);
    controller.abort();
    await expect(waits).rejects.toMatchObject({ status: 408 });
    expect(queue.size).toBe(0);
  });
});
