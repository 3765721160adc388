import { describe, expect, it } from 'vitest';
import { Neighbours } from './neighbours.js';

/** Neighbours on a hand-moved clock, looking at the budget `b` for the first time. */
function fresh() {
  const clock = { t: 0 };
  return { neighbours: new Neighbours(() => clock.t), at: (ms: number) => (clock.t = ms) };
}

/** Neighbours on a hand-moved clock, with the budget `b` watched for a minute already (nothing outside seen). */
function watched() {
  const clock = { t: 0 };
  const neighbours = new Neighbours(() => clock.t);
  neighbours.observe('b', 0);
  clock.t = 60_000;
  return { neighbours, at: (ms: number) => (clock.t = 60_000 + ms) };
}

describe('Neighbours', () => {
  it('forgets budgets that keep nothing when a new one is first looked at, not only when they are planned again', () => {
    const { neighbours, at } = fresh();
    for (let i = 0; i < 300; i++) neighbours.observe(`wildcard-${i}`, 0, 0, 0);
    neighbours.observe('busy', 900, 0, 1);
    at(61_000);
    neighbours.observe('new', 0, 0, 0);
    // Each idle budget's room is nothing either way; what shows it was forgotten is its size.
    expect(neighbours.size).toBe(2);
    expect(neighbours.level('busy')).toBeGreaterThan(0);
  });

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

  it('counts outside spending hidden behind a cap Groq has not counted yet, without booking it twice', () => {
    const { neighbours, at } = watched();
    // Streaming: Groq counts 300 beyond us, 500 more hidden behind the 500 of our cap it has not counted.
    neighbours.observe('b', 300, 500);
    expect(neighbours.spare('b')).toBe(Math.ceil(1.2 * 800 - 300));
    // Later looks with the same hidden part do not add it up.
    at(10_000);
    neighbours.observe('b', -500, 500);
    expect(neighbours.spare('b')).toBe(Math.ceil(1.2 * 300 - 300));
  });

  it('says their level as it fades, and how long until it is at most some tokens', () => {
    const { neighbours, at } = watched();
    neighbours.observe('b', 2_000);
    expect(neighbours.level('b')).toBe(2_000);
    expect(neighbours.msUntilLevelAtMost('b', 3_000)).toBe(0);
    // Kept whole for a minute, then fading over two: down to 1,000 half-way through the fade.
    expect(neighbours.msUntilLevelAtMost('b', 1_000)).toBe(120_000);
    at(120_000);
    expect(neighbours.level('b')).toBe(1_000);
    expect(neighbours.msUntilLevelAtMost('b', 0)).toBe(60_000);
    expect(neighbours.level('never-seen')).toBe(0);
  });

  it('projects a neighbour that started with the first look from its spending since, over a whole minute', () => {
    const { neighbours, at } = fresh();
    // The first look shows nothing outside; twenty seconds later 600 tokens of theirs.
    neighbours.observe('b', 0);
    expect(neighbours.spare('b')).toBe(0);
    at(20_000);
    neighbours.observe('b', 600);
    // At that rate they spend 1,800 a minute: the level, a fifth more kept beside the 600 booked.
    expect(neighbours.level('b')).toBe(1_800);
    expect(neighbours.spare('b')).toBe(Math.ceil(1.2 * 1_800 - 600));
    // A minute after the first look the window holds a whole minute of theirs: no projection.
    at(60_000);
    neighbours.observe('b', 1_200);
    expect(neighbours.level('b')).toBe(1_800);
  });

  it('lowers a projected level when a later look shows no request of theirs since: the same spending over a longer span', () => {
    const { neighbours, at } = fresh();
    neighbours.observe('b', 0, 0, 0);
    at(12_000);
    // One burst of 1,500 twelve seconds in projects to 7,500 a minute, more than a free plan's TPM.
    neighbours.observe('b', 1_500, 0, 2);
    expect(neighbours.level('b')).toBe(7_500);
    at(40_000);
    // No request of theirs since: 1,500 in forty seconds is 2,250 a minute.
    neighbours.observe('b', 0, 0, 0);
    expect(neighbours.level('b')).toBe(2_250);
    // Quiet looks only ever lower it, and not below what the window still books for them.
    at(50_000);
    neighbours.observe('b', 0, 0, 0);
    expect(neighbours.level('b')).toBe(1_800);
    at(59_000);
    neighbours.observe('b', 0, 0, 0);
    expect(neighbours.level('b')).toBeGreaterThanOrEqual(1_500);
  });

  it("does not project what the first look found (a restarted gateway's own bookings do not grow)", () => {
    const { neighbours, at } = fresh();
    neighbours.observe('b', 5_000);
    at(20_000);
    neighbours.observe('b', 0);
    expect(neighbours.level('b')).toBe(5_000);
  });

  it('does not take one request seen within seconds of the first look for a rate', () => {
    const { neighbours, at } = fresh();
    neighbours.observe('b', 0);
    at(2_000);
    neighbours.observe('b', 400);
    expect(neighbours.level('b')).toBe(400);
  });

  it("takes a gap at a look without other consumers' requests for our own estimate's error, not a neighbour", () => {
    const { neighbours, at } = watched();
    neighbours.observe('b', 900, 0, 1);
    at(20_000);
    // Groq counted 300 more than we did, but no request of anyone else: the level stays as seen.
    neighbours.observe('b', 300, 0, 0);
    expect(neighbours.level('b')).toBe(900);
  });
});
