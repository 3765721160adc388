import { describe, expect, it } from 'vitest';
import { CompletionCaps, DEFAULT_COMPLETION_CAP, MIN_COMPLETION_CAP } from './completion-caps.js';

describe('CompletionCaps', () => {
  it('starts at the default, which it does not shrink below', () => {
    expect(new CompletionCaps().for('a')).toEqual({ target: DEFAULT_COMPLETION_CAP, floor: DEFAULT_COMPLETION_CAP });
  });

  it('follows the largest recent answer with a margin once enough are seen', () => {
    const caps = new CompletionCaps();
    for (const tokens of [150, 600, 320, 410, 200, 580, 300, 250]) caps.observe('a', tokens);
    expect(caps.for('a')).toEqual({ target: Math.ceil(600 * 1.25) + 32, floor: 660 });
    expect(caps.for('b').target).toBe(DEFAULT_COMPLETION_CAP);
  });

  it('keeps the default, as target and floor, while few answers are seen', () => {
    const caps = new CompletionCaps();
    for (const tokens of [100, 380, 470]) caps.observe('a', tokens);
    // Shrinking to the largest of three answers (plus 10 %) would cut the next longer one.
    expect(caps.for('a')).toEqual({ target: DEFAULT_COMPLETION_CAP, floor: DEFAULT_COMPLETION_CAP });
    for (let i = 0; i < 5; i++) caps.observe('a', 200);
    expect(caps.for('a').floor).toBe(Math.ceil(470 * 1.1));
    expect(MIN_COMPLETION_CAP).toBeLessThan(470);
  });

  it('raises the cap at once after a cut, to twice what was cut', () => {
    const caps = new CompletionCaps();
    for (let i = 0; i < 8; i++) caps.observe('a', 300);
    caps.cut('a', 400);
    expect(caps.for('a').floor).toBe(Math.ceil(800 * 1.1));
  });
});
