import { WINDOW_NAMES, WINDOW_SPECS, type Demand, type WindowName } from './types.js';

export type Unit = (typeof WINDOW_SPECS)[WindowName]['unit'];

const FIELD: Readonly<Record<Unit, 'requests' | 'tokens' | 'audioSeconds'>> = { requests: 'requests', tokens: 'tokens', audio_seconds: 'audioSeconds' };

export const UNITS: readonly Unit[] = ['requests', 'tokens', 'audio_seconds'];

/** The windows counting each unit: booking a unit always touches both of its windows together. */
export const WINDOWS_BY_UNIT: Readonly<Record<Unit, readonly WindowName[]>> = {
  requests: WINDOW_NAMES.filter((name) => WINDOW_SPECS[name].unit === 'requests'),
  tokens: WINDOW_NAMES.filter((name) => WINDOW_SPECS[name].unit === 'tokens'),
  audio_seconds: WINDOW_NAMES.filter((name) => WINDOW_SPECS[name].unit === 'audio_seconds'),
};

export function amountIn(demand: Demand, unit: Unit): number {
  return demand[FIELD[unit]];
}

/** A reported amount, or `undefined` when it is missing or unusable (one NaN would poison a window). */
export function reportedIn(actual: Partial<Demand>, unit: Unit): number | undefined {
  const value = actual[FIELD[unit]];
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * What a reservation books. Junk amounts count as nothing, and every call is at least one request:
 * the upstream counts it whatever it carries.
 */
export function normaliseDemand(demand: Demand): Demand {
  const tokens = reportedIn(demand, 'tokens') ?? 0;
  const audioSeconds = reportedIn(demand, 'audio_seconds') ?? 0;
  // A hold is capacity set aside, not a call: it books no request.
  if (demand.hold === true) return { requests: reportedIn(demand, 'requests') ?? 0, tokens, audioSeconds, hold: true };
  const requests = Math.max(1, reportedIn(demand, 'requests') ?? 0);
  const { minTokens, spare } = demand;
  // A minimum only matters below the maximum; a junk one means the demand cannot shrink.
  const shrinks = minTokens !== undefined && Number.isFinite(minTokens) && minTokens >= 0 && minTokens < tokens;
  // Literals rather than spreads of optional keys: this runs for every booking, and a spread followed by
  // more keys costs V8 a shape lookup each time.
  if (spare !== undefined && Number.isFinite(spare) && spare > 0) {
    return shrinks ? { requests, tokens, audioSeconds, spare, minTokens } : { requests, tokens, audioSeconds, spare };
  }
  return shrinks ? { requests, tokens, audioSeconds, minTokens } : { requests, tokens, audioSeconds };
}
