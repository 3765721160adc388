import type { Catalog } from './catalog/types.js';
import type { GatewayConfig } from './config/types.js';
import { RoutingTable } from './routing/table.js';
import { createTransport, type Transport } from './upstream/transport.js';

/** One loaded config and the routing table built from it; replaced whole, never edited. */
export interface GatewayState {
  readonly config: GatewayConfig;
  readonly table: RoutingTable;
  readonly loadedAt: Date;
}

/**
 * The long-lived parts of a running gateway: the catalogue, the upstream connection pool and the current
 * state. A request reads `current` once and keeps that state to the end, so swapping it is atomic.
 */
export class Gateway {
  private state: GatewayState;

  constructor(
    config: GatewayConfig,
    readonly catalog: Catalog,
    readonly transport: Transport = createTransport(),
  ) {
    this.state = this.build(config);
  }

  get current(): GatewayState {
    return this.state;
  }

  replace(config: GatewayConfig): GatewayState {
    this.state = this.build(config);
    return this.state;
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private build(config: GatewayConfig): GatewayState {
    return Object.freeze({ config, table: new RoutingTable(config, this.catalog, this.transport.fetch), loadedAt: new Date() });
  }
}
