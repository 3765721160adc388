import type { UpstreamView } from '../quota/types.js';

/**
 * Groq's rate-limit headers. Note the asymmetry (Groq's API reference, rate limits): `*-requests` count requests per DAY, `*-tokens`
 * count tokens per MINUTE.
 */
export const RATE_LIMIT_HEADERS = [
  'x-ratelimit-limit-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-requests',
  'x-ratelimit-reset-tokens',
] as const;

/** A count or a duration (`14400`, `2m59.56s`, `120ms`): all a rate-limit header ever holds. */
const LIMIT_VALUE = /^[\d.hms]{1,32}$/;

/**
 * Whether a rate-limit header's value may be passed on to the caller: only in the form Groq writes
 * them. Anything else (an upstream that echoes its key there, say) is not the upstream's count.
 */
export function relayableLimitValue(value: string): boolean {
  return LIMIT_VALUE.test(value);
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses Groq's durations (`2m59.56s`, `7.66s`, `120ms`, `1h2m3s`) into milliseconds; a bare number is
 * seconds. Returns `undefined` for anything else.
 */
export function parseGroqDuration(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const part = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const match = part.exec(text);
    if (match === null) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] ?? 0);
    at = part.lastIndex;
  }
  return total;
}

/** `retry-after` as seconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The longest wait a limit's own window allows, read from the limit Groq's 429 message names
 * ("tokens per minute (TPM)", "requests per day (RPD)", "seconds of audio per hour (ASH)"): a minute's
 * limit frees up within 60 s, an hour's within 1 h, a day's within 24 h. Unknown: a minute.
 */
export function limitWindowMs(message: string | undefined): number {
  if (message === undefined) return MINUTE_MS;
  if (/per day|\((?:RPD|TPD|ASD)\)/i.test(message)) return DAY_MS;
  if (/per hour|\(ASH\)/i.test(message)) return HOUR_MS;
  return MINUTE_MS;
}

/** `retry-after` in seconds, never longer than the window of the limit `message` names. */
export function boundedRetryAfterSec(value: string | null | undefined, message?: string): number | undefined {
  const seconds = parseRetryAfter(value);
  return seconds === undefined ? undefined : Math.min(seconds, limitWindowMs(message) / 1000);
}

/** What the upstream's rate-limit headers say about the organisation's quota, in the quota store's terms. */
/**
 * The budget view of an upstream answer's headers. Every wait is bounded by its window: a reset of
 * the per-day requests by 24 h, of the per-minute tokens by 60 s, and a 429's `retry-after` by
 * `retryAfterCapMs` (the window of the limit the 429 named; a minute when unknown).
 */
export function upstreamView(
  headers: { get(name: string): string | null } | undefined,
  status: number,
  retryAfterCapMs: number = MINUTE_MS,
): UpstreamView | undefined {
  if (headers === undefined) return undefined;
  const view: { -readonly [K in keyof UpstreamView]: UpstreamView[K] } = {};
  const remainingRequests = headerNumber(headers.get('x-ratelimit-remaining-requests'));
  const remainingTokens = headerNumber(headers.get('x-ratelimit-remaining-tokens'));
  if (remainingRequests !== undefined) {
    view.remainingRequests = remainingRequests;
    view.limitRequests = headerNumber(headers.get('x-ratelimit-limit-requests'));
    view.resetRequestsMs = atMost(parseGroqDuration(headers.get('x-ratelimit-reset-requests')), DAY_MS);
  }
  if (remainingTokens !== undefined) {
    view.remainingTokens = remainingTokens;
    view.limitTokens = headerNumber(headers.get('x-ratelimit-limit-tokens'));
    view.resetTokensMs = atMost(parseGroqDuration(headers.get('x-ratelimit-reset-tokens')), MINUTE_MS);
  }
  // Only a 429's retry-after closes the budget; on other statuses it is advice about that response.
  if (status === 429) {
    const seconds = parseRetryAfter(headers.get('retry-after'));
    if (seconds !== undefined) view.retryAfterMs = Math.min(seconds * 1000, retryAfterCapMs);
  }
  return Object.keys(view).length > 0 ? view : undefined;
}

function headerNumber(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

const REQUESTED = /\bRequested\s+~?(\d+)/;
const LIMIT_NAME = /\((RPM|RPD|TPM|TPD|ASH|ASD)\)/;

/** The limit Groq's 429 message names ("... on tokens per minute (TPM): ..."), lower-cased, when it names one. */
export function limitInRateLimitMessage(message: string): 'rpm' | 'rpd' | 'tpm' | 'tpd' | 'ash' | 'asd' | undefined {
  const match = LIMIT_NAME.exec(message);
  return match === null ? undefined : (match[1]?.toLowerCase() as 'rpm' | 'rpd' | 'tpm' | 'tpd' | 'ash' | 'asd');
}

/**
 * The size the upstream gave a refused request, from Groq's 429 message ("... on tokens per minute
 * (TPM): Limit 6000, Used 0, Requested 6143 ..."), when it says.
 */
export function requestedInRateLimitMessage(message: string): number | undefined {
  const match = REQUESTED.exec(message);
  return match === null ? undefined : Number(match[1]);
}

function atMost(ms: number | undefined, cap: number): number | undefined {
  return ms === undefined ? undefined : Math.min(ms, cap);
}
