/**
 * Which account a batch or file id belongs to, remembered from the answers that showed it (create,
 * list, retrieve), so a later call naming only the id goes to the organisation that has it. Bounded:
 * the least recently used id is forgotten first; a forgotten id needs the caller to name a model again.
 */
export class IdOwners {
  private readonly owners = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.owners.size;
  }

  remember(id: string, accountId: string): void {
    if (id === '') return;
    this.owners.delete(id);
    this.owners.set(id, accountId);
    if (this.owners.size > this.capacity) {
      const oldest = this.owners.keys().next();
      if (oldest.done !== true) this.owners.delete(oldest.value);
    }
  }

  /** The owning account id; a hit counts as a use. */
  ownerOf(id: string): string | undefined {
    const owner = this.owners.get(id);
    if (owner !== undefined) {
      this.owners.delete(id);
      this.owners.set(id, owner);
    }
    return owner;
  }

  forget(id: string): void {
    this.owners.delete(id);
  }
}

/** Where tenants of ids are shared between gateway instances (Redis): a string per id. */
export interface SharedIdStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: 'EX', seconds: number): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

/** Batch and file ids outlive any request; a month covers Groq's batch windows and their output files. */
const SHARED_TTL_SECONDS = 30 * 24 * 3_600;
/** A lookup on the request path waits no longer than a budget call does. */
const SHARED_TIMEOUT_MS = 200;

/**
 * Which tenant (client key) made each batch and file id through this gateway, so one client key never
 * lists, reads, uses or deletes another's: they all share the Groq organisation, which cannot tell
 * them apart. Kept locally (bounded, least recently used forgotten first) and, with Redis, in the
 * shared store, so every instance agrees. An id with no known tenant belongs to no client key.
 */
export class IdTenants {
  private readonly local: IdOwners;

  constructor(
    capacity: number,
    private readonly shared?: { readonly store: SharedIdStore; readonly prefix: string },
  ) {
    this.local = new IdOwners(capacity);
  }

  async tenantOf(id: string): Promise<string | undefined> {
    const known = this.local.ownerOf(id);
    if (known !== undefined || this.shared === undefined) return known;
    const { store, prefix } = this.shared;
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), SHARED_TIMEOUT_MS).unref());
    const found = await Promise.race([store.get(`${prefix}${id}`).catch(() => null), timeout]);
    if (found === null) return undefined;
    this.local.remember(id, found);
    return found;
  }

  /** Records the tenant; waits (briefly) for the shared store so another instance asked next agrees. */
  async remember(id: string, tenant: string): Promise<void> {
    if (id === '') return;
    this.local.remember(id, tenant);
    if (this.shared === undefined) return;
    const { store, prefix } = this.shared;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, SHARED_TIMEOUT_MS).unref());
    await Promise.race([store.set(`${prefix}${id}`, tenant, 'EX', SHARED_TTL_SECONDS).catch(() => undefined), timeout]);
  }

  forget(id: string): void {
    this.local.forget(id);
    if (this.shared !== undefined) void this.shared.store.del(`${this.shared.prefix}${id}`).catch(() => undefined);
  }
}
