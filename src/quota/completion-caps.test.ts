import { describe, expect, it } from 'vitest';
import { CompletionCaps, DEFAULT_COMPLETION_CAP, MIN_COMPLETION_CAP } from './completion-caps.js';

describe('CompletionCaps', () => {
  it('starts at the default, with the least useful cap as its floor', () => {
    expect(new CompletionCaps().for('a')).toEqual({ target: DEFAULT_COMPLETION_CAP, floor: MIN_COMPLETION_CAP });
  });

  it('follows the largest recent answer with a margin once enough are seen', () => {
    const caps = new CompletionCaps();
    for (const tokens of [150, 600, 320, 410, 200, 580, 300, 250]) caps.observe('a', tokens);
    expect(caps.for('a')).toEqual({ target: Math.ceil(600 * 1.25) + 32, floor: 660 });
    expect(caps.for('b').target).toBe(DEFAULT_COMPLETION_CAP);
  });

  it('keeps the default while few answers are seen', () => {
    const caps = new CompletionCaps();
    caps.observe('a', 100);
    expect(caps.for('a')).toEqual({ target: DEFAULT_COMPLETION_CAP, floor: Math.ceil(MIN_COMPLETION_CAP * 1.1) });
  });

  it('raises the cap at once after a cut, to twice what was cut', () => {
    const caps = new CompletionCaps();
    for (let i = 0; i < 8; i++) caps.observe('a', 300);
    caps.cut('a', 400);
    expect(caps.for('a').floor).toBe(Math.ceil(800 * 1.1));
  });
});
