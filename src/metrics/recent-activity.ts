import type { RequestOutcome } from './request-record.js';

/** One answered request as the status page lists it; no prompt, key or answer text. */
export interface RequestRecord {
  readonly at: string;
  readonly alias: string;
  readonly route: string;
  readonly stream: boolean;
  readonly status: number;
  /** The deployment that answered, when one did. */
  readonly deployment: { readonly id: string; readonly label: string } | null;
  readonly fallbacks: number;
  readonly retries: number;
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
  readonly durationMs: number;
  /** Why it was refused or failed: the message the caller got. */
  readonly reason: string | null;
}

export interface ReloadRecord {
  readonly at: string;
  readonly ok: boolean;
  readonly changes: readonly string[];
  readonly error: string | null;
}

/** A fixed-size ring: O(1) per add, newest first on read. */
class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  add(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  newestFirst(): T[] {
    const older = this.items.slice(this.next);
    const newer = this.items.slice(0, this.next);
    return [...older, ...newer].reverse();
  }
}

/**
 * The last requests and config reloads of this instance, for the status page and `groq-router status`:
 * what a local user wants to see without Prometheus. Fed from the routed handler's per-request outcome.
 */
/** A request as kept: its time as a number, turned into text only when someone reads the list. */
type KeptRequest = Omit<RequestRecord, 'at'> & { readonly atMs: number };

export class RecentActivity {
  private readonly requestRing: Ring<KeptRequest>;
  private readonly reloadRing: Ring<ReloadRecord>;

  constructor(requestCapacity = 100, reloadCapacity = 20) {
    this.requestRing = new Ring(requestCapacity);
    this.reloadRing = new Ring(reloadCapacity);
  }

  recordRequest(outcome: RequestOutcome, reason: string | undefined): void {
    this.requestRing.add({
      atMs: Date.now(),
      alias: outcome.alias,
      route: outcome.route,
      stream: outcome.stream,
      status: outcome.status,
      deployment: outcome.served === undefined ? null : { id: outcome.served.deployment.id, label: outcome.served.deployment.label },
      fallbacks: outcome.trail?.fallbacks ?? 0,
      retries: outcome.trail?.retries ?? 0,
      promptTokens: outcome.usage?.prompt_tokens ?? null,
      completionTokens: outcome.usage?.completion_tokens ?? null,
      durationMs: Math.round(outcome.totalSeconds * 1000),
      reason: reason ?? null,
    });
  }

  recordReload(result: { readonly ok: true; readonly changes: readonly string[] } | { readonly ok: false; readonly error: string }): void {
    this.reloadRing.add({ at: new Date().toISOString(), ok: result.ok, changes: result.ok ? result.changes : [], error: result.ok ? null : result.error });
  }

  requests(): RequestRecord[] {
    return this.requestRing.newestFirst().map(({ atMs, ...request }) => ({ at: new Date(atMs).toISOString(), ...request }));
  }

  reloads(): ReloadRecord[] {
    return this.reloadRing.newestFirst();
  }
}
