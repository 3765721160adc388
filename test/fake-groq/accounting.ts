/**
 * How the fake counts a chat request against TPM, and when. Groq documents neither, so tests and the
 * agents benchmark choose: the admission check always counts prompt + completion cap (Groq's 429s say
 * "Requested ~N" with the cap included), but what stays booked in the window differs per rule.
 */
import type { Ticket } from './rate-limiter.js';

/**
 * - `reserve-then-settle` (default): books prompt + cap at admission, settled to prompt + completion as
 *   soon as the answer is planned (before the response headers go out).
 * - `cap-booked`: books prompt + cap at admission and keeps it for the whole window.
 * - `actual-booked`: books the prompt at admission and adds the completion when the answer ends
 *   (non-stream: before the body is written; stream: once the last frame is written).
 */
export type Accounting = 'reserve-then-settle' | 'cap-booked' | 'actual-booked';

export const ACCOUNTING_RULES: readonly Accounting[] = ['reserve-then-settle', 'cap-booked', 'actual-booked'];

/**
 * - `content-chars` (default): ceil(characters of message text / 4).
 * - `messages-json`: ceil((JSON of `messages` + JSON of `tools`) / 4), closer to how structure costs tokens.
 */
export type PromptCount = 'content-chars' | 'messages-json';

/** Tokens a request is booked for at admission under `rule`. */
export const bookedAtAdmission = (rule: Accounting, prompt: number, cap: number): number => (rule === 'actual-booked' ? prompt : prompt + cap);

/** Applies one accounting rule to an admitted request's ticket across its life. */
export class Booking {
  private ended = false;

  constructor(
    private readonly rule: Accounting,
    private readonly ticket: Ticket | undefined,
    private readonly total: number,
  ) {}

  /** The answer is planned (the fake knows its length at once). */
  planned(): void {
    if (this.rule === 'reserve-then-settle') this.ticket?.settle(this.total);
  }

  /** The answer has ended (last byte written, or cut by a fault or a client that went away). Idempotent. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.rule === 'actual-booked') this.ticket?.settle(this.total);
  }
}
