import { CapRetention } from './cap-retention.js';
import { CompletionCaps } from './completion-caps.js';
import { PromptCalibration } from './prompt-calibration.js';

/**
 * What the gateway learns from answers to book token demands closer to what Groq counts: prompt
 * estimates per model, completion caps per alias, and whether each budget's upstream keeps a request's
 * cap booked. Lives as long as the gateway, across config reloads.
 */
export class TokenPlanning {
  readonly calibration = new PromptCalibration();
  readonly caps = new CompletionCaps();
  readonly retention = new CapRetention();

  /** `onCut` hears of every answer cut short by a cap the gateway lowered (a metric counts them). */
  constructor(readonly onCut: (alias: string, deploymentId: string) => void = () => {}) {}
}
