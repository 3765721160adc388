import { describe, expect, it } from 'vitest';
import { PromptCalibration } from './prompt-calibration.js';

describe('PromptCalibration', () => {
  it('books the estimate 10 % over, with a small margin, before any answer', () => {
    expect(new PromptCalibration().estimate('m', 1_000)).toBe(1_133);
  });

  it('takes the first reported count at once, rises fast and falls slowly', () => {
    const calibration = new PromptCalibration();
    calibration.observe('m', 1_000, 1_100);
    expect(calibration.ratio('m')).toBeCloseTo(1.1);
    calibration.observe('m', 1_000, 1_300);
    expect(calibration.ratio('m')).toBeCloseTo(1.2);
    calibration.observe('m', 1_000, 1_000);
    expect(calibration.ratio('m')).toBeCloseTo(1.17);
  });

  it('never goes below its floor, and ignores tiny or junk samples', () => {
    const calibration = new PromptCalibration();
    calibration.observe('m', 1_000, 10);
    expect(calibration.ratio('m')).toBe(0.5);
    calibration.observe('m', 10, 100);
    calibration.observe('m', 1_000, Number.NaN);
    calibration.observe('m', 1_000, undefined);
    expect(calibration.ratio('m')).toBe(0.5);
  });

  it('lends an unseen model the largest ratio seen, so its first request is not undersized', () => {
    const calibration = new PromptCalibration();
    calibration.observe('a', 1_000, 1_150);
    calibration.observe('b', 1_000, 900);
    expect(calibration.ratio('c')).toBeCloseTo(1.15);
  });

  it('rises at once past a refusal that shows how short it fell', () => {
    const calibration = new PromptCalibration();
    calibration.observe('m', 2_000, 2_000);
    calibration.fellShort('m', 2_000, 1_000);
    expect(calibration.ratio('m')).toBeCloseTo(1.5);
  });
});
