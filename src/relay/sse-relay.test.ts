import { describe, expect, it } from 'vitest';
import { expectCancelWhenCallerLeaves, recordingResponse as fakeResponse, upstreamChunks as upstream } from '../../test/support/relay-fakes.js';
import { chatStream } from '../endpoints/chat/stream-dialect.js';
import { responsesStream } from '../endpoints/responses/stream-dialect.js';
import { InvalidFrameError, lastEventEnd, pipeSse, SseRewriter, type SseDialect, type SseRelayOptions, type StreamEnd, type StreamUsage } from './sse-relay.js';

const enc = (s: string) => Buffer.from(s);
const event = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;

/** What the caller's socket received of a relayed stream. */
async function relayed(options: SseRelayOptions): Promise<string> {
  const out = fakeResponse();
  await pipeSse(out, {}, options);
  return out.text();
}

describe('relaying a chat stream', () => {
  it('passes content chunks through byte for byte and reports usage from x_groq', async () => {
    const first = event({ id: '1', choices: [{ delta: { role: 'assistant', content: '' } }] });
    const rest = [
      event({ id: '1', choices: [{ delta: { content: 'Hi' } }] }),
      event({ id: '1', choices: [{ delta: {}, finish_reason: 'stop' }], x_groq: { id: 'r', usage: { prompt_tokens: 3, completion_tokens: 1 } } }),
      'data: [DONE]\n\n',
    ];
    const usages: StreamUsage[] = [];
    const ends: StreamEnd[] = [];
    const out = await relayed({ dialect: chatStream, first: enc(first), source: upstream(rest), cancelUpstream: () => {}, onUsage: (u) => usages.push(u), onEnd: (e) => ends.push(e) });
    expect(out).toBe(first + rest.join(''));
    expect(usages).toEqual([{ prompt_tokens: 3, completion_tokens: 1 }]);
    expect(ends).toEqual([{ kind: 'complete' }]);
  });

  it('ends as an upstream error a stream whose upstream sent an error frame, and passes the frame on', async () => {
    const first = event({ id: '1', choices: [{ delta: { role: 'assistant', content: 'data: {"error" in content is text' } }] });
    const errorFrame = event({ error: { message: 'overloaded', type: 'api_error' } });
    const ends: StreamEnd[] = [];
    const out = await relayed({ dialect: chatStream, first: enc(first), source: upstream([errorFrame]), cancelUpstream: () => {}, onEnd: (e) => ends.push(e) });
    expect(out).toBe(first + errorFrame);
    expect(ends).toEqual([{ kind: 'upstream_error', message: 'upstream sent an error: overloaded' }]);
  });

  it('ends as complete a stream whose content only mentions an error', async () => {
    const first = event({ id: '1', choices: [{ delta: { content: 'data: {"error": no, this is text' } }] });
    const ends: StreamEnd[] = [];
    await relayed({ dialect: chatStream, first: enc(first), source: upstream(['data: [DONE]\n\n']), cancelUpstream: () => {}, onEnd: (e) => ends.push(e) });
    expect(ends).toEqual([{ kind: 'complete' }]);
  });

  it('adds an empty choices array to a usage-only chunk', async () => {
    const usageOnly = event({ id: '1', usage: { prompt_tokens: 3, completion_tokens: 1 } });
    const out = await relayed({ dialect: chatStream, first: enc(usageOnly), source: upstream(['data: [DONE]\n\n']), cancelUpstream: () => {}, onEnd: () => {} });
    const frames = out.split('\n\n').filter(Boolean);
    expect(JSON.parse(frames[0]!.slice(6))).toEqual({ id: '1', usage: { prompt_tokens: 3, completion_tokens: 1 }, choices: [] });
    expect(frames[1]).toBe('data: [DONE]');
  });

  it('reassembles events split across chunks before forwarding them', async () => {
    const whole = event({ id: '1', choices: [{ delta: { content: 'split me' } }] });
    const out = await relayed({ dialect: chatStream, first: enc(whole.slice(0, 10)), source: upstream([whole.slice(10, 30), whole.slice(30), 'data: [DONE]\n\n']), cancelUpstream: () => {}, onEnd: () => {} });
    expect(out).toBe(whole + 'data: [DONE]\n\n');
  });

  it('ends a stream that fails mid-way with one error frame and drops the half event', async () => {
    const good = event({ id: '1', choices: [{ delta: { content: 'Hi' } }] });
    const ends: StreamEnd[] = [];
    const out = await relayed({
      dialect: chatStream,
      first: enc(good),
      source: upstream(['data: {"id":"1","cho', new Error('socket hang up')]),
      cancelUpstream: () => {},
      onEnd: (e) => ends.push(e),
    });
    const frames = out.split('\n\n').filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toBe(good.trim());
    const error = JSON.parse(frames[1]!.slice(6)) as { error: { message: string; type: string; code: string } };
    expect(error.error.message).toContain('socket hang up');
    expect(error.error.code).toBe('upstream_stream_error');
    expect(ends).toEqual([expect.objectContaining({ kind: 'upstream_error' })]);
  });
});

