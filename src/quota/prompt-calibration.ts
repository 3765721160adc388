/**
 * Prompt estimates calibrated per upstream model against the `usage.prompt_tokens` every answer reports.
 *
 * The estimate before a call is characters / 4 (see `estimatePromptTokens`); Groq counts with its own
 * tokenizer and includes the JSON structure of messages and tools, so the true count can differ by 10 %
 * or more either way. A running ratio of reported to estimated corrects that per model. It moves up
 * quickly (an estimate that falls short gets a request refused upstream) and down slowly, never below
 * `MIN_RATIO`, and the booked estimate carries a safety margin on top.
 */
const MIN_RATIO = 0.5;
const MAX_RATIO = 4;
/** Added to every calibrated estimate: the ratio is a mean, and one request can sit above it. */
const SAFETY_MARGIN = 0.03;
const RISE_WEIGHT = 0.5;
const FALL_WEIGHT = 0.15;
/**
 * The ratio before any answer has been seen: Groq's count can be about 10 % above characters/4 (it
 * counts the JSON of messages and tools), and the first requests, sent together before any answer, are
 * refused upstream if booked short.
 */
const FIRST_PRIOR = 1.1;
/** Estimates this small carry framing noise, not a tokenizer's ratio. */
const MIN_SAMPLE_TOKENS = 64;

export class PromptCalibration {
  private readonly ratios = new Map<string, number>();

  /** The prompt tokens to book for `model`, from the characters/4 estimate. */
  estimate(model: string, rough: number): number {
    return Math.ceil(rough * this.ratio(model) * (1 + SAFETY_MARGIN));
  }

  /**
   * The current ratio of reported to estimated prompt tokens for `model`. Before its first answer, the
   * largest ratio any model has shown: the same client sends the same kind of prompts (and the JSON
   * structure Groq counts is the same), and an estimate that falls short costs a 429. Before any answer
   * at all, `FIRST_PRIOR`.
   */
  ratio(model: string): number {
    const own = this.ratios.get(model);
    if (own !== undefined) return own;
    if (this.ratios.size === 0) return FIRST_PRIOR;
    let prior = 1;
    for (const ratio of this.ratios.values()) prior = Math.max(prior, ratio);
    return prior;
  }

  /** Learns from one answer: `reported` is its `usage.prompt_tokens`, `rough` the estimate it was sent with. */
  observe(model: string, rough: number, reported: number | undefined): void {
    if (reported === undefined || !Number.isFinite(reported) || reported <= 0 || rough < MIN_SAMPLE_TOKENS) return;
    this.adjust(model, reported / rough, false);
  }

  /**
   * The upstream refused a request as larger than its window while its own headers said the window had
   * room for what we booked: our estimate fell short by at least `shortBy` of `rough`. Rises at once.
   */
  fellShort(model: string, rough: number, shortBy: number): void {
    if (rough <= 0) return;
    const current = this.ratio(model);
    const needed = (rough * current + Math.max(shortBy, rough * 0.05)) / rough;
    this.adjust(model, needed, true);
  }

  private adjust(model: string, sample: number, atOnce: boolean): void {
    const current = this.ratios.get(model);
    const bounded = Math.min(MAX_RATIO, Math.max(MIN_RATIO, sample));
    if (current === undefined || atOnce) {
      this.ratios.set(model, atOnce && current !== undefined ? Math.max(current, bounded) : bounded);
      return;
    }
    const weight = bounded > current ? RISE_WEIGHT : FALL_WEIGHT;
    this.ratios.set(model, current + weight * (bounded - current));
  }
}
