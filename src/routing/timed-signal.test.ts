import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Stopper, TIMED_OUT, TimedSignal } from './timed-signal.js';

describe('TimedSignal', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('times out on its own, and a child made from its signal ends with it, with the same reason', () => {
    const request = new TimedSignal(undefined, 1_000);
    const attempt = new TimedSignal(request.signal, 5_000);
    vi.advanceTimersByTime(999);
    expect(attempt.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(request.timedOut).toBe(true);
    expect(attempt.timedOut).toBe(true);
  });

  it('a child with a shorter limit than its parent times out first, alone', () => {
    const request = new TimedSignal(undefined, 5_000);
    const attempt = new TimedSignal(request.signal, 1_000);
    vi.advanceTimersByTime(1_000);
    expect(attempt.timedOut).toBe(true);
    expect(request.signal.aborted).toBe(false);
  });

  it('passes an abort down to children still linked, not to disposed ones, nor up', () => {
    const request = new TimedSignal(undefined, 5_000);
    const done = new TimedSignal(request.signal, 1_000);
    const running = new TimedSignal(request.signal, 1_000);
    done.dispose();
    running.abort('attempt cancelled');
    expect(request.signal.aborted).toBe(false);
    const next = new TimedSignal(request.signal, 1_000);
    request.abort('client disconnected');
    expect(next.signal.reason).toBe('client disconnected');
    expect(done.signal.aborted).toBe(false);
  });

  it('follows a plain AbortSignal parent through its abort event, and an aborted one at once', () => {
    const stopping = new AbortController();
    const deadline = new TimedSignal(stopping.signal, 5_000);
    stopping.abort('shutting-down');
    expect(deadline.signal.reason).toBe('shutting-down');
    const late = new TimedSignal(stopping.signal, 5_000);
    expect(late.signal.reason).toBe('shutting-down');
    expect(late.timedOut).toBe(false);
    expect(TIMED_OUT).toBe('timed-out');
  });

  it('a Stopper ends the deadlines still running, and any made after it, but not those disposed', () => {
    const stopping = new Stopper();
    const running = new TimedSignal(stopping, 5_000);
    const done = new TimedSignal(stopping, 5_000);
    done.dispose();
    let heard: unknown;
    stopping.signal.addEventListener('abort', () => (heard = running.signal.reason));
    stopping.stop('shutting-down');
    expect(running.signal.reason).toBe('shutting-down');
    expect(heard).toBe('shutting-down');
    expect(done.signal.aborted).toBe(false);
    const late = new TimedSignal(stopping, 5_000);
    expect(late.signal.reason).toBe('shutting-down');
    expect(late.timedOut).toBe(false);
  });

  it('an attempt sharing its deadline ends with it, and cannot stop or dispose it', () => {
    const request = new TimedSignal(undefined, 1_000);
    const attempt = request.shared;
    expect(attempt.signal).toBe(request.signal);
    attempt.stopTimer();
    attempt.dispose();
    vi.advanceTimersByTime(1_000);
    expect(attempt.timedOut).toBe(true);
    const cancelled = new TimedSignal(undefined, 1_000);
    cancelled.shared.abort('client disconnected');
    expect(cancelled.signal.reason).toBe('client disconnected');
  });

  it('a stopped timer no longer fires; the parent still can', () => {
    const request = new TimedSignal(undefined, 5_000);
    const attempt = new TimedSignal(request.signal, 1_000);
    attempt.stopTimer();
    vi.advanceTimersByTime(1_000);
    expect(attempt.signal.aborted).toBe(false);
    vi.advanceTimersByTime(4_000);
    expect(attempt.timedOut).toBe(true);
  });
});
