import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { failure, type FailureKind, type UpstreamFailure } from '../upstream/failure.js';
import { AUTH_PROBE_INTERVAL_MS, BreakerOpenError, CONFIG_FAULT_EJECTION_MS, DeploymentBreaker, MAX_EJECTION_MS, type BreakerPolicy } from './breaker.js';

const policy: BreakerPolicy = { allowedFails: 3, allowedFailsPolicy: {}, ejectionMs: 5_000, disabled: false };

type Outcome = { failure?: UpstreamFailure };
const ok: Outcome = {};
const failed = (kind: FailureKind, extra: Partial<UpstreamFailure> = {}): Outcome => ({ failure: failure(kind, 'x', extra) });
const failureOf = (o: Outcome) => o.failure;

function setup(overrides: Partial<BreakerPolicy> = {}) {
  const logged: string[] = [];
  const breaker = new DeploymentBreaker('groq/llama (id abc)', { ...policy, ...overrides }, (m) => logged.push(m));
  const call = (outcome: Outcome) => breaker.run(async () => outcome, failureOf);
  return { breaker, call, logged };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DeploymentBreaker', () => {
  it('opens on a 429 for exactly its retry-after, then lets one trial through, which closes it', async () => {
    const { breaker, call } = setup();
    await call(failed('rate_limit', { status: 429, retryAfterSec: 7 }));
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs).toBe(7_000);
    await expect(call(ok)).rejects.toBeInstanceOf(BreakerOpenError);
    vi.advanceTimersByTime(6_999);
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe('half-open');
    let release!: () => void;
    const trial = breaker.run(() => new Promise<Outcome>((resolve) => (release = () => resolve(ok))), failureOf);
    // Exactly one trial: a second caller meanwhile is turned away.
    expect(breaker.admits).toBe(false);
    await expect(call(ok)).rejects.toBeInstanceOf(BreakerOpenError);
    release();
    await trial;
    expect(breaker.state).toBe('closed');
  });

  it('uses the ejection time for a 429 without retry-after', async () => {
    const { breaker, call } = setup();
    await call(failed('rate_limit', { status: 429 }));
    expect(breaker.retryAfterMs).toBe(5_000);
  });

  it('forgives allowed_fails 5xx within a minute and opens on the next', async () => {
    const { breaker, call } = setup();
    for (let i = 0; i < 3; i++) await call(failed('server_error', { status: 500 }));
    expect(breaker.state).toBe('closed');
    await call(failed('server_error', { status: 500 }));
    expect(breaker.state).toBe('open');
    expect(breaker.status()).toMatchObject({ state: 'open', reason: expect.stringContaining('500 server error'), halfOpensAt: 1_005_000 });
  });

  it('forgets failures older than a minute', async () => {
    const { breaker, call } = setup();
    for (let i = 0; i < 3; i++) await call(failed('connection'));
    vi.advanceTimersByTime(61_000);
    await call(failed('connection'));
    expect(breaker.state).toBe('closed');
  });

  it('counts timeouts and connection errors, each class on its own', async () => {
    const { breaker, call } = setup({ allowedFails: 1 });
    await call(failed('timeout'));
    await call(failed('connection'));
    expect(breaker.state).toBe('closed');
    await call(failed('timeout'));
    expect(breaker.state).toBe('open');
  });

  it('honours allowed_fails_policy per class', async () => {
    const { breaker, call } = setup({ allowedFailsPolicy: { TimeoutErrorAllowedFails: 0 } });
    await call(failed('timeout'));
    expect(breaker.state).toBe('open');
  });

  it('never counts the caller’s own errors', async () => {
    const { breaker, call } = setup({ allowedFails: 0 });
    for (const kind of ['bad_request', 'context_window', 'aborted'] as const) await call(failed(kind, { status: 400 }));
    expect(breaker.state).toBe('closed');
  });

  it('reopens when the half-open trial fails', async () => {
    const { breaker, call } = setup({ allowedFails: 0 });
    await call(failed('server_error', { status: 503 }));
    vi.advanceTimersByTime(5_000);
    expect(breaker.state).toBe('half-open');
    await call(failed('server_error', { status: 503 }));
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs).toBe(5_000);
  });

  it('gives the trial to the next caller when the trial’s caller went away', async () => {
    const { breaker, call } = setup({ allowedFails: 0 });
    await call(failed('server_error', { status: 500 }));
    vi.advanceTimersByTime(5_000);
    await call(failed('aborted'));
    vi.advanceTimersByTime(0);
    expect(breaker.admits).toBe(true);
  });

  it('ejects a deployment with a bad key for a minute at a time, probing once a minute, and says so once, naming it', async () => {
    const { breaker, call, logged } = setup();
    await call(failed('auth', { status: 401 }));
    expect(breaker.retryAfterMs).toBe(AUTH_PROBE_INTERVAL_MS);
    vi.advanceTimersByTime(AUTH_PROBE_INTERVAL_MS);
    expect(breaker.state).toBe('half-open');
    // The probe: still rejected, so another minute's ejection, without another log line.
    await call(failed('auth', { status: 401 }));
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs).toBe(AUTH_PROBE_INTERVAL_MS);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('groq/llama (id abc)');
    expect(logged[0]).toContain('one trial request a minute');
    // The key was fixed upstream (or the account restored): the next probe passes and the deployment serves again.
    vi.advanceTimersByTime(AUTH_PROBE_INTERVAL_MS);
    await call(ok);
    expect(breaker.state).toBe('closed');
  });

  it('ejects a deployment with an unknown model for long', async () => {
    const { breaker, call } = setup();
    await call(failed('not_found', { status: 404 }));
    expect(breaker.retryAfterMs).toBe(CONFIG_FAULT_EJECTION_MS);
  });

  it('does not let a short ejection cut a long one short', async () => {
    const { breaker } = setup();
    breaker.recordFailure(failure('not_found', 'no such model', { status: 404 }));
    breaker.recordFailure(failure('rate_limit', 'slow', { status: 429, retryAfterSec: 1 }));
    expect(breaker.retryAfterMs).toBe(CONFIG_FAULT_EJECTION_MS);
  });

  it('never opens with disable_cooldowns', async () => {
    const { breaker, call } = setup({ disabled: true, allowedFails: 0 });
    await call(failed('rate_limit', { status: 429, retryAfterSec: 9 }));
    await call(failed('server_error', { status: 500 }));
    expect(breaker.state).toBe('closed');
  });

  it('counts a stream that broke after its first byte', () => {
    const { breaker } = setup({ allowedFails: 0 });
    breaker.recordFailure(failure('stream_error', 'reset'));
    expect(breaker.state).toBe('open');
  });

  it('does not open on one failure that outlived the rolling window (failures over zero fires)', async () => {
    const opened: string[] = [];
    const breaker = new DeploymentBreaker('groq/llama (id abc)', policy, () => {}, Date.now, (cause) => opened.push(cause.kind));
    // A call longer than opossum's 10 s statistics window: its fire has rolled out before its failure lands.
    const slow = breaker.run(() => new Promise<Outcome>((resolve) => setTimeout(() => resolve(failed('timeout')), 25_000)), failureOf);
    await vi.advanceTimersByTimeAsync(25_000);
    await slow;
    expect(breaker.state).toBe('closed');
    // Every opening there is has a reason and is reported.
    for (let i = 0; i < 3; i++) await breaker.run(async () => failed('timeout'), failureOf);
    expect(breaker.state).toBe('open');
    expect(breaker.status().reason).toContain('timeout');
    expect(opened).toEqual(['timeout']);
  });

  it("neither snapshots opossum's statistics each second nor sorts their latencies: nobody reads them", async () => {
    const { breaker, call } = setup();
    // opossum's own object, reached past the class's privacy: what it computes is the point of the test.
    const status = (breaker as unknown as { circuit: { status: { stats: { latencyMean: number }; on(event: 'snapshot', listener: () => void): void } } }).circuit.status;
    let snapshots = 0;
    status.on('snapshot', () => snapshots++);
    for (let i = 0; i < 100; i++) await call(ok);
    vi.advanceTimersByTime(3_000);
    expect(snapshots).toBe(0);
    // -1: opossum's mark for "percentiles off" (it sorts the window's latencies to compute them).
    expect(status.stats.latencyMean).toBe(-1);
  });
});