describe('SseRewriter', () => {
  it('hands back the very bytes it was given when no event is replaced', () => {
    const events = enc(event({ choices: [{ delta: { content: 'a' } }] }) + event({ choices: [], x_groq: { usage: { prompt_tokens: 1 } } }));
    expect(new SseRewriter(() => {}, chatStream).push(events)).toBe(events);
  });

  it('replaces only the events the dialect fixes, in place, among several in one chunk', () => {
    const a = event({ choices: [{ delta: { content: 'a' } }] });
    const usageOnly = event({ usage: { prompt_tokens: 1 } });
    const out = new SseRewriter(undefined, chatStream).push(enc(a + usageOnly + a + 'data: [DONE]\n\n'));
    expect(out?.toString()).toBe(a + event({ usage: { prompt_tokens: 1 }, choices: [] }) + a + 'data: [DONE]\n\n');
  });

  it('relays a chat stream’s `event: error` frame as the error frame chat clients read (the SDKs see an error only under an `error` key)', () => {
    const rewriter = new SseRewriter(undefined, chatStream);
    const error = 'event: error\ndata: {"message":"overloaded","code":"overloaded"}\n\n';
    const out = rewriter.push(enc(event({ choices: [] }) + error));
    expect(out?.toString()).toBe(event({ choices: [] }) + event({ error: { message: 'overloaded', type: 'api_error', code: 'overloaded' } }));
    expect(rewriter.improperEnd()).toEqual({ message: 'upstream sent an error: overloaded', framed: true });
    // One that already has its `error` key goes out as it came, its name kept.
    const keyed = 'event: error\ndata: {"error":{"message":"overloaded"}}\n\n';
    expect(new SseRewriter(undefined, chatStream).push(enc(keyed))?.toString()).toBe(keyed);
  });

  it('relays a Responses stream’s `event: error` frame as it came: that is how Responses clients read an error', () => {
    const error = 'event: error\ndata: {"type":"error","code":"overloaded","message":"overloaded","param":null}\n\n';
    const rewriter = new SseRewriter(undefined, responsesStream);
    expect(rewriter.push(enc(error))?.toString()).toBe(error);
    expect(rewriter.improperEnd()).toEqual({ message: 'upstream sent an error: overloaded', framed: true });
  });

  it('reads a first event behind a byte-order mark as the event it is (its error redacted, its end noted)', () => {
    const redact = (text: string) => text.replaceAll('pw9', '[redacted]');
    const rewriter = new SseRewriter(undefined, chatStream, redact);
    const out = rewriter.push(enc(`\ufeff${event({ error: { message: 'bad pw9' } })}`));
    expect(out?.toString()).not.toContain('pw9');
    // Its message is the upstream's words, cleaned where the request's end is reported.
    expect(rewriter.improperEnd()).toEqual({ message: 'upstream sent an error: bad pw9', framed: true });
  });

  it('relays a chat chunk whose error is null as the chunk it is', () => {
    const chunk = event({ id: '1', error: null, choices: [{ delta: { content: 'Hi' } }] });
    const rewriter = new SseRewriter(undefined, chatStream);
    expect(rewriter.push(enc(chunk))?.toString()).toBe(chunk);
    expect(rewriter.improperEnd()).toEqual({ message: 'upstream stream ended without [DONE]', framed: false });
  });

  it('does not run the redactor over events whose error is null (every Responses event names one)', () => {
    const seen: string[] = [];
    const redact = (text: string) => (seen.push(text), text);
    const created = `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', response: { error: null, output: [] } })}\n\n`;
    new SseRewriter(undefined, responsesStream, redact).push(enc(created));
    expect(seen).toEqual([]);
  });

  it('reports no usage from events it refuses to relay', () => {
    const usages: StreamUsage[] = [];
    const rewriter = new SseRewriter((u) => usages.push(u), chatStream);
    expect(() => rewriter.push(enc(event({ id: '1', usage: { prompt_tokens: 1 } }) + 'data: nope\n\n'))).toThrow(InvalidFrameError);
    expect(usages).toEqual([]);
  });

  it('redacts an `event: error` frame, which names no "error" in its data', () => {
    const redact = (text: string) => text.replaceAll('gsk_secret', '[redacted]');
    const error = 'event: error\ndata: {"type":"error","message":"bad key gsk_secret"}\n\n';
    expect(new SseRewriter(undefined, responsesStream, redact).push(enc(error))?.toString()).toBe(error.replace('gsk_secret', '[redacted]'));
    expect(new SseRewriter(undefined, chatStream, redact).push(enc(error))?.toString()).toBe(event({ error: { message: 'bad key [redacted]', type: 'api_error', code: 'upstream_stream_error' } }));
  });

  it('redacts the upstream’s error events, and nothing else', () => {
    const redact = (text: string) => text.replaceAll('gsk_secret', '[redacted]');
    const content = event({ choices: [{ delta: { content: 'gsk_secret' } }] });
    const error = event({ error: { message: 'bad key gsk_secret' } });
    const out = new SseRewriter(undefined, chatStream, redact).push(enc(content + error));
    expect(out?.toString()).toBe(content + event({ error: { message: 'bad key [redacted]' } }));
    const failed = `event: response.failed\ndata: ${JSON.stringify({ type: 'response.failed', response: { error: { message: 'bad key gsk_secret' } } })}\n\n`;
    expect(new SseRewriter(undefined, responsesStream, redact).push(enc(failed))?.toString()).toBe(failed.replace('gsk_secret', '[redacted]'));
  });
});

