import { describe, expect, it } from 'vitest';
import { CapRetention } from './cap-retention.js';

describe('CapRetention', () => {
  it('assumes the upstream keeps caps until its headers say otherwise', () => {
    expect(new CapRetention().keepsCap('b')).toBe(true);
  });

  it('learns that the upstream gives unused caps back when it counts less than we kept', () => {
    const retention = new CapRetention(() => 0);
    for (let i = 0; i < 4; i++) {
      retention.settled('b', 800, true);
      retention.observe('b', { gap: -800 * (i + 1) });
    }
    expect(retention.keepsCap('b')).toBe(false);
  });

  it('stays with kept caps when the upstream counts what we kept', () => {
    const retention = new CapRetention(() => 0);
    for (let i = 0; i < 6; i++) {
      retention.settled('b', 800, true);
      retention.observe('b', { gap: -20 });
    }
    expect(retention.keepsCap('b')).toBe(true);
  });

  it('goes back to keeping caps when, after giving them back, the upstream counts more by what was given back', () => {
    const retention = new CapRetention(() => 0);
    for (let i = 0; i < 4; i++) {
      retention.settled('b', 800, true);
      retention.observe('b', { gap: -800 * (i + 1) });
    }
    for (let i = 0; i < 4; i++) {
      retention.settled('b', 800, false);
      retention.observe('b', { gap: 800 });
    }
    expect(retention.keepsCap('b')).toBe(true);
  });

  it('takes gaps within the prompt estimate’s error for noise, not for evidence', () => {
    const retention = new CapRetention(() => 0);
    for (let i = 0; i < 6; i++) {
      retention.settled('b', 300, true);
      // Under-estimated prompts make the upstream count less than ours by up to the noise.
      retention.observe('b', { gap: -250, pending: 0, noise: 300 });
    }
    expect(retention.keepsCap('b')).toBe(true);
  });

  it('learns that the upstream books usage from two clear looks, and from no single one', () => {
    // As bench:agents sees it at the first answers of a free-plan model: each model is looked at once or
    // twice a minute, and each look at a streamed answer shows Groq counting none of its 1,024 cap.
    const retention = new CapRetention(() => 0);
    retention.observe('b', { gap: -1_024, streamingCap: 1_024, noise: 103 });
    expect(retention.keepsCap('b')).toBe(true);
    retention.observe('b', { gap: -1_024, streamingCap: 1_024, noise: 103 });
    expect(retention.keepsCap('b')).toBe(false);
  });

  it('takes what the key’s other models have shown until a model has looks of its own', () => {
    // Three agents on three models of one key: each model is looked at about once a minute, the key
    // three times as often (bench:agents, workload 4).
    const retention = new CapRetention(() => 0);
    retention.observe('llama#k1', { gap: -1_024, streamingCap: 1_024, noise: 100 });
    retention.observe('qwen#k1', { gap: -1_024, streamingCap: 1_024, noise: 100 });
    expect(retention.keepsCap('oss#k1')).toBe(false);
    expect(retention.keepsCap('llama#k1')).toBe(false);
    // Another key is another organisation: nothing is known of it.
    expect(retention.keepsCap('oss#k2')).toBe(true);
  });

  it('holds each model to its own looks once it has two, whatever the key’s other models show', () => {
    const retention = new CapRetention(() => 0);
    for (let i = 0; i < 3; i++) retention.observe('llama#k1', { gap: -1_024, streamingCap: 1_024, noise: 100 });
    // This model keeps caps: Groq counts the streaming cap as we do.
    retention.observe('oss#k1', { gap: 0, streamingCap: 1_024, noise: 100 });
    retention.observe('oss#k1', { gap: 0, streamingCap: 1_024, noise: 100 });
    expect(retention.keepsCap('oss#k1')).toBe(true);
    expect(retention.keepsCap('llama#k1')).toBe(false);
  });

  it('weighs a look taken at a streamed answer’s headers against what we counted then, not at its end', () => {
    // Groq keeps caps; we believe it books usage. Stream A's headers show Groq counting what we count.
    const retention = new CapRetention(() => 0);
    for (let i = 0; i < 2; i++) retention.observe('b', { gap: -1_000, streamingCap: 1_000 });
    expect(retention.keepsCap('b')).toBe(false);
    const taken = retention.take('b', { gap: 0, streamingCap: 1_000 });
    // While A streams, B and C end and give back 900 each, which Groq (keeping caps) still counts.
    retention.settled('b', 900, false);
    retention.settled('b', 900, false);
    retention.weigh(taken);
    // A's look alone says "keeps caps" (Groq counted A's streaming cap): it must not read B's and C's
    // give-backs, which A's headers could not show, as Groq having given them back.
    expect(retention.keepsCap('b')).toBe(true);
  });

  it('forgets a belief no look could test for five minutes, and learns again from the safe side', () => {
    let now = 0;
    const retention = new CapRetention(() => now);
    retention.observe('m#k', { gap: -1_024, streamingCap: 1_024, noise: 100 });
    retention.observe('m#k', { gap: -1_024, streamingCap: 1_024, noise: 100 });
    expect(retention.keepsCap('m#k')).toBe(false);
    // A look without others' requests that shows nothing either way still tests it.
    now = 4 * 60_000;
    retention.observe('m#k', { gap: 0, outsideRequests: 0 });
    // Looks with others' requests do not.
    now = 8 * 60_000;
    retention.observe('m#k', { gap: 2_000, outsideRequests: 3 });
    expect(retention.keepsCap('m#k')).toBe(false);
    now = 9 * 60_000 + 1;
    expect(retention.keepsCap('m#k')).toBe(true);
    expect(retention.keepsCap('other#k')).toBe(true);
    retention.observe('m#k', { gap: -1_024, streamingCap: 1_024, noise: 100 });
    expect(retention.keepsCap('m#k')).toBe(true);
    retention.observe('m#k', { gap: -1_024, streamingCap: 1_024, noise: 100 });
    expect(retention.keepsCap('m#k')).toBe(false);
  });

  it('lets kept caps slide out of the window', () => {
    let now = 0;
    const retention = new CapRetention(() => now);
    retention.settled('b', 800, true);
    now = 61_000;
    // Nothing kept in the window any more: a gap says nothing about retention.
    retention.observe('b', { gap: -800 });
    expect(retention.keepsCap('b')).toBe(true);
  });

  it('takes no evidence from a look at which Groq counted requests of another consumer', () => {
    const retention = new CapRetention(() => 0);
    for (let i = 0; i < 6; i++) {
      retention.settled('b', 800, true);
      // Groq gave back the 800 but counted 800 of someone else's: the gap alone would say it keeps caps.
      retention.observe('b', { gap: 0, pending: 0, noise: 0, outsideRequests: 1 });
      retention.settled('b', 800, true);
      retention.observe('b', { gap: -800, pending: 0, noise: 0, outsideRequests: 0 });
    }
    expect(retention.keepsCap('b')).toBe(false);
  });

  it('compares a gap only with what was kept since a look raised our count to Groq’s', () => {
    const retention = new CapRetention(() => 0);
    retention.settled('b', 800, true);
    retention.settled('b', 800, true);
    // Someone else spent more than we kept: our count is raised to Groq's.
    retention.observe('b', { gap: 2_000, pending: 0, noise: 0, outsideRequests: 1 });
    for (let i = 0; i < 4; i++) {
      retention.settled('b', 800, true);
      // Each look shows Groq counting less by the 800 kept since the last: it gives caps back.
      retention.observe('b', { gap: -800, pending: 0, noise: 0, outsideRequests: 0 });
      retention.observe('b', { gap: 1_000, pending: 0, noise: 0, outsideRequests: 1 });
    }
    expect(retention.keepsCap('b')).toBe(false);
  });

  it('learns from the cap of an answer still streaming, and takes a gap below what that explains for none of this', () => {
    const keeping = new CapRetention(() => 0);
    for (let i = 0; i < 6; i++) {
      // Our count is 3,000 above Groq's: a booking its window has let go while ours (a second longer)
      // still counts it. A cap of 1,000 streaming cannot explain that much.
      keeping.observe('b', { gap: -3_000, streamingCap: 1_000 });
    }
    expect(keeping.keepsCap('b')).toBe(true);
    const booking = new CapRetention(() => 0);
    for (let i = 0; i < 3; i++) booking.observe('b', { gap: -1_000, streamingCap: 1_000 });
    expect(booking.keepsCap('b')).toBe(false);
    // Believing it books usage, a look at which Groq counts the streaming cap and what we gave back turns it back.
    for (let i = 0; i < 4; i++) {
      booking.settled('b', 500, false);
      booking.observe('b', { gap: 500, streamingCap: 1_000 });
    }
    expect(booking.keepsCap('b')).toBe(true);
  });
});
