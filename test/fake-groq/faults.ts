/** Scripted failures, queued per model and served first-in first-out. */
import type { GroqErrorPayload } from './errors.js';

/** Answer with this status. Without `body` a Groq-shaped default for the status is sent. */
export interface StatusFault {
  kind?: 'status';
  status: number;
  /**
   * Seconds, sent verbatim as `retry-after`. 429 faults default to 1 because Groq always sends the
   * header on 429; pass `null` to leave it out.
   */
  retryAfter?: number | null;
  /** A string is sent raw (e.g. an HTML error page from a proxy); anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type Fault =
  | StatusFault
  /** Never answer; the socket stays open until the client gives up or the fake closes. */
  | { kind: 'hang' }
  /** Wait, then answer normally. */
  | { kind: 'delay'; ms: number }
  /** Destroy the socket before any byte of response. */
  | { kind: 'reset' }
  /** Send `afterChunks` SSE frames (the role chunk counts), then destroy the socket. */
  | { kind: 'midstream-reset'; afterChunks: number }
  /** Send `afterChunks` SSE frames, then a `data: {"error":...}` frame, then end without `[DONE]`. */
  | { kind: 'midstream-error'; afterChunks: number; error?: GroqErrorPayload };

export type MidstreamFault = Extract<Fault, { kind: 'midstream-reset' | 'midstream-error' }>;

export const isStatusFault = (fault: Fault): fault is StatusFault => 'status' in fault;

export function faultLabel(fault: Fault): string {
  return isStatusFault(fault) ? `status:${fault.status}` : fault.kind;
}

/** Rejects nonsense at `fail()` time, where the test author can see the stack, not mid-request. */
export function assertValidFault(fault: Fault): void {
  if (isStatusFault(fault)) {
    if (!Number.isInteger(fault.status) || fault.status < 200 || fault.status > 599) {
      throw new RangeError(`fake-groq: fault status must be an integer in 200..599, got ${String(fault.status)}`);
    }
    return;
  }
  switch (fault.kind) {
    case 'delay':
      if (!(fault.ms >= 0)) throw new RangeError('fake-groq: delay fault needs ms >= 0');
      return;
    case 'midstream-reset':
    case 'midstream-error':
      if (!Number.isInteger(fault.afterChunks) || fault.afterChunks < 0) {
        throw new RangeError(`fake-groq: ${fault.kind} fault needs an integer afterChunks >= 0`);
      }
      return;
    case 'hang':
    case 'reset':
      return;
    default:
      throw new TypeError(`fake-groq: unknown fault ${JSON.stringify(fault)}`);
  }
}

interface Entry {
  readonly fault: Fault;
  remaining: number;
}

export class FaultQueue {
  private readonly byModel = new Map<string, Entry[]>();

  /** `times = Infinity` keeps the fault forever, so anything queued after it is never reached. */
  add(model: string, fault: Fault, times: number): void {
    assertValidFault(fault);
    if (!(times > 0)) return;
    const queue = this.byModel.get(model) ?? [];
    queue.push({ fault, remaining: times });
    this.byModel.set(model, queue);
  }

  take(model: string): Fault | undefined {
    const queue = this.byModel.get(model);
    const head = queue?.[0];
    if (queue === undefined || head === undefined) return undefined;
    head.remaining--;
    if (head.remaining <= 0) queue.shift();
    if (queue.length === 0) this.byModel.delete(model);
    return head.fault;
  }

  clear(model?: string): void {
    if (model === undefined) this.byModel.clear();
    else this.byModel.delete(model);
  }
}
