import { CapRetention } from './cap-retention.js';
import { CompletionCaps } from './completion-caps.js';
import { Neighbours } from './neighbours.js';
import { OutsideRequests } from './outside-requests.js';
import { PromptCalibration } from './prompt-calibration.js';

/**
 * What the gateway learns from answers to book token demands closer to what Groq counts: prompt
 * estimates per model, completion caps per alias, whether each budget's upstream keeps a request's cap
 * booked, and how much (and how many requests) other consumers of each key spend. Lives as long as the gateway, across config reloads.
 */
export class TokenPlanning {
  readonly calibration = new PromptCalibration();
  readonly caps = new CompletionCaps();
  readonly retention: CapRetention;
  readonly neighbours: Neighbours;
  readonly outsideRequests = new OutsideRequests();

  /**
   * `onCut` hears of every answer cut short by a cap the gateway lowered (a metric counts them); `now`
   * is the clock of the budgets' windows, which the evidence of kept caps slides with.
   */
  constructor(
    readonly onCut: (alias: string, deploymentId: string) => void = () => {},
    now: () => number = Date.now,
  ) {
    this.retention = new CapRetention(now);
    this.neighbours = new Neighbours(now);
  }
}