describe('bounded ejections', () => {
  it('never ejects for longer than a day, whatever the upstream or another instance says', async () => {
    const { breaker, call } = setup();
    await call(failed('rate_limit', { status: 429, retryAfterSec: 999_999_999 }));
    expect(breaker.retryAfterMs).toBe(MAX_EJECTION_MS);
    breaker.adopt(10 * MAX_EJECTION_MS, 'elsewhere', failure('rate_limit', 'x'));
    expect(breaker.retryAfterMs).toBe(MAX_EJECTION_MS);
  });

  it('ends an upstream ejection when told (a reload changed the deployment)', async () => {
    const { breaker, call } = setup();
    await call(failed('auth', { status: 401 }));
    expect(breaker.state).toBe('open');
    breaker.endEjection();
    expect(breaker.state).toBe('closed');
    expect(breaker.status().reason).toBeUndefined();
    expect((await call(ok)).failure).toBeUndefined();
  });

  it('a half-open trial whose call throws before reaching the deployment gives no verdict', async () => {
    const { breaker, call } = setup();
    await call(failed('rate_limit', { status: 429, retryAfterSec: 1 }));
    vi.advanceTimersByTime(1_000);
    expect(breaker.state).toBe('half-open');
    await expect(breaker.run(() => Promise.reject(new Error('not sent')), failureOf)).rejects.toThrow('not sent');
    expect(breaker.state).not.toBe('closed');
    vi.advanceTimersByTime(1);
    expect(breaker.admits).toBe(true);
  });
});
