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
  const spare = demand.spare !== undefined && Number.isFinite(demand.spare) && demand.spare > 0 ? { spare: demand.spare } : {};
  const normalised = { requests: Math.max(1, reportedIn(demand, 'requests') ?? 0), tokens, audioSeconds: reportedIn(demand, 'audio_seconds') ?? 0, ...spare };
  const { minTokens } = demand;
  // A hold is capacity set aside, not a call: it books no request.
  if (demand.hold === true) return { requests: reportedIn(demand, 'requests') ?? 0, tokens, audioSeconds: normalised.audioSeconds, hold: true };
  // A minimum only matters below the maximum; a junk one means the demand cannot shrink.
  if (minTokens === undefined || !Number.isFinite(minTokens) || minTokens < 0 || minTokens >= tokens) return normalised;
  return { ...normalised, minTokens };
}
