/**
 * Sliding-window quotas per (API key, model), the way Groq enforces them per organisation.
 * Each admitted request is one event that sits in a 60 s window and a 24 h window at once (and, when
 * it carries audio seconds, in a 1 h window too); its token charge starts as a reservation and is
 * later settled to real usage, as Groq does with `max_tokens`.
 */
import { formatGroqDuration } from './duration.js';
import type { ResolvedLimits } from './limits.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export type LimitName = 'RPM' | 'RPD' | 'TPM' | 'TPD' | 'ASH' | 'ASD';

type Field = 'requests' | 'tokens' | 'audioSeconds';

export interface Violation {
  readonly limit: LimitName;
  readonly max: number;
  readonly used: number;
  readonly requested: number;
  /** How long until enough of the window has slid by for this request to fit. */
  readonly waitMs: number;
  /** The request alone exceeds the limit, so waiting will never help (Groq answers 413). */
  readonly tooLarge: boolean;
}

export interface UsageSnapshot {
  readonly limits: ResolvedLimits;
  readonly requestsLastMinute: number;
  readonly requestsLastDay: number;
  readonly tokensLastMinute: number;
  readonly tokensLastDay: number;
  /** Billed audio seconds (at least 10 per speech-to-text request) in the last hour / day. */
  readonly audioSecondsLastHour: number;
  readonly audioSecondsLastDay: number;
}

interface UsageEvent {
  readonly at: number;
  requests: number;
  tokens: number;
  audioSeconds: number;
  inMinute: boolean;
  inHour: boolean;
  inDay: boolean;
}

const newEvent = (at: number, requests: number, tokens: number, audioSeconds: number): UsageEvent => ({
  at,
  requests,
  tokens,
  audioSeconds,
  inMinute: false,
  inHour: false,
  inDay: false,
});

/** A FIFO of events with running sums; pruning is lazy, done on each read. */
class Window {
  private events: UsageEvent[] = [];
  private head = 0;
  requests = 0;
  tokens = 0;
  audioSeconds = 0;

  constructor(
    readonly spanMs: number,
    private readonly flag: 'inMinute' | 'inHour' | 'inDay',
  ) {}

  add(event: UsageEvent): void {
    this.events.push(event);
    event[this.flag] = true;
    this.requests += event.requests;
    this.tokens += event.tokens;
    this.audioSeconds += event.audioSeconds;
  }

  contains(event: UsageEvent): boolean {
    return event[this.flag];
  }

  prune(now: number): void {
    const cutoff = now - this.spanMs;
    while (this.head < this.events.length) {
      const event = this.events[this.head];
      if (event === undefined || event.at > cutoff) break;
      event[this.flag] = false;
      this.requests -= event.requests;
      this.tokens -= event.tokens;
      this.audioSeconds -= event.audioSeconds;
      this.head++;
    }
    // Compact now and then so a long benchmark does not keep a day of dead events alive.
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  /** Time until the oldest events holding `needed` units of `field` have left the window. */
  waitToFree(field: Field, needed: number, now: number): number {
    let freed = 0;
    for (let i = this.head; i < this.events.length; i++) {
      const event = this.events[i];
      if (event === undefined) break;
      freed += event[field];
      if (freed >= needed) return Math.max(0, event.at + this.spanMs - now);
    }
    return this.spanMs;
  }
}

class Bucket {
  readonly minute = new Window(MINUTE_MS, 'inMinute');
  /** Only events with audio seconds: nothing else is limited per hour, and chat benchmarks stay cheap. */
  readonly hour = new Window(HOUR_MS, 'inHour');
  readonly day = new Window(DAY_MS, 'inDay');

  prune(now: number): void {
    this.minute.prune(now);
    this.hour.prune(now);
    this.day.prune(now);
  }

  record(event: UsageEvent): void {
    this.minute.add(event);
    if (event.audioSeconds !== 0) this.hour.add(event);
    this.day.add(event);
  }
}

export interface Ticket {
  /** Replace the reservation by what the request really used. */
  settle(tokens: number): void;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly now: () => number,
    private readonly limitsFor: (model: string) => ResolvedLimits,
  ) {}

