import type { Counter, Histogram, LabelValues } from 'prom-client';

/**
 * One series of a prom-client counter or histogram, updated in place. prom-client's own `labels()`
 * children only bind the label object: every `inc`/`observe` still validates the labels and builds the
 * series' hash string. The gateway updates about twenty series per request, so the series a request
 * touches are bound once here, and each update is an addition to the object prom-client renders.
 *
 * Nothing visible changes: the series is created by prom-client itself on its first update (so a series
 * nobody updated is still absent, not zero), and a value prom-client would refuse (negative, NaN,
 * infinite) still goes through prom-client and throws as before. The registry is never reset (its
 * counters and histograms live as long as the gateway), which keeps the bound entry the one rendered.
 */
export interface BoundCounter {
  inc(value?: number): void;
}

export interface BoundHistogram {
  observe(value: number): void;
}

/** prom-client's internal series entry for a counter (15.x: `hashMap[hash] = { value, labels }`). */
interface CounterEntry {
  value: number;
  readonly labels: LabelValues<string>;
}

/** prom-client's internal series entry for a histogram (15.x: bucket counts keyed by upper bound). */
interface HistogramEntry {
  readonly labels: LabelValues<string>;
  readonly bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

type WithSeries<E> = { readonly hashMap: Record<string, E>; readonly labelNames: readonly string[] };

export function boundCounter(counter: Counter<string>, labels: LabelValues<string>): BoundCounter {
  let entry: CounterEntry | undefined;
  return {
    inc(value = 1) {
      if (entry !== undefined && value >= 0 && value !== Infinity) {
        entry.value += value;
        return;
      }
      counter.inc(labels, value);
      entry = seriesOf(counter as unknown as WithSeries<CounterEntry>, labels);
    },
  };
}

export function boundHistogram(histogram: Histogram<string>, labels: LabelValues<string>): BoundHistogram {
  const upperBounds = (histogram as unknown as { readonly upperBounds: readonly number[] }).upperBounds;
  // The entry's bucket keys as strings once: a fractional number used as a key is converted every time.
  const keys = upperBounds.map(String);
  let entry: HistogramEntry | undefined;
  return {
    observe(value) {
      if (entry === undefined || !Number.isFinite(value)) {
        histogram.observe(labels, value);
        entry = seriesOf(histogram as unknown as WithSeries<HistogramEntry>, labels);
        return;
      }
      entry.sum += value;
      entry.count += 1;
      // As prom-client counts: the first bucket whose upper bound holds the value; above all, only the count.
      for (let i = 0; i < upperBounds.length; i++) {
        if (value <= (upperBounds[i] as number)) {
          const key = keys[i] as string;
          entry.bucketValues[key] = (entry.bucketValues[key] ?? 0) + 1;
          return;
        }
      }
    },
  };
}

/** The entry prom-client keeps for `labels` (found by value: an earlier update may have created it). */
function seriesOf<E extends { readonly labels: LabelValues<string> }>(metric: WithSeries<E>, labels: LabelValues<string>): E | undefined {
  const same = (other: LabelValues<string>) => metric.labelNames.every((name) => String(other[name] ?? '') === String(labels[name] ?? ''));
  for (const entry of Object.values(metric.hashMap)) if (same(entry.labels)) return entry;
  return undefined;
}
