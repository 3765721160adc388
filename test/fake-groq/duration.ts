/**
 * Groq writes durations the way Go's `time.Duration.String()` does (`2m59.56s`, `7.66s`, `120ms`),
 * in `x-ratelimit-reset-*` headers and in 429 messages. Clients parse these, so the fake must emit
 * exactly this shape. Groq rounds to centiseconds above one second, so we do too.
 */
export function formatGroqDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s';
  const wholeMs = Math.round(ms);
  if (wholeMs < 1000) return `${Math.max(1, wholeMs)}ms`;

  const centis = Math.round(ms / 10);
  const hours = Math.floor(centis / 360_000);
  const minutes = Math.floor((centis % 360_000) / 6_000);
  // Integer centiseconds / 100 prints as the shortest decimal, e.g. 5956 -> "59.56", 120 -> "1.2".
  const seconds = String((centis % 6_000) / 100);
  // Go keeps the inner zero units once a bigger unit is printed: "1h0m5s", "2m0s".
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };
const PART = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/y;

/** Inverse of {@link formatGroqDuration}; `undefined` for anything that is not a Go-style duration. */
export function parseGroqDuration(text: string): number | undefined {
  if (text === '' || text === '0') return text === '0' ? 0 : undefined;
  PART.lastIndex = 0;
  let total = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (match === null) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}