describe('event boundaries', () => {
  it('finds the end of the last complete event for LF and CRLF streams', () => {
    expect(lastEventEnd(enc('data: a\n\ndata: b'))).toBe(9);
    expect(lastEventEnd(enc('data: a\r\n\r\ndata: b\r\n\r\n'))).toBe(22);
    expect(lastEventEnd(enc('data: a\n'))).toBe(0);
  });
});

describe('pipeSse', () => {
  it('writes the head, then the fixed events, and ends the response', async () => {
    const out = fakeResponse();
    const ends: StreamEnd[] = [];
    const usages: StreamUsage[] = [];
    const frames = [event({ choices: [{ delta: { content: 'Hi' } }] }), event({ usage: { prompt_tokens: 1 } }), 'data: [DONE]\n\n'];
    await pipeSse(out, { 'content-type': 'text/event-stream' }, {
      dialect: chatStream,
      first: enc(frames[0] as string),
      source: upstream(frames.slice(1)),
      cancelUpstream: () => {},
      onUsage: (u) => usages.push(u),
      onEnd: (e) => ends.push(e),
    });
    expect(out.head).toEqual({ 'content-type': 'text/event-stream' });
    expect(out.text()).toBe(frames[0] + event({ usage: { prompt_tokens: 1 }, choices: [] }) + 'data: [DONE]\n\n');
    expect(usages).toEqual([{ prompt_tokens: 1 }]);
    expect(ends).toEqual([{ kind: 'complete' }]);
    expect(out.writableEnded).toBe(true);
  });

  it('ends with one error frame when the upstream fails mid-way', async () => {
    const out = fakeResponse();
    const ends: StreamEnd[] = [];
    await pipeSse(out, {}, {
      dialect: chatStream,
      first: enc(event({ choices: [] })),
      source: upstream(['data: {"half', new Error('reset')]),
      cancelUpstream: () => {},
      onEnd: (e) => ends.push(e),
    });
    const frames = out.text().split('\n\n').filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(JSON.parse(frames[1]!.slice(6))).toMatchObject({ error: { code: 'upstream_stream_error' } });
    expect(ends).toEqual([expect.objectContaining({ kind: 'upstream_error' })]);
  });

  it('cancels the upstream when the caller’s connection closes first', async () => {
    await expectCancelWhenCallerLeaves((out, head, options) => pipeSse(out, head, { ...options, dialect: chatStream }), enc(event({ choices: [] })));
  });
});

