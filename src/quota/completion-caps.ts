/**
 * Completion caps learned per alias from the answers it gets.
 *
 * Coding agents send a large `max_tokens` on every request (Kilo Code: 8192) whatever the answer needs.
 * Groq counts a request's cap against TPM when it admits it, so sending it as is would book most of a
 * free plan's minute for a few hundred tokens of answer. The gateway sends instead a cap learned from
 * what this alias's recent answers actually used: the largest of the last `SAMPLES` completions (what
 * was needed) plus a margin (the target), and a default before any answer is seen. An answer cut by
 * that cap raises it at once.
 */

import { entryOf } from '../map-entry.js';

const SAMPLES = 64;
/** Before any answer: what Groq's own accounting books for a request that names no cap. */
export const DEFAULT_COMPLETION_CAP = 1024;
const MARGIN = 1.25;
const MARGIN_TOKENS = 32;
/** The least cap a short window may shrink it to: what recent answers needed, and a little over. */
const FLOOR_MARGIN = 1.1;
/** Until this many answers are seen, the target stays at least the default: a few short answers say little. */
const MIN_SAMPLES = 8;
/** Fewer completion tokens than this is no useful answer. */
export const MIN_COMPLETION_CAP = 256;

export interface LearnedCap {
  /** The cap to send when the client's is larger. */
  readonly target: number;
  /**
   * The least cap worth sending: what recent answers needed, plus 10 % (more while few are seen; the
   * default before any). Below it the request waits or moves on.
   */
  readonly floor: number;
}

class AliasSamples {
  private readonly ring = new Float64Array(SAMPLES);
  private count = 0;
  private next = 0;

  add(tokens: number): void {
    this.ring[this.next] = tokens;
    this.next = (this.next + 1) % SAMPLES;
    if (this.count < SAMPLES) this.count++;
  }

  get size(): number {
    return this.count;
  }

  largest(): number {
    let max = 0;
    for (let i = 0; i < this.count; i++) max = Math.max(max, this.ring[i] ?? 0);
    return max;
  }
}

export class CompletionCaps {
  private readonly aliases = new Map<string, AliasSamples>();

  for(alias: string): LearnedCap {
    const samples = this.aliases.get(alias);
    if (samples === undefined || samples.size === 0) return { target: DEFAULT_COMPLETION_CAP, floor: DEFAULT_COMPLETION_CAP };
    const needed = Math.max(MIN_COMPLETION_CAP, samples.largest());
    const target = Math.ceil(needed * MARGIN) + MARGIN_TOKENS;
    // The largest of n answers falls short of the longest to come by about 1/n of their spread: the floor
    // keeps twice that over it while few are seen (a half over four, a quarter over eight), the tenth after.
    const floor = Math.min(Math.ceil(needed * Math.max(FLOOR_MARGIN, 1 + 2 / samples.size)), Math.max(target, DEFAULT_COMPLETION_CAP));
    return { target: samples.size < MIN_SAMPLES ? Math.max(target, DEFAULT_COMPLETION_CAP) : target, floor };
  }

  /** One answer's completion tokens. */
  observe(alias: string, completionTokens: number | undefined): void {
    if (completionTokens === undefined || !Number.isFinite(completionTokens) || completionTokens < 0) return;
    this.samples(alias).add(completionTokens);
  }

  /** An answer was cut at `sentCap` by the gateway: it needed more, so the next ones get twice as much. */
  cut(alias: string, sentCap: number): void {
    this.samples(alias).add(sentCap * 2);
  }

  private samples(alias: string): AliasSamples {
    return entryOf(this.aliases, alias, () => new AliasSamples());
  }
}
