import { DeploymentBreaker, type BreakerPolicy } from './breaker/breaker.js';
import type { SharedBreakers, SharedOpening } from './breaker/shared-breakers.js';
import { failure } from './upstream/failure.js';
import type { Catalog } from './catalog/types.js';
import type { DeploymentConfig, GatewayConfig } from './config/types.js';
import { canonicalJson } from './config/ids.js';
import { redactorFor, type Redactor } from './config/secrets.js';
import { GatewayMetrics } from './metrics/gateway-metrics.js';
import { RecentActivity } from './metrics/recent-activity.js';
import { MemoryQuotaStore } from './quota/memory-store.js';
import { TokenPlanning } from './quota/token-planning.js';
import type { QuotaStore } from './quota/types.js';
import type { DeploymentStats } from './routing/deployment.js';
import { HeadroomQueue } from './routing/headroom-queue.js';
import { RetryPromises } from './routing/retry-promises.js';
import { RoutingTable } from './routing/table.js';
import { Stopper } from './routing/timed-signal.js';
import { createTransport, type Transport } from './upstream/transport.js';
import type { SharedIdStore } from './upstream/id-owners.js';
import { AccountRegistry } from './upstream/accounts.js';
import { entryOf } from './map-entry.js';

/** One loaded config and the routing table built from it; replaced whole, never edited. */
export interface GatewayState {
  readonly config: GatewayConfig;
  readonly table: RoutingTable;
  readonly loadedAt: Date;
  /** Removes this config's secrets from upstream text before it is shown or logged. */
  readonly redactor: Redactor;
}

export interface GatewayOptions {
  readonly transport?: Transport;
  readonly quota?: QuotaStore;
  /** Where breakers report a misconfigured deployment (bad key, unknown model). */
  readonly onConfigFault?: (message: string) => void;
  /** Breaker openings shared with other instances (Redis). */
  readonly sharedBreakers?: SharedBreakers;
  /** The clock of the budgets' windows, when tests move it by hand; default `Date.now`. */
  readonly clock?: () => number;
  /** Who made each batch and file id, shared with other instances (Redis); closed with the gateway. */
  readonly sharedIds?: SharedIdStore & { disconnect(): void };
}

/**
 * The long-lived parts of a running gateway: the catalogue, the upstream connection pool, the quota
 * store, per-deployment counters and the current state. A request reads `current` once and keeps that
 * state to the end, so swapping it is atomic.
 */
export class Gateway {
  readonly transport: Transport;
  readonly quota: QuotaStore;
  /** Requests waiting for budget headroom (`max_queue_wait_seconds`). */
  readonly headroom = new HeadroomQueue();
  readonly metrics: GatewayMetrics;
  /** Prompt calibration, learned completion caps and how each budget's upstream books (kept across reloads). */
  readonly planning: TokenPlanning;
  /** Capacity held for callers refused with a retry-after, until they come back. */
  readonly promises: RetryPromises;
  /** The last requests and reloads, for the status page and `groq-router status`. */
  readonly activity = new RecentActivity();
  /** The accounts (keys) behind batches, files and upstream model lists, over reloads. */
  readonly accounts: AccountRegistry;
  private readonly stats = new Map<string, DeploymentStats>();
  private readonly breakers = new Map<string, DeploymentBreaker>();
  private readonly onConfigFault: (message: string) => void;
  readonly sharedBreakers: SharedBreakers | undefined;
  readonly sharedIds: (SharedIdStore & { disconnect(): void }) | undefined;
  /** Set when a graceful drain begins: readiness answers 503 so load balancers stop sending. */
  draining = false;
  /** Stopped (reason `SHUTTING_DOWN`) when the drain's grace period ends: requests still running are ended. */
  readonly stopping = new Stopper();
  private state: GatewayState;

