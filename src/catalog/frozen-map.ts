/**
 * A Map that refuses writes once built. `Object.freeze` alone does not protect a Map: its entries live in
 * an internal slot that `Map.prototype.set` still writes to, so the mutators are overridden to throw.
 */
export class FrozenMap<K, V> extends Map<K, V> {
  constructor(entries: Iterable<readonly [K, V]>) {
    // `super(entries)` would call our throwing `set`, so fill through the base implementation instead.
    super();
    for (const [key, value] of entries) Map.prototype.set.call(this, key, value);
    Object.freeze(this);
  }

  override set(): never {
    throw new TypeError('Cannot modify a frozen map');
  }

  override delete(): never {
    throw new TypeError('Cannot modify a frozen map');
  }

  override clear(): never {
    throw new TypeError('Cannot modify a frozen map');
  }
}
