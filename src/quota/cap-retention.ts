/**
 * Whether the upstream keeps a request's whole completion cap booked for its window after the answer,
 * or only what the answer used, learned per budget (API key and model). Groq's documentation does not
 * say (its API reference lists only the headers); its "Requested ~N" 429s show the cap counts at
 * admission, and what happens after the answer can only be seen in later headers.
 *
 * The evidence is the gap between the upstream's token count and ours when an answer's headers arrive:
 * - While we keep caps booked after answers, an upstream that does too counts what we count (gap ≈ 0);
 *   one that gives the unused cap back counts less, by what we kept (gap ≈ −kept, over the window).
 * - While we give unused caps back, an upstream that keeps them counts more, by what we gave back since
 *   the last headers (the reconciliation has booked what it counted before); one that does not, no more.
 * Another consumer's spending moves the gap as much: a look at which Groq's count of requests shows
 * requests of others since the last look (the requests-per-day header, which counts exactly) is no
 * evidence either way. Without that check a neighbour spending what we kept looks like an upstream that
 * keeps caps, for as long as it goes on.
 * The cap of an answer still streaming when its headers arrive shows the same way, at every look.
 * Until the evidence says otherwise the upstream is taken to keep the cap, which is the safe side:
 * keeping it can only waste headroom, giving it back under an upstream that keeps it earns 429s.
 *
 * Each look moves two beliefs: its model's and its key's. Groq keeps one account per organisation, so
 * what one model of a key shows is the best guess for the key's others until they have looks of their
 * own: on the free plan each model is looked at once or twice a minute (an agent's request fills its
 * minute), the key as often as there are models. A model with `OWN_LOOKS` looks follows its own.
 */

import { entryOf } from '../map-entry.js';
import { budgetKeyOf } from './budget-specs.js';
import { BucketedWindow } from './window.js';

/**
 * How far one look moves the belief. A free-plan model is looked at once or twice a minute, so at 0.3 the
 * first three looks (two minutes of an agent's traffic) were spent keeping caps Groq had given back; at
 * 0.5 two clear looks decide and one never does, and one look the other way turns it back to the safe side.
 */
const WEIGHT = 0.5;
/** Looks at a model after which its own belief counts, not its key's. */
const OWN_LOOKS = 2;
/**
 * A belief no look could have tested for this long is forgotten, and learned again from the safe side:
 * with another consumer's requests at every look, or no look at all, a wrong one would otherwise hold
 * for good, and Groq may have changed how it counts. A look without others' requests tests it even when
 * it shows nothing (one request at a time, a minute apart, gives nothing back that a later look could
 * show: nor does it need to).
 */
const STALE_MS = 5 * 60_000;
/** Less than this kept or given back says nothing: estimates and other consumers make noise of this size. */
const MIN_EVIDENCE = 64;
const WINDOW_MS = 60_000;
/** A kept cap may count up to this much past its minute: evidence, not a limit. */
const KEPT_BUCKET_MS = 1_000;

/** 1: the upstream keeps caps booked after the answer; 0: it books usage. Moved by each look's sample. */
class Belief {
  score = 1;
  looks = 0;
  private testedAt = Number.NEGATIVE_INFINITY;

  fresh(now: number): boolean {
    return now - this.testedAt <= STALE_MS;
  }

  /** A look without other consumers' requests: it would have shown this belief wrong. */
  tested(now: number): void {
    if (this.fresh(now)) this.testedAt = now;
  }

  move(sample: number, now: number): void {
    if (!this.fresh(now)) {
      this.score = 1;
      this.looks = 0;
    }
    this.score += WEIGHT * (Math.min(1, Math.max(0, sample)) - this.score);
    this.looks++;
    this.testedAt = now;
  }
}

class BudgetEvidence {
  readonly belief = new Belief();

  /** `keyBelief`: the belief of the budget's API key, which every look at this budget moves too. */
  constructor(readonly keyBelief: Belief) {}
  /**
   * What we kept booked beyond usage within the last minute, since our count was last raised to Groq's:
   * in buckets, so a budget busy with thousands of answers a minute costs neither time nor memory per answer.
   */
  private readonly kept = new BucketedWindow({ windowMs: WINDOW_MS, bucketMs: KEPT_BUCKET_MS });
  /** What we gave back since the upstream's count was last reconciled. */
  givenBack = 0;

  keep(at: number, tokens: number): void {
    this.kept.add(at, tokens);
  }

  forgetKept(): void {
    this.kept.clear();
  }

  keptInWindow(now: number): number {
    return this.kept.used(now);
  }
}

export class CapRetention {
  private readonly budgets = new Map<string, BudgetEvidence>();
  /** By API key (`budgetKeyOf`): every look at any of its models. */
  private readonly keys = new Map<string, Belief>();

  constructor(private readonly now: () => number = Date.now) {}

  keepsCap(budgetId: string): boolean {
    const now = this.now();
    const evidence = this.budgets.get(budgetId);
    const own = evidence?.belief;
    const belief = own !== undefined && own.looks >= OWN_LOOKS && own.fresh(now) ? own : (evidence?.keyBelief ?? this.keys.get(budgetKeyOf(budgetId)));
    return (belief !== undefined && belief.fresh(now) ? belief.score : 1) >= 0.5;
  }

