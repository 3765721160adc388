import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { FailureKind } from '../upstream/failure.js';

/** A breaker opening as other instances hear of it: how long the deployment is ejected and why. */
export interface SharedOpening {
  readonly deploymentId: string;
  /** Milliseconds from now: instance clocks may disagree, a duration does not. */
  readonly ms: number;
  readonly reason: string;
  readonly kind: FailureKind;
  readonly status: number | undefined;
}

/** How long a claim on a half-open trial holds if its instance never answers. */
const TRIAL_CLAIM_MS = 30_000;
/** A trial claim waits no longer than a budget call does before the instance decides alone. */
const CLAIM_TIMEOUT_MS = 200;

/**
 * Breaker openings shared by gateway instances through Redis. An instance that opens a deployment's
 * breaker publishes it and every other instance opens its own at once: no polling, no read on the
 * request path. When the ejection ends, the instances race for one Redis claim so the deployment gets a
 * single half-open trial across all of them. With Redis away, each instance decides alone; openings it
 * made meanwhile are published again, with the ejection time that remains, as soon as it reconnects.
 */
export class SharedBreakers {
  private readonly instance = randomUUID();
  private subscriber: Redis | undefined;
  /** This instance's own openings by deployment, with when each ends (local clock), for a reconnect. */
  private readonly published = new Map<string, { readonly opening: SharedOpening; readonly until: number }>();

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    private readonly onOpening: (opening: SharedOpening) => void,
  ) {}

  /** Channels are server-wide, not per database: the database is part of the name. */
  private get channel(): string {
    return `${this.prefix}db${this.client.options.db ?? 0}:breakers:v1`;
  }

  async start(): Promise<void> {
    // Every (re)connection: openings published while Redis was away reached nobody.
    this.client.on('ready', () => this.republish());
    // Both connections are lazy and fail fast; a Redis that is away now is joined when it returns.
    await this.client.connect().catch(() => undefined);
    const subscriber = this.client.duplicate();
    subscriber.on('error', () => {});
    await subscriber.connect().catch(() => undefined);
    subscriber.on('message', (_channel: string, message: string) => {
      const parsed = parseOpening(message);
      if (parsed !== undefined && parsed.instance !== this.instance) this.onOpening(parsed.opening);
    });
    this.subscriber = subscriber;
    await subscriber.subscribe(this.channel).catch(() => undefined);
  }

  publish(opening: SharedOpening): void {
    this.published.set(opening.deploymentId, { opening, until: performance.now() + opening.ms });
    this.send(opening);
  }

  private send(opening: SharedOpening): void {
    void this.client.publish(this.channel, JSON.stringify({ instance: this.instance, ...opening })).catch(() => undefined);
  }

  /** Publishes again every opening of ours that is still running, for the rest of its time. */
  private republish(): void {
    const now = performance.now();
    for (const [deploymentId, { opening, until }] of this.published) {
      if (until <= now) this.published.delete(deploymentId);
      else this.send({ ...opening, ms: Math.ceil(until - now) });
    }
  }

  /** Whether this instance holds the deployment's one half-open trial; `true` when Redis cannot say. */
  async claimTrial(deploymentId: string): Promise<boolean> {
    const key = `${this.prefix}breakers:v1:{${deploymentId}}:trial`;
    const claim = this.client.set(key, this.instance, 'PX', TRIAL_CLAIM_MS, 'NX').then((answer) => answer === 'OK');
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(true), CLAIM_TIMEOUT_MS).unref());
    return Promise.race([claim.catch(() => true), timeout]);
  }

  /** The trial is over (its outcome reopened or closed the breaker): the next ejection gets a new one. */
  releaseTrial(deploymentId: string): void {
    void this.client.del(`${this.prefix}breakers:v1:{${deploymentId}}:trial`).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.client.disconnect();
  }
}

function parseOpening(message: string): { instance: string; opening: SharedOpening } | undefined {
  try {
    const value = JSON.parse(message) as Partial<SharedOpening> & { instance?: unknown };
    if (typeof value.instance !== 'string' || typeof value.deploymentId !== 'string' || typeof value.ms !== 'number') return undefined;
    return {
      instance: value.instance,
      opening: {
        deploymentId: value.deploymentId,
        ms: value.ms,
        reason: typeof value.reason === 'string' ? value.reason : 'failures on another instance',
        kind: (value.kind ?? 'server_error') as FailureKind,
        status: typeof value.status === 'number' ? value.status : undefined,
      },
    };
  } catch {
    return undefined;
  }
}
