import CircuitBreaker from 'opossum';
import type { UpstreamFailure } from '../upstream/failure.js';
import { allowedFailsFor, countsAgainstDeployment } from './error-class.js';
import type { AllowedFailsPolicy } from '../config/types.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerPolicy {
  /** `allowed_fails`: failures of one class within a minute that the deployment is forgiven. */
  readonly allowedFails: number;
  readonly allowedFailsPolicy: AllowedFailsPolicy;
  /** The ejection time: `cooldown_time` of the deployment, else of the router, ms. */
  readonly ejectionMs: number;
  /** `disable_cooldowns`: count, but never open. */
  readonly disabled: boolean;
}

export interface BreakerStatus {
  readonly state: BreakerState;
  /** Why it last opened, e.g. `429 rate limit: …`; `undefined` while it never has. */
  readonly reason: string | undefined;
  /** The failure that opened it. */
  readonly cause: UpstreamFailure | undefined;
  /** Epoch ms at which an open breaker lets a trial through; 0 when not open. */
  readonly halfOpensAt: number;
}

/** Thrown by `run` when the breaker lets nothing through (open, or its one half-open trial is taken). */
export class BreakerOpenError extends Error {
  constructor(readonly retryAfterMs: number) {
    super('breaker open');
    this.name = 'BreakerOpenError';
  }
}

/** An unknown model will not mend itself in seconds: eject it long, and say so once. */
export const CONFIG_FAULT_EJECTION_MS = 15 * 60_000;
/**
 * A rejected key (401/403) is ejected a minute at a time, each ejection ending in one trial request: a fixed key
 * or a restored account is picked up within a minute, without a restart, at one probe a minute.
 */
export const AUTH_PROBE_INTERVAL_MS = 60_000;
const FAILURE_WINDOW_MS = 60_000;
/** No ejection outlasts Groq's longest limit window, whatever an upstream or another instance says. */
export const MAX_EJECTION_MS = 24 * 3_600_000;

/** Carries a failed outcome through opossum so it counts, then hands it back unchanged. */
class CountedFailure<T> extends Error {
  constructor(readonly outcome: T) {
    super('counted upstream failure');
  }
}

/**
 * One deployment's circuit breaker: opossum's state machine (closed → open → half-open with exactly one
 * trial → closed or open again) with LiteLLM's trip rules. A 429 opens it for the upstream's
 * `retry-after` (else the ejection time); 5xx, timeouts and connection errors open it once more than
 * `allowed_fails` of one class fall within a minute; a bad key or unknown model opens it for long.
 * The caller's own errors never count. Works for single-deployment groups too: there is nothing else
 * to fall back to, but the caller still gets an honest `retry-after` instead of a stampede upstream.
 */
export class DeploymentBreaker {
  private readonly circuit: CircuitBreaker<[() => Promise<unknown>], unknown>;
  private readonly failures = new Map<string, number[]>();
  private policy: BreakerPolicy;
  private lastReason: string | undefined;
  private lastCause: UpstreamFailure | undefined;
  private openedUntil = 0;
  private configFaultLogged = false;