describe('an upstream stream is not trusted', () => {
  const good = event({ id: '1', choices: [{ delta: { content: 'Hi' } }] });
  const rframe = (type: string, data: object = {}) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

  async function viaPipe(first: string, rest: Array<string | Error>, dialect: SseDialect = chatStream) {
    const out = fakeResponse();
    const ends: StreamEnd[] = [];
    const source = upstream(rest);
    await pipeSse(out, {}, { dialect, first: enc(first), source, cancelUpstream: () => {}, onEnd: (e) => ends.push(e) });
    return { text: out.text(), ends, source };
  }

  it(`a frame with invalid JSON is not relayed; the stream ends with one error frame`, async () => {
    const { text, ends, source } = await viaPipe(good, ['data: {"id":"1","choices":[{"delta":{"content":"oops"}\n\n', good, 'data: [DONE]\n\n']);
    const frames = text.split('\n\n').filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toBe(good.trim());
    expect(JSON.parse(frames[1]!.slice(6))).toMatchObject({ error: { code: 'upstream_stream_error' } });
    expect(ends).toEqual([expect.objectContaining({ kind: 'upstream_error' })]);
    expect(source.cancelled).toBe(true);
  });

  it(`the error frame for an invalid frame, which quotes it, is cleaned of secrets`, async () => {
    const out = fakeResponse();
    const redact = (text: string) => text.replaceAll('gsk_secret', '[redacted]');
    await pipeSse(out, {}, { dialect: chatStream, first: enc(good), source: upstream(['data: {gsk_secret\n\n']), cancelUpstream: () => {}, onEnd: () => {}, redact });
    expect(out.text()).toContain('[redacted]');
    expect(out.text()).not.toContain('gsk_secret');
  });

  it(`the quote of an invalid frame is cleaned before it is cut: no piece of a secret the cut would split`, async () => {
    const secret = `gsk_${'S'.repeat(52)}`;
    const out = fakeResponse();
    const redact = (text: string) => text.replaceAll(secret, '[redacted]');
    const frame = `data: {"message":"upstream auth failed for the key ${secret}"\n\n`;
    expect(frame.indexOf(secret) - 6).toBeLessThan(80);
    expect(frame.indexOf(secret) - 6 + secret.length).toBeGreaterThan(80);
    await pipeSse(out, {}, { dialect: chatStream, first: enc(good), source: upstream([frame]), cancelUpstream: () => {}, onEnd: () => {}, redact });
    expect(out.text()).not.toContain('gsk_');
    expect(out.text()).toContain('[redacted]');
  });

  it(`a last event without its blank line still reaches the caller as an event, before any error frame`, async () => {
    const last = '{"id":"1","choices":[]}';
    const { text, ends } = await viaPipe(good, [`data: ${last}`]);
    const frames = text.split('\n\n').filter(Boolean);
    expect(frames).toHaveLength(3);
    expect(frames[1]).toBe(`data: ${last}`);
    expect(JSON.parse(frames[2]!.slice(6))).toMatchObject({ error: { code: 'upstream_stream_error' } });
    expect(ends).toEqual([expect.objectContaining({ kind: 'upstream_error' })]);

    const completed = rframe('response.completed', { response: { usage: null } }).trimEnd();
    const responses = await viaPipe(rframe('response.output_text.delta', { delta: 'Hi' }), [completed], responsesStream);
    expect(responses.text.endsWith(`${completed}\n\n`)).toBe(true);
    expect(responses.ends).toEqual([{ kind: 'complete' }]);
  });

  it(`a fault of the gateway's own while relaying is not blamed on the upstream`, async () => {
    const out = fakeResponse();
    const ends: StreamEnd[] = [];
    const broken: SseDialect = { ...chatStream, fixEvent: () => { throw new TypeError('a bug of ours'); } };
    const source = upstream([good, 'data: [DONE]\n\n']);
    await pipeSse(out, {}, { dialect: broken, first: enc(good), source, cancelUpstream: () => {}, onEnd: (e) => ends.push(e) });
    expect(ends).toEqual([{ kind: 'gateway_error', message: 'the gateway failed relaying the stream: a bug of ours' }]);
    expect(JSON.parse(out.text().trim().slice(6))).toMatchObject({ error: { code: 'internal_error' } });
    expect(out.text()).not.toContain('a bug of ours');
    expect(source.cancelled).toBe(true);
  });

  it(`a secret the upstream echoes anywhere in a stream (a comment, an id, a chunk) is taken out`, async () => {
    const secret = 'gsk_echoed_0123456789';
    const out = fakeResponse();
    const keys = { foundIn: (bytes: Buffer) => bytes.includes(secret), redactKeys: (text: string) => text.replaceAll(secret, '[redacted]') };
    const chunk = event({ id: '1', choices: [{ delta: { content: `the key is ${secret}` } }] });
    await pipeSse(out, {}, { dialect: chatStream, first: enc(`: auth Bearer ${secret}\n\n`), source: upstream([`id: ${secret}\n${chunk}`, 'data: [DONE]\n\n']), cancelUpstream: () => {}, onEnd: () => {}, keys });
    expect(out.text()).not.toContain(secret);
    expect(out.text().match(/\[redacted\]/g)).toHaveLength(3);
    expect(out.text()).toContain('data: [DONE]');
  });

  it(`a stream that ends without [DONE] ends with one error frame, not cleanly`, async () => {
    const { text, ends } = await viaPipe(good, [good]);
    const frames = text.split('\n\n').filter(Boolean);
    expect(frames).toHaveLength(3);
    expect(JSON.parse(frames[2]!.slice(6))).toMatchObject({ error: { message: expect.stringContaining('[DONE]') } });
    expect(ends).toEqual([expect.objectContaining({ kind: 'upstream_error' })]);
  });

  it(`an upstream error frame is the one error frame; the end without [DONE] adds none`, async () => {
    const { text, ends } = await viaPipe(good, [event({ error: { message: 'overloaded' } })]);
    const frames = text.split('\n\n').filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(JSON.parse(frames[1]!.slice(6))).toEqual({ error: { message: 'overloaded' } });
    expect(ends).toEqual([expect.objectContaining({ kind: 'upstream_error' })]);
  });

  it(`a Responses stream ends at its terminal event; without one, the error frame is an \`event: error\``, async () => {
    const delta = rframe('response.output_text.delta', { delta: 'Hi' });
    const complete = await viaPipe(delta, [rframe('response.completed', { response: { usage: null } })], responsesStream);
    expect(complete.ends).toEqual([{ kind: 'complete' }]);
    expect(complete.text).not.toContain('event: error');

    const cut = await viaPipe(delta, [delta], responsesStream);
    const frames = cut.text.split('\n\n').filter(Boolean);
    expect(frames).toHaveLength(3);
    const [eventLine, dataLine] = frames[2]!.split('\n');
    expect(eventLine).toBe('event: error');
    expect(JSON.parse(dataLine!.slice(6))).toMatchObject({ type: 'error', code: 'upstream_stream_error' });
    expect(cut.ends).toEqual([expect.objectContaining({ kind: 'upstream_error' })]);

    const failed = await viaPipe(delta, [new Error('socket hang up')], responsesStream);
    expect(failed.text.split('\n\n').filter(Boolean)[1]).toMatch(/^event: error\ndata: /);
  });
});
