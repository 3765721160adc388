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
