const BASE_MS = 500;
const CAP_MS = 8_000;

/**
 * Exponential backoff with jitter before retry number `retry` (0-based): 0.5 s, 1 s, 2 s … up to 8 s,
 * each scaled by a random factor in [0.5, 1) so that callers failing together do not return together.
 */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, retry));
  return ceiling * (0.5 + random() / 2);
}