  /**
   * Admits the request if `tokens` (and `audioSeconds`) fit, or says which limit it would break. The
   * admitted request books `booked` tokens (default `tokens`), e.g. only the prompt under actual-booked
   * accounting while the check counted the completion cap too.
   */
  admit(key: string, model: string, tokens: number, audioSeconds = 0, booked = tokens): { ticket: Ticket } | { violation: Violation } {
    const now = this.now();
    const bucket = this.bucket(key, model, now);
    const violation = this.check(bucket, this.limitsFor(model), tokens, audioSeconds, now);
    if (violation !== undefined) return { violation };
    const event = newEvent(now, 1, booked, audioSeconds);
    bucket.record(event);
    return {
      ticket: {
        settle: (actual: number) => {
          const delta = actual - event.tokens;
          event.tokens = actual;
          if (bucket.minute.contains(event)) bucket.minute.tokens += delta;
          if (bucket.day.contains(event)) bucket.day.tokens += delta;
        },
      },
    };
  }

  /** Spend quota as another client of the same organisation would. */
  consume(key: string, model: string, requests: number, tokens: number, audioSeconds = 0): void {
    const now = this.now();
    this.bucket(key, model, now).record(newEvent(now, requests, tokens, audioSeconds));
  }

  /** Groq's six `x-ratelimit-*` headers: requests are per day, tokens per minute. */
  headers(key: string, model: string): Record<string, string> {
    const now = this.now();
    const bucket = this.bucket(key, model, now);
    const limits = this.limitsFor(model);
    const out: Record<string, string> = {};
    if (Number.isFinite(limits.rpd)) {
      out['x-ratelimit-limit-requests'] = String(limits.rpd);
      out['x-ratelimit-remaining-requests'] = String(Math.max(0, limits.rpd - bucket.day.requests));
      out['x-ratelimit-reset-requests'] = formatGroqDuration(bucket.day.requests > 0 ? bucket.day.waitToFree('requests', 1, now) : 0);
    }
    if (Number.isFinite(limits.tpm)) {
      out['x-ratelimit-limit-tokens'] = String(limits.tpm);
      out['x-ratelimit-remaining-tokens'] = String(Math.max(0, limits.tpm - bucket.minute.tokens));
      out['x-ratelimit-reset-tokens'] = formatGroqDuration(bucket.minute.tokens > 0 ? bucket.minute.waitToFree('tokens', 1, now) : 0);
    }
    return out;
  }

  snapshot(key: string, model: string): UsageSnapshot {
    const bucket = this.bucket(key, model, this.now());
    return {
      limits: this.limitsFor(model),
      requestsLastMinute: bucket.minute.requests,
      requestsLastDay: bucket.day.requests,
      tokensLastMinute: bucket.minute.tokens,
      tokensLastDay: bucket.day.tokens,
      audioSecondsLastHour: bucket.hour.audioSeconds,
      audioSecondsLastDay: bucket.day.audioSeconds,
    };
  }

  reset(): void {
    this.buckets.clear();
  }

  private bucket(key: string, model: string, now: number): Bucket {
    const id = `${key}\u0000${model}`;
    let bucket = this.buckets.get(id);
    if (bucket === undefined) {
      bucket = new Bucket();
      this.buckets.set(id, bucket);
    }
    bucket.prune(now);
    return bucket;
  }

  private check(bucket: Bucket, limits: ResolvedLimits, tokens: number, audioSeconds: number, now: number): Violation | undefined {
    const candidates: Array<[LimitName, Window, Field, number, number]> = [
      ['RPM', bucket.minute, 'requests', limits.rpm, 1],
      ['RPD', bucket.day, 'requests', limits.rpd, 1],
      ['TPM', bucket.minute, 'tokens', limits.tpm, tokens],
      ['TPD', bucket.day, 'tokens', limits.tpd, tokens],
      ['ASH', bucket.hour, 'audioSeconds', limits.ash, audioSeconds],
      ['ASD', bucket.day, 'audioSeconds', limits.asd, audioSeconds],
    ];
    let worst: Violation | undefined;
    for (const [limit, window, field, max, requested] of candidates) {
      const used = window[field];
      if (used + requested <= max) continue;
      const tooLarge = requested > max;
      const waitMs = tooLarge ? 0 : window.waitToFree(field, used + requested - max, now);
      const violation: Violation = { limit, max, used, requested, waitMs, tooLarge };
      // A request that can never fit must be reported as such; otherwise the longest wait is the honest one.
      if (worst === undefined || (tooLarge && !worst.tooLarge) || (!worst.tooLarge && waitMs > worst.waitMs)) worst = violation;
    }
    return worst;
  }
}