  /** An answer settled: `unused` is its cap less what it used; `kept` whether it stays booked. */
  settled(budgetId: string, unused: number, kept: boolean): void {
    if (!(unused > 0)) return;
    const evidence = this.evidence(budgetId);
    if (kept) evidence.keep(this.now(), unused);
    else evidence.givenBack += unused;
  }

  /** An answer's headers arrived and its usage is known: `take` and `weigh` at once. */
  observe(budgetId: string, look: RetentionLook): void {
    this.weigh(this.take(budgetId, look));
  }

  /**
   * An answer's headers arrived: what they say beside our own count (see `RetentionLook`), taken with
   * what we counted beyond usage at this moment, for `weigh` once the answer's usage is known (a streamed
   * answer's ends later, after other answers may have settled). `keptCaps`: whether the answer was
   * settled keeping its cap, where it was settled before its headers are read. `undefined` when the look
   * is no evidence.
   */
  take(budgetId: string, look: RetentionLook, keptCaps = this.keepsCap(budgetId)): TakenLook | undefined {
    const { gap, pending = 0, outsideRequests } = look;
    if (gap === undefined || !Number.isFinite(gap)) return undefined;
    const evidence = this.evidence(budgetId);
    // Believing Groq keeps caps we count the kept ones; believing it books usage, not what we gave back.
    const counted = keptCaps ? evidence.keptInWindow(this.now()) : evidence.givenBack - pending;
    evidence.givenBack = pending;
    // Where Groq counts as much as we do or more (the excess is booked as outside spending), our count
    // is Groq's from here: only caps kept after this look can show in the gap at the next.
    if (gap >= 0) evidence.forgetKept();
    if (outsideRequests !== undefined && outsideRequests > 0) return undefined;
    const now = this.now();
    evidence.belief.tested(now);
    evidence.keyBelief.tested(now);
    return { budgetId, look: { ...look, gap }, keptCaps, counted };
  }

  /**
   * Moves the look's model and key beliefs by what it says. `corrected` is the look with the prompt as
   * Groq counted it, once the answer's usage says (its gap and noise are read), or the look as taken.
   * Whether it said anything (and so moved them).
   */
  weigh(taken: TakenLook | undefined, corrected: RetentionLook | undefined = taken?.look): boolean {
    if (taken === undefined || corrected?.gap === undefined || !Number.isFinite(corrected.gap)) return false;
    const sample = sampleOf(taken, corrected.gap, corrected.noise ?? 0);
    if (sample === undefined) return false;
    const now = this.now();
    const evidence = this.evidence(taken.budgetId);
    evidence.belief.move(sample, now);
    evidence.keyBelief.move(sample, now);
    return true;
  }

  private evidence(budgetId: string): BudgetEvidence {
    return entryOf(this.budgets, budgetId, () => new BudgetEvidence(entryOf(this.keys, budgetKeyOf(budgetId), () => new Belief())));
  }
}

/**
 * What one look says: 1 the upstream keeps caps, 0 it books usage, `undefined` nothing either way.
 * Under each belief our count differs from what an upstream of each kind would count by known
 * amounts; the gap is placed between the two. A gap below even the usage-booking upstream's is none of
 * this (ours still counts a booking Groq's window has let go, or a request of ours not yet arrived there).
 */
function sampleOf(taken: TakenLook, gap: number, noise: number): number | undefined {
  const streaming = Math.max(0, taken.look.streamingCap ?? 0);
  // Gaps within `noise` (how far a prompt estimate may be off) say nothing either way.
  const least = Math.max(MIN_EVIDENCE, 2 * noise);
  // How far below the usage-booking upstream's gap a look may fall and still be that upstream's.
  const tolerance = Math.max(MIN_EVIDENCE, noise);
  const span = taken.counted + streaming;
  if (taken.keptCaps) {
    // We count kept caps and the streaming one: an upstream booking usage counts neither (gap -span),
    // one keeping caps both (gap 0).
    if (span < least || gap + tolerance < -span) return undefined;
    return 1 + Math.min(0, gap + noise) / span;
  }
  // We count the streaming cap, not what we gave back: an upstream booking usage counts neither (gap
  // -streaming), one keeping caps both (gap +given back).
  if (span < least || gap + tolerance < -streaming) return undefined;
  return Math.max(0, gap + streaming - noise) / span;
}

/** A look at the upstream's count with what we counted beyond usage when it was taken (`CapRetention.take`). */
export interface TakenLook {
  readonly budgetId: string;
  readonly look: RetentionLook & { readonly gap: number };
  /** Whether we took Groq to keep caps when the look was taken. */
  readonly keptCaps: boolean;
  /** What we counted then that an upstream of the other kind would not: caps kept, or given back. */
  readonly counted: number;
}

/** One look at the upstream's count: an answer's headers, beside our own count at that moment. */
export interface RetentionLook {
  /** The upstream's token count less ours. */
  readonly gap: number | undefined;
  /**
   * What the answer gave back already while our store still books it (a whole answer read before its
   * headers are learned from), which the upstream's count cannot show yet.
   */
  readonly pending?: number;
  /** How far the request's own prompt estimate may be off. */
  readonly noise?: number;
  /** How many requests Groq counted beyond ours since the last look, when it says. */
  readonly outsideRequests?: number;
  /**
   * The cap of the answer still streaming, which we book whole: an upstream that books usage has not
   * counted it (nor one that books the cap only until the answer ends, which this mistakes for keeping:
   * the safe side), so every look shows it, where caps kept after answers show only while in the window.
   */
  readonly streamingCap?: number;
}
