import { getEventListeners } from 'node:events';
import Groq, { APIUserAbortError } from 'groq-sdk';
import { describe, expect, it } from 'vitest';
import { DeploymentGroq } from './deployment-groq.js';
import type { FetchLike } from './fetch-like.js';

interface Sent {
  readonly url: string;
  readonly method: string | undefined;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly signal: AbortSignal | null | undefined;
}

/** A fetch that records what it was handed and answers `{}` at once. */
function recordingFetch(): { fetch: FetchLike; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetch: FetchLike = async (input, init = {}) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of init.headers instanceof Headers ? init.headers : Object.entries(init.headers ?? {})) headers[name] = String(value);
    sent.push({ url: String(input), method: init.method, headers, body: init.body, signal: init.signal });
    return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, sent };
}

const body = { model: 'llama-3.3-70b-versatile', messages: [{ role: 'user' as const, content: 'hi' }] };
const options = { apiKey: 'gsk_test', baseURL: 'http://127.0.0.1:9', maxRetries: 0 };

describe('DeploymentGroq', () => {
  it('sends what groq-sdk sends, on the first call and on the later ones, with and without a timeout', async () => {
    const plain = recordingFetch();
    const lean = recordingFetch();
    const groq = new Groq({ ...options, fetch: plain.fetch });
    const deployment = new DeploymentGroq({ ...options, fetch: lean.fetch });
    for (const timeout of [60_000, 2_500, undefined, 60_000]) {
      const call = timeout === undefined ? { signal: new AbortController().signal } : { signal: new AbortController().signal, timeout };
      await groq.chat.completions.create(body, call).asResponse();
      await deployment.chat.completions.create(body, call).asResponse();
    }
    // Without a signal the SDK's own timer and controller are used, with the same headers.
    await groq.chat.completions.create(body, { timeout: 5_000 }).asResponse();
    await deployment.chat.completions.create(body, { timeout: 5_000 }).asResponse();
    expect(lean.sent).toHaveLength(5);
    for (const [i, sent] of lean.sent.entries()) {
      const expected = plain.sent[i];
      expect(sent.url).toBe(expected?.url);
      expect(sent.method).toBe(expected?.method);
      expect(sent.headers).toEqual(expected?.headers);
      expect(sent.body).toBe(expected?.body);
    }
    expect(lean.sent[1]?.headers['user-agent']).toMatch(/^Groq\/JS /);
    expect(lean.sent[1]?.headers.authorization).toBe('Bearer gsk_test');
  });

  it('hands fetch one header record while the per-call headers stay the same, and never changes one handed out', async () => {
    const records: Array<Record<string, string>> = [];
    const keeping: FetchLike = async (_input, init = {}) => {
      records.push(init.headers as Record<string, string>);
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const deployment = new DeploymentGroq({ ...options, fetch: keeping });
    for (const timeout of [60_000, 60_000, 60_400, 2_000, 60_000]) await deployment.chat.completions.create(body, { signal: new AbortController().signal, timeout }).asResponse();
    // The first call is the SDK's own (it makes the template); then 60 s, 60 s again (60.4 s is 60 whole seconds), 2 s, 60 s.
    expect(records[2]).toBe(records[1]);
    expect(records[3]).not.toBe(records[1]);
    expect(records[3]?.['x-stainless-timeout']).toBe('2');
    expect(records[4]).not.toBe(records[3]);
    expect(records[4]?.['x-stainless-timeout']).toBe('60');
    // What the earlier calls were handed is as it was.
    expect(records[1]?.['x-stainless-timeout']).toBe('60');
    expect(records[1]?.['x-stainless-retry-count']).toBe('0');
  });

  it('shows the SDK\'s debug log the headers it sends, redacted, when its debug logging is on', async () => {
    const lean = recordingFetch();
    const lines: unknown[][] = [];
    const logger = { debug: (...args: unknown[]) => lines.push(args), info: () => {}, warn: () => {}, error: () => {} };
    const deployment = new DeploymentGroq({ ...options, fetch: lean.fetch, logger, logLevel: 'debug' });
    for (let i = 0; i < 2; i++) await deployment.chat.completions.create(body, { signal: new AbortController().signal, timeout: 1_000 }).asResponse();
    const sending = lines.filter(([message]) => String(message).endsWith('sending request'));
    expect(sending).toHaveLength(2);
    for (const [, details] of sending) {
      expect((details as { headers: Record<string, string> }).headers).toMatchObject({ authorization: '***', 'x-stainless-timeout': '1' });
    }
    expect(lean.sent[1]?.headers.authorization).toBe('Bearer gsk_test');
  });

  it('hands fetch the caller\'s signal itself and leaves no listener on it', async () => {
    const lean = recordingFetch();
    const deployment = new DeploymentGroq({ ...options, fetch: lean.fetch });
    const controller = new AbortController();
    for (let i = 0; i < 12; i++) await deployment.chat.completions.create(body, { signal: controller.signal, timeout: 1_000 }).asResponse();
    expect(lean.sent.every((sent) => sent.signal === controller.signal)).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('reports an abort of the caller\'s signal as groq-sdk does', async () => {
    const controller = new AbortController();
    const hanging: FetchLike = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))));
    const deployment = new DeploymentGroq({ ...options, fetch: hanging });
    const call = deployment.chat.completions.create(body, { signal: controller.signal, timeout: 1_000 }).asResponse();
    setTimeout(() => controller.abort(), 5);
    await expect(call).rejects.toBeInstanceOf(APIUserAbortError);
  });

  it('refuses the timeouts groq-sdk refuses', async () => {
    const lean = recordingFetch();
    const deployment = new DeploymentGroq({ ...options, fetch: lean.fetch });
    await deployment.chat.completions.create(body, { timeout: 1_000 }).asResponse();
    await expect(deployment.chat.completions.create(body, { timeout: 1.5 }).asResponse()).rejects.toThrow(/must be an integer/);
    await expect(deployment.chat.completions.create(body, { timeout: -1 }).asResponse()).rejects.toThrow(/must be a positive integer/);
    await expect(deployment.chat.completions.create(body, { timeout: undefined }).asResponse()).rejects.toThrow(/must be an integer/);
    expect(lean.sent).toHaveLength(1);
  });

  it('leaves a call with headers of its own to groq-sdk', async () => {
    const plain = recordingFetch();
    const lean = recordingFetch();
    const groq = new Groq({ ...options, fetch: plain.fetch });
    const deployment = new DeploymentGroq({ ...options, fetch: lean.fetch });
    for (let i = 0; i < 2; i++) {
      await groq.audio.speech.create({ model: 'playai-tts', input: 'hi', voice: 'Fritz-PlayAI' }, { timeout: 5_000 }).asResponse();
      await deployment.audio.speech.create({ model: 'playai-tts', input: 'hi', voice: 'Fritz-PlayAI' }, { timeout: 5_000 }).asResponse();
    }
    expect(lean.sent.map((sent) => sent.headers)).toEqual(plain.sent.map((sent) => sent.headers));
    expect(lean.sent[0]?.headers.accept).toBe('audio/wav');
  });
});