  constructor(
    readonly label: string,
    policy: BreakerPolicy,
    private readonly onConfigFault: (message: string) => void,
    private readonly now: () => number = Date.now,
    /** Told each time a failure here opens the breaker, and for how long (not when a trial is re-armed). */
    private readonly onOpen: (cause: UpstreamFailure, ms: number) => void = () => {},
  ) {
    this.policy = policy;
    this.circuit = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
      // Timeouts and trip decisions are ours; opossum keeps the states, the timer and the single trial.
      timeout: false,
      errorThresholdPercentage: 100,
      // Never let opossum's own error-rate rule trip it: its 10 s rolling window divides the failures by
      // the calls *started* in the window, so one call that outlives the window is 1 / 0 = Infinity %
      // and opens the breaker on a single failure, with no reason and no count. Every opening is `open`.
      volumeThreshold: Number.MAX_SAFE_INTEGER,
      resetTimeout: policy.ejectionMs,
      errorFilter: (err: unknown) => !(err instanceof CountedFailure),
      // Its rolling statistics are never read (the trip decisions above are ours). Each second its
      // snapshot copied every latency of the 10 s window (30,000 at 3,000 req/s) and sorted them for
      // percentiles: 0.6 % of the gateway's CPU at 50 connections in a `perf` profile (README, "Issue 20,
      // tenth round"). Without either it only counts, and keeps each second's latencies until they
      // rotate out of the window.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    this.circuit.on('close', () => {
      this.openedUntil = 0;
      this.failures.clear();
      // Mended: should it break again, that is news worth a line.
      this.configFaultLogged = false;
    });
  }

  updatePolicy(policy: BreakerPolicy): void {
    this.policy = policy;
  }

  get state(): BreakerState {
    if (this.circuit.opened) return 'open';
    return this.circuit.halfOpen ? 'half-open' : 'closed';
  }

  /** Whether a call would be let through now (closed, or half-open with its trial still free). */
  get admits(): boolean {
    return this.circuit.closed || this.circuit.pendingClose;
  }

  /** Milliseconds until a call could be let through. */
  get retryAfterMs(): number {
    if (this.admits) return 0;
    // A half-open breaker whose trial is under way will know within a request's time; check back soon.
    return this.circuit.opened ? Math.max(0, this.openedUntil - this.now()) : 1_000;
  }

  status(): BreakerStatus {
    return {
      state: this.state,
      reason: this.lastReason,
      cause: this.lastCause,
      halfOpensAt: this.circuit.opened ? this.openedUntil : 0,
    };
  }

  /**
   * Runs one upstream call through the breaker. `failureOf` reads a failure out of the call's outcome
   * (calls report failures as values, not exceptions); failures that count may open the breaker.
   * Throws `BreakerOpenError` when nothing may go through.
   */
  async run<T>(call: () => Promise<T>, failureOf: (outcome: T) => UpstreamFailure | undefined): Promise<T> {
    if (!this.admits) throw new BreakerOpenError(this.retryAfterMs);
    try {
      return (await this.circuit.fire(async () => {
        let outcome: T;
        try {
          outcome = await call();
        } catch (err) {
          // Thrown, not reported: the call never reached the deployment (e.g. nothing was sent). No
          // verdict, so a half-open trial goes to the next caller rather than closing the breaker.
          if (this.circuit.halfOpen) this.reopen(0, this.lastReason, this.lastCause);
          throw err;
        }
        const failed = failureOf(outcome);
        if (failed === undefined) return outcome;
        if (failed.kind === 'aborted' && this.circuit.halfOpen) {
          // The caller left mid-trial: no verdict on the deployment, so the next caller gets the trial.
          this.reopen(0, this.lastReason, this.lastCause);
          return outcome;
        }
        if (!countsAgainstDeployment(failed.kind)) return outcome;
        this.recordFailure(failed);
        throw new CountedFailure(outcome);
      })) as T;
    } catch (err) {
      if (err instanceof CountedFailure) return err.outcome as T;
      if (err instanceof Error && (err as { code?: string }).code === 'EOPENBREAKER') throw new BreakerOpenError(this.retryAfterMs);
      throw err;
    }
  }

  /**
   * Counts a failure seen outside `run` (a stream that broke after its first byte) or inside it, and
   * opens the breaker when the failure's rule says so.
   */
  recordFailure(failed: UpstreamFailure): void {
    if (!countsAgainstDeployment(failed.kind)) return;
    const reason = `${failed.status !== undefined ? `${failed.status} ` : ''}${failed.kind.replace('_', ' ')}: ${failed.message}`;
    if (failed.kind === 'auth' || failed.kind === 'not_found') {
      const ejectionMs = failed.kind === 'auth' ? AUTH_PROBE_INTERVAL_MS : CONFIG_FAULT_EJECTION_MS;
      if (!this.configFaultLogged) {
        this.configFaultLogged = true;
        this.onConfigFault(
          failed.kind === 'auth'
            ? `deployment ${this.label} is misconfigured (${reason}); ejecting it, with one trial request a minute until the key is accepted. Check its api_key.`
            : `deployment ${this.label} is misconfigured (${reason}); ejecting it for ${CONFIG_FAULT_EJECTION_MS / 60_000} min. Check its api_key and model.`,
        );
      }
      this.open(ejectionMs, reason, failed);
      return;
    }
    if (failed.kind === 'rate_limit' && this.policy.allowedFailsPolicy.RateLimitErrorAllowedFails === undefined) {
      // Groq said when to come back; there is nothing to forgive.
      this.open(failed.retryAfterSec !== undefined ? failed.retryAfterSec * 1000 : this.policy.ejectionMs, reason, failed);
      return;
    }
    if (this.circuit.halfOpen) {
      this.open(this.policy.ejectionMs, reason, failed);
      return;
    }
    const now = this.now();
    const key = failed.kind;
    const recent = (this.failures.get(key) ?? []).filter((at) => now - at < FAILURE_WINDOW_MS);
    recent.push(now);
    this.failures.set(key, recent);
    if (recent.length > allowedFailsFor(failed.kind, this.policy.allowedFails, this.policy.allowedFailsPolicy)) {
      const wait = failed.kind === 'rate_limit' && failed.retryAfterSec !== undefined ? failed.retryAfterSec * 1000 : this.policy.ejectionMs;
      this.open(wait, reason, failed);
    }
  }

  /**
   * Ends an ejection the upstream caused: a reload changed the deployment (its key, base or model), so what
   * the old one was told says nothing about the new one. It starts closed, with no failures counted.
   */
  endEjection(): void {
    if (this.circuit.closed) return;
    this.circuit.close();
    this.openedUntil = 0;
    this.failures.clear();
    this.lastReason = undefined;
    this.lastCause = undefined;
  }

  /** Stops opossum's reset timer; call when the deployment leaves the config. */
  shutdown(): void {
    this.circuit.shutdown();
  }

  private open(ms: number, reason: string, cause: UpstreamFailure): void {
    if (this.policy.disabled) return;
    const wasOpen = this.circuit.opened;
    this.reopen(ms, reason, cause);
    if (!wasOpen && this.circuit.opened) this.onOpen(cause, ms);
  }

  /**
   * Opens the breaker because another gateway instance opened its own for this deployment: the same
   * ejection, without telling anyone again.
   */
  adopt(ms: number, reason: string, cause: UpstreamFailure): void {
    if (this.policy.disabled || ms <= 0) return;
    this.reopen(ms, `${reason} (seen by another instance)`, cause);
  }

  private reopen(ms: number, reason: string | undefined, cause: UpstreamFailure | undefined): void {
    this.lastReason = reason;
    this.lastCause = cause;
    ms = Math.min(ms, MAX_EJECTION_MS);
    const until = this.now() + ms;
    // Already open for longer (e.g. a bad key): a shorter ejection must not cut it short.
    if (this.circuit.opened && until <= this.openedUntil) return;
    // Re-opening restarts opossum's reset timer with the new length.
    if (this.circuit.opened) this.circuit.close();
    (this.circuit as unknown as { options: { resetTimeout: number } }).options.resetTimeout = ms;
    this.circuit.open();
    this.openedUntil = until;
  }
}
