/**
 * A sliding window approximated by fixed buckets, so memory stays constant however busy a budget is.
 *
 * A bucket numbered k covers [k*b, (k+1)*b) and its usage counts until `now >= k*b + b + windowMs`
 * (plus a grace of whole buckets): up to one bucket longer than an exact sliding window would keep it,
 * never shorter, so the gateway can over-count the upstream's window by at most one bucket's worth of
 * time but never under-count it. The grace covers the time a request takes to reach the upstream, which
 * counts it from its own, slightly later, arrival.
 */
export class BucketedWindow {
  readonly windowMs: number;
  readonly bucketMs: number;
  /** windowMs / bucketMs plus the grace: the buckets that still count are [current - span, current]. */
  private readonly span: number;
  /** Whole buckets a booking outlives the window by. */
  private readonly graceBuckets: number;
  /** Two slack slots beyond the live range, so a slot is zeroed before a newer bucket reuses it. */
  private readonly ring: Float64Array;
  private total = 0;
  /** Oldest bucket number that may still hold usage; buckets below it have been zeroed. */
  private oldest = Number.NEGATIVE_INFINITY;
  /** Latest time seen: a clock stepping back must not resurrect expired buckets or alias ring slots. */
  private latest = Number.NEGATIVE_INFINITY;

  constructor(spec: { readonly windowMs: number; readonly bucketMs: number; readonly graceMs?: number }) {
    const { windowMs, bucketMs } = spec;
    if (!Number.isInteger(bucketMs) || bucketMs <= 0 || !Number.isInteger(windowMs) || windowMs <= 0 || windowMs % bucketMs !== 0) {
      throw new RangeError(`window ${windowMs} ms must be a positive whole number of ${bucketMs} ms buckets`);
    }
    this.windowMs = windowMs;
    this.bucketMs = bucketMs;
    this.graceBuckets = Math.ceil((spec.graceMs ?? 0) / bucketMs);
    this.span = windowMs / bucketMs + this.graceBuckets;
    this.ring = new Float64Array(this.span + 2);
  }

  /** Slots in the ring; fixed at construction whatever the traffic. */
  get ringLength(): number {
    return this.ring.length;
  }

  bucketOf(time: number): number {
    return Math.floor(time / this.bucketMs);
  }

  /** The first instant at which a bucket's usage no longer counts. */
  expiryOf(bucket: number): number {
    return (bucket + 1 + this.graceBuckets) * this.bucketMs + this.windowMs;
  }

  /** The earliest bucket whose usage still counts a whole window after `time` (its grace included). */
  coveringBucket(time: number): number {
    return this.bucketOf(time) - this.graceBuckets;
  }

  /** Books `amount` now; returns the bucket number used, so the booking can be adjusted later. */
  add(now: number, amount: number): number {
    assertAmount(amount);
    const bucket = this.bucketOf(this.advance(now));
    this.put(bucket, amount);
    return bucket;
  }

  /**
   * Changes a bucket's usage by `delta` if that bucket still counts (once expired, its usage is gone and
   * there is nothing to correct). A bucket never drops below zero. Returns the change applied.
   */
  adjust(bucket: number, delta: number, now: number): number {
    if (!Number.isFinite(delta)) throw new RangeError(`delta must be finite, got ${delta}`);
    const current = this.bucketOf(this.advance(now));
    if (!Number.isInteger(bucket) || bucket < this.oldest || bucket > current) return 0;
    const slot = this.slot(bucket);
    const before = this.ring[slot] ?? 0;
    const after = Math.max(0, before + delta);
    this.ring[slot] = after;
    this.total += after - before;
    this.snapTotal();
    return after - before;
  }

  used(now: number): number {
    this.advance(now);
    return this.total;
  }

  /** Forgets everything booked so far. */
  clear(): void {
    this.ring.fill(0);
    this.total = 0;
  }

  /**
   * Milliseconds until `need` more fits under `limit`, if nothing else is booked meanwhile: 0 when it
   * fits now, `Infinity` when it never can.
   */
  msUntilFits(now: number, need: number, limit: number): number {
    const t = this.advance(now);
    if (need > limit) return Number.POSITIVE_INFINITY;
    const excess = this.total + need - limit;
    if (excess <= 0) return 0;
    const current = this.bucketOf(t);
    let freed = 0;
    for (let bucket = this.oldest; bucket <= current; bucket++) {
      freed += this.ring[this.slot(bucket)] ?? 0;
      if (freed >= excess) return this.expiryOf(bucket) - t;
    }
    // Only reachable through float rounding of the running total: once everything expires it fits.
    return this.expiryOf(current) - t;
  }

  /** Milliseconds until the oldest usage still counted expires; 0 when nothing is counted. */
  resetMs(now: number): number {
    const t = this.advance(now);
    if (this.total === 0) return 0;
    const current = this.bucketOf(t);
    for (let bucket = this.oldest; bucket <= current; bucket++) {
      if ((this.ring[this.slot(bucket)] ?? 0) > 0) return this.expiryOf(bucket) - t;
    }
    return 0;
  }

  /** Expires buckets oldest first up to `now` (clamped to the latest time seen); returns that time. */
  private advance(now: number): number {
    if (!Number.isFinite(now)) throw new RangeError(`time must be finite, got ${now}`);
    if (now > this.latest) this.latest = now;
    const t = this.latest;
    const firstLive = this.bucketOf(t) - this.span;
    if (firstLive <= this.oldest) return t;
    if (firstLive - this.oldest >= this.ring.length) {
      // Everything in the ring is older than the window: one clear instead of a walk.
      this.ring.fill(0);
      this.total = 0;
    } else {
      for (let bucket = this.oldest; bucket < firstLive; bucket++) {
        const slot = this.slot(bucket);
        this.total -= this.ring[slot] ?? 0;
        this.ring[slot] = 0;
      }
      this.snapTotal();
    }
    this.oldest = firstLive;
    return t;
  }

  private put(bucket: number, amount: number): void {
    const slot = this.slot(bucket);
    this.ring[slot] = (this.ring[slot] ?? 0) + amount;
    this.total += amount;
  }

  private slot(bucket: number): number {
    const n = this.ring.length;
    return ((bucket % n) + n) % n;
  }

  /**
   * Fractional amounts (audio seconds) leave rounding dust in the running total after subtractions;
   * without this an empty window could read as slightly used, or slightly negative.
   */
  private snapTotal(): void {
    if (this.total < 1e-9) this.total = 0;
  }
}

function assertAmount(amount: number): void {
  if (!Number.isFinite(amount) || amount < 0) throw new RangeError(`amount must be a finite number >= 0, got ${amount}`);
}
