import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { HeadroomQueue } from './headroom-queue.js';

const refused = (seconds = 1) =>
  new GatewayError(429, 'no headroom', { code: 'rate_limit_exceeded', headers: { 'retry-after': String(seconds) } });

/** An attempt refused `times` times, then answering `value`. */
function refusedThen<T>(times: number, value: T, log?: string[]): () => Promise<T> {
  let left = times;
  return async () => {
    log?.push(String(value));
    if (left-- > 0) throw refused();
    return value;
  };
}

const open = () => new AbortController().signal;

describe('HeadroomQueue', () => {
  it('passes the 429 straight through when waiting is off', async () => {
    const queue = new HeadroomQueue();
    await expect(queue.run('a', { maxWaitMs: 0, signal: open() }, refusedThen(1, 'x'))).rejects.toMatchObject({ status: 429 });
  });

  it('waits the retry-after and tries again when the wait fits', async () => {
    const queue = new HeadroomQueue();
    const started = performance.now();
    await expect(queue.run('a', { maxWaitMs: 5_000, signal: open() }, refusedThen(1, 'served'))).resolves.toBe('served');
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('does not wait past max_queue_wait_seconds', async () => {
    const queue = new HeadroomQueue();
    const slow = async () => {
      throw refused(10);
    };
    await expect(queue.run('a', { maxWaitMs: 2_000, signal: open() }, slow)).rejects.toMatchObject({ status: 429 });
    expect(queue.size).toBe(0);
  });

  it('serves waiters of one alias in arrival order', async () => {
    const queue = new HeadroomQueue();
    const log: string[] = [];
    const first = queue.run('a', { maxWaitMs: 5_000, signal: open() }, refusedThen(1, 'first', log));
    await new Promise((r) => setTimeout(r, 10));
    const second = queue.run('a', { maxWaitMs: 5_000, signal: open() }, refusedThen(1, 'second', log));
    await Promise.all([first, second]);
    // Each tried once on arrival; on retry the first goes before the second.
    expect(log).toEqual(['first', 'second', 'first', 'second']);
  });

  it('never lets more than its capacity wait', async () => {
    const queue = new HeadroomQueue(1);
    const waiting = queue.run('a', { maxWaitMs: 5_000, signal: open() }, refusedThen(1, 'one'));
    await new Promise((r) => setTimeout(r, 10));
    await expect(queue.run('a', { maxWaitMs: 5_000, signal: open() }, refusedThen(1, 'two'))).rejects.toMatchObject({ status: 429 });
    await expect(waiting).resolves.toBe('one');
  });

  it('stops waiting when the caller goes away', async () => {
    const queue = new HeadroomQueue();
    const controller = new AbortController();
    const waiting = queue.run('a', { maxWaitMs: 5_000, signal: controller.signal }, refusedThen(5, 'never'));
    setTimeout(() => controller.abort(), 50);
    await expect(waiting).rejects.toMatchObject({ status: 408 });
    expect(queue.size).toBe(0);
  });
});
