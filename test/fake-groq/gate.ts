/**
 * The two steps every model endpoint takes between validation and answer, in Groq's order: the next
 * scripted fault for the model, then quota admission (429 with `retry-after`, or 413 when the charge
 * alone exceeds a window). /chat/completions does the same inline.
 */
import { sendStatusFault } from './chat-handler.js';
import type { FakeEnv } from './env.js';
import { rateLimited, requestTooLarge } from './errors.js';
import type { Exchange } from './exchange.js';
import { faultLabel, isStatusFault, type MidstreamFault } from './faults.js';
import { sleep, untilAborted } from './http-util.js';
import type { FakeModel } from './models.js';
import type { Ticket } from './rate-limiter.js';

/** `answered`: the fault took the request over (status, hang, reset, client gone). */
export type FaultOutcome = { answered: true } | { answered: false; midstream: MidstreamFault | undefined };

export async function applyFault(env: FakeEnv, ex: Exchange, model: FakeModel, quotaHeaders: Record<string, string>): Promise<FaultOutcome> {
  const fault = env.faults.take(model.id);
  if (fault === undefined) return { answered: false, midstream: undefined };
  ex.call.fault = faultLabel(fault);
  if (isStatusFault(fault)) {
    sendStatusFault(env, ex, model, fault, quotaHeaders);
    return { answered: true };
  }
  switch (fault.kind) {
    case 'hang':
      await untilAborted(ex.signal);
      return { answered: true };
    case 'reset':
      ex.destroy();
      return { answered: true };
    case 'delay':
      await sleep(fault.ms, ex.signal);
      return ex.signal.aborted ? { answered: true } : { answered: false, midstream: undefined };
    default:
      return { answered: false, midstream: fault };
  }
}

export interface Charge {
  /** Tokens the admission check counts. */
  readonly tokens: number;
  /** Tokens booked once admitted; default `tokens`. */
  readonly booked?: number;
  readonly audioSeconds?: number;
}

/**
 * Admits the request against (key, model) and returns its ticket, `undefined` when limits are off
 * (fast mode without `limits`), or `null` once a 429/413 has been sent.
 */
export function admit(env: FakeEnv, ex: Exchange, key: string, modelId: string, charge: Charge, quotaHeaders: () => Record<string, string>): Ticket | undefined | null {
  if (!env.enforceLimits) return undefined;
  const admission = env.limiter.admit(key, modelId, charge.tokens, charge.audioSeconds ?? 0, charge.booked ?? charge.tokens);
  if ('ticket' in admission) return admission.ticket;
  const v = admission.violation;
  if (v.tooLarge) {
    ex.json(413, requestTooLarge(modelId, env.organization, v), quotaHeaders());
    return null;
  }
  const retryAfter = String(Math.max(1, Math.ceil(v.waitMs / 1000)));
  ex.json(429, rateLimited(modelId, env.organization, v), { ...quotaHeaders(), 'retry-after': retryAfter });
  return null;
}