  constructor(
    config: GatewayConfig,
    readonly catalog: Catalog,
    options: GatewayOptions = {},
  ) {
    this.transport = options.transport ?? createTransport();
    this.quota = options.quota ?? new MemoryQuotaStore();
    this.onConfigFault = options.onConfigFault ?? ((message) => process.stderr.write(`${message}\n`));
    this.sharedBreakers = options.sharedBreakers;
    this.sharedIds = options.sharedIds;
    this.accounts = new AccountRegistry(() => this.state.config.deployments, this.transport.fetch, options.sharedIds);
    this.metrics = new GatewayMetrics(() => this.state.table.deployments, this.quota);
    this.promises = new RetryPromises(this.quota, options.clock);
    this.planning = new TokenPlanning((alias, deploymentId) => this.metrics.completionCut(alias, deploymentId), options.clock);
    this.state = this.build(config);
  }

  get current(): GatewayState {
    return this.state;
  }

  /**
   * Swaps in a new config. Deployments that stay (same id) keep their counters and breaker; budgets are
   * keyed by API key and model, so they carry over by themselves. Requests in flight keep the state they
   * started with; removed deployments drain with them.
   */
  replace(config: GatewayConfig): GatewayState {
    const before = new Map(this.state.table.deployments.map((d) => [d.id, d.config]));
    this.state = this.build(config);
    // A deployment that stays but changed (a fixed key, another base) is not held to its old ejections.
    for (const deployment of this.state.table.deployments) {
      const was = before.get(deployment.id);
      if (was !== undefined && !sameUpstream(was, deployment.config)) deployment.breaker.endEjection();
    }
    const live = new Set(this.state.table.deployments.map((d) => d.id));
    // Dropped, not shut down: requests in flight on the old table may still use them.
    for (const id of [...this.breakers.keys()]) {
      if (live.has(id)) continue;
      this.breakers.delete(id);
      this.stats.delete(id);
    }
    return this.state;
  }

  async close(): Promise<void> {
    for (const breaker of this.breakers.values()) breaker.shutdown();
    await this.sharedBreakers?.close();
    this.sharedIds?.disconnect();
    await this.quota.close();
    await this.transport.close();
  }

  private build(config: GatewayConfig): GatewayState {
    const table = new RoutingTable(config, this.catalog, {
      fetch: this.transport.fetch,
      fetchFor: (id, connections) => this.transport.fetchFor(id, connections),
      statsFor: (id) => this.statsFor(id),
      breakerFor: (id, label, policy) => this.breakerFor(id, label, policy),
    });
    this.metrics.prepare(table.deployments);
    const loadedAt = new Date();
    this.metrics.configLoaded(loadedAt);
    return Object.freeze({ config, table, loadedAt, redactor: redactorFor(config) });
  }

  private breakerFor(id: string, label: string, policy: BreakerPolicy): DeploymentBreaker {
    let breaker = this.breakers.get(id);
    if (breaker === undefined) {
      breaker = new DeploymentBreaker(label, policy, this.onConfigFault, Date.now, (cause, ms) => {
        // The deployment as the current table has it (labels may change with a reload).
        const deployment = this.state.table.deployments.find((d) => d.id === id);
        if (deployment !== undefined) this.metrics.breakerOpened(deployment, cause);
        this.sharedBreakers?.publish({ deploymentId: id, ms, reason: cause.message, kind: cause.kind, status: cause.status });
      });
      this.breakers.set(id, breaker);
    } else {
      breaker.updatePolicy(policy);
    }
    return breaker;
  }

  /** Another instance opened a deployment's breaker: open ours for the same ejection. */
  adoptOpening(opening: SharedOpening): void {
    this.breakers.get(opening.deploymentId)?.adopt(opening.ms, opening.reason, failure(opening.kind, opening.reason, { status: opening.status }));
  }

  private statsFor(id: string): DeploymentStats {
    return entryOf(this.stats, id, () => ({ inFlight: 0, latencyEwmaMs: undefined }));
  }
}

/** Whether two configs of one deployment id reach the same upstream the same way. */
function sameUpstream(a: DeploymentConfig, b: DeploymentConfig): boolean {
  return a.apiKey === b.apiKey && a.apiBase === b.apiBase && a.model === b.model && canonicalJson(a.publicParams) === canonicalJson(b.publicParams);
}
