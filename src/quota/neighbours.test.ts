import { describe, expect, it } from 'vitest';
import { Neighbours } from './neighbours.js';

describe('Neighbours', () => {
  it('keeps nothing free without other consumers', () => {
    const neighbours = new Neighbours(() => 0);
    neighbours.observe('b', -300);
    neighbours.observe('b', 0);
    expect(neighbours.spare('b')).toBe(0);
  });

  it('keeps a fifth over what the window books for them free while it still does', () => {
    let now = 0;
    const neighbours = new Neighbours(() => now);
    neighbours.observe('b', 800);
    now = 30_000;
    neighbours.observe('b', 400);
    // The window books 1,200 of theirs: a fifth more is kept free beside it.
    expect(neighbours.spare('b')).toBe(240);
  });

  it('keeps their level free once their spending slid out of the window, until a later look shows less', () => {
    let now = 0;
    const neighbours = new Neighbours(() => now);
    neighbours.observe('b', 1_000);
    now = 60_000;
    // Nothing of theirs is booked any more, but they will likely spend as much in the next minute.
    expect(neighbours.spare('b')).toBe(1_200);
    // A look at the upstream's count shows nothing beyond ours: they stopped.
    neighbours.observe('b', 0);
    expect(neighbours.spare('b')).toBe(0);
  });

  it('lets the level fade when the model is not looked at again', () => {
    let now = 0;
    const neighbours = new Neighbours(() => now);
    neighbours.observe('b', 1_000);
    now = 60_000;
    expect(neighbours.spare('b')).toBe(1_200);
    now = 120_000;
    expect(neighbours.spare('b')).toBe(600);
    now = 180_000;
    expect(neighbours.spare('b')).toBe(0);
  });
});
