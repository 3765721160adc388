import { describe, expect, it } from 'vitest';
import { Neighbours } from './neighbours.js';

/** Neighbours on a hand-moved clock, with the budget `b` watched for a minute already (nothing outside seen). */
function watched() {
  const clock = { t: 0 };
  const neighbours = new Neighbours(() => clock.t);
  neighbours.observe('b', 0);
  clock.t = 60_000;
  return { neighbours, at: (ms: number) => (clock.t = 60_000 + ms) };
}

describe('Neighbours', () => {
  it('keeps nothing free without other consumers', () => {
    const { neighbours } = watched();
    neighbours.observe('b', -300);
    neighbours.observe('b', 0);
    expect(neighbours.spare('b')).toBe(0);
    expect(neighbours.spare('never-seen')).toBe(0);
  });

  it('keeps a fifth over what the window books for them free while it still does', () => {
    const { neighbours, at } = watched();
    neighbours.observe('b', 800);
    at(30_000);
    neighbours.observe('b', 400);
    // The window books 1,200 of theirs: a fifth more is kept free beside it.
    expect(neighbours.spare('b')).toBe(240);
  });

  it('keeps their level free once their spending slid out of the window, until a later look shows less', () => {
    const { neighbours, at } = watched();
    neighbours.observe('b', 1_000);
    at(60_000);
    // Nothing of theirs is booked any more, but they will likely spend as much in the next minute.
    expect(neighbours.spare('b')).toBe(1_200);
    // A look at the upstream's count shows nothing beyond ours: they stopped.
    neighbours.observe('b', 0);
    expect(neighbours.spare('b')).toBe(0);
  });

  it('lets the level fade when the model is not looked at again', () => {
    const { neighbours, at } = watched();
    neighbours.observe('b', 1_000);
    at(60_000);
    expect(neighbours.spare('b')).toBe(1_200);
    at(120_000);
    expect(neighbours.spare('b')).toBe(600);
    at(180_000);
    expect(neighbours.spare('b')).toBe(0);
  });

  it('projects what they spent in the first minute watched to a whole minute', () => {
    let now = 0;
    const neighbours = new Neighbours(() => now);
    // The first look already shows 400 of theirs: a minute of it could be three times that.
    neighbours.observe('b', 400);
    expect(neighbours.spare('b')).toBe(Math.ceil(1.2 * 1_200 - 400));
    // Half a minute watched, 900 seen in all: twice that a minute.
    now = 30_000;
    neighbours.observe('b', 500);
    expect(neighbours.spare('b')).toBe(Math.ceil(1.2 * 1_800 - 900));
    // A whole minute watched: what the window holds is the level.
    now = 60_000;
    neighbours.observe('b', 0);
    expect(neighbours.spare('b')).toBe(Math.ceil(1.2 * 500 - 500));
  });

  it('projects no further than half the limit: much spent at once is more likely steady than starting', () => {
    const neighbours = new Neighbours(() => 0);
    neighbours.observe('b', 4_000, 6_000);
    expect(neighbours.spare('b')).toBe(Math.ceil(1.2 * 4_000 - 4_000));
    neighbours.observe('c', 1_000, 6_000);
    expect(neighbours.spare('c')).toBe(Math.ceil(1.2 * 3_000 - 1_000));
  });
});
