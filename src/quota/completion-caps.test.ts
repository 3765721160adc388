import { describe, expect, it } from 'vitest';
import { CompletionCaps, DEFAULT_COMPLETION_CAP, MIN_COMPLETION_CAP } from './completion-caps.js';

describe('CompletionCaps', () => {
  it('starts at the default, which it does not shrink below', () => {
    expect(new CompletionCaps().for('a')).toEqual({ target: DEFAULT_COMPLETION_CAP, floor: DEFAULT_COMPLETION_CAP });
  });

  it('follows the largest recent answer with a margin once enough are seen', () => {
    const caps = new CompletionCaps();
    for (const tokens of [150, 600, 320, 410, 200, 580, 300, 250]) caps.observe('a', tokens);
    // Eight answers: a quarter over the largest.
    expect(caps.for('a')).toEqual({ target: Math.ceil(600 * 1.25) + 32, floor: 750 });
    expect(caps.for('b').target).toBe(DEFAULT_COMPLETION_CAP);
  });

  it('keeps the default target and a wider floor while few answers are seen', () => {
    const caps = new CompletionCaps();
    caps.observe('a', 300);
    // One answer says little: the floor is three times it (the default at most).
    expect(caps.for('a')).toEqual({ target: DEFAULT_COMPLETION_CAP, floor: 900 });
    for (const tokens of [100, 350, 400]) caps.observe('a', tokens);
    // Four: a half over the largest.
    expect(caps.for('a')).toEqual({ target: DEFAULT_COMPLETION_CAP, floor: 600 });
    for (let i = 0; i < 16; i++) caps.observe('a', 200);
    // Twenty: the usual tenth.
    expect(caps.for('a').floor).toBe(Math.ceil(400 * 1.1));
    expect(MIN_COMPLETION_CAP).toBeLessThan(300);
  });

  it('raises the cap at once after a cut, to twice what was cut', () => {
    const caps = new CompletionCaps();
    for (let i = 0; i < 8; i++) caps.observe('a', 300);
    caps.cut('a', 400);
    expect(caps.for('a').floor).toBe(Math.ceil(800 * (1 + 2 / 9)));
  });
});
