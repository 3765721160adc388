import { describe, expect, it } from 'vitest';
import { fixEvents } from './stream-dialect.js';

const enc = (s: string) => Buffer.from(s);
const event = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;

describe('fixEvents', () => {
  it('leaves events that already carry choices untouched (same buffer)', () => {
    const events = enc(event({ choices: [] }) + event({ choices: [{ delta: {} }] }));
    expect(fixEvents(events, undefined)).toBe(events);
  });

  it('does not add choices to an in-band error frame', () => {
    const events = enc(event({ error: { message: 'x' } }));
    expect(fixEvents(events, undefined).toString()).toBe(events.toString());
  });
});
