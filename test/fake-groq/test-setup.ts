/** What the fake's own tests share: starting fakes that close after each test, clients, error bodies. */
import Groq from 'groq-sdk';
import OpenAI from 'openai';
import { afterEach } from 'vitest';
import { startFakeGroq, type FakeGroq, type FakeGroqOptions } from './server.js';

export const KEY = 'gsk_test_key_0123456789abcd';

/** Call once at the top of a test file: the `start` it returns closes every fake it started after each test. */
export function fakesClosedAfterEach(): (options?: FakeGroqOptions) => Promise<FakeGroq> {
  const open: FakeGroq[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((fake) => fake.close()));
  });
  return async (options = {}) => {
    const fake = await startFakeGroq(options);
    open.push(fake);
    return fake;
  };
}

/** groq-sdk adds the /openai/v1 prefix itself. */
export const groq = (fake: FakeGroq, apiKey = KEY): Groq => new Groq({ apiKey, baseURL: fake.url, maxRetries: 0 });
export const openai = (fake: FakeGroq, apiKey = KEY): OpenAI => new OpenAI({ apiKey, baseURL: `${fake.url}/openai/v1`, maxRetries: 0 });

/** POSTs `body` as JSON (a string goes as is, for bad JSON) with `Bearer key`; `key: null` sends no authorization. */
export function postJson(fake: FakeGroq, path: string, body: unknown, key: string | null = KEY, signal?: AbortSignal): Promise<Response> {
  return fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

export interface ErrorBody {
  error: { message: string; type: string; code?: string | null; param?: string };
}
export const errorOf = async (res: Response): Promise<ErrorBody['error']> => ((await res.json()) as ErrorBody).error;
