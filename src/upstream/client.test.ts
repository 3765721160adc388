import { describe, expect, it } from 'vitest';
import { upstreamBaseURL } from './client.js';
import { providers } from './providers.js';

describe('upstreamBaseURL', () => {
  it('takes api_base and GROQ_BASE_URL with or without /openai/v1 and trailing slashes', () => {
    const forms = ['http://h:1', 'http://h:1/', 'http://h:1/openai/v1', 'http://h:1/openai/v1/', 'http://h:1/openai/v1//'];
    for (const form of forms) {
      expect(upstreamBaseURL(form, providers.groq, {}), form).toBe('http://h:1');
      expect(upstreamBaseURL(undefined, providers.groq, { GROQ_BASE_URL: form }), form).toBe('http://h:1');
    }
  });

  it('prefers api_base over GROQ_BASE_URL and leaves the SDK default when neither is set', () => {
    expect(upstreamBaseURL('http://a', providers.groq, { GROQ_BASE_URL: 'http://b' })).toBe('http://a');
    expect(upstreamBaseURL(undefined, providers.groq, {})).toBeUndefined();
    expect(upstreamBaseURL(undefined, providers.groq, { GROQ_BASE_URL: '' })).toBeUndefined();
  });

  it('keeps an openai/ api_base path as written, and ignores GROQ_BASE_URL for it', () => {
    expect(upstreamBaseURL('http://o/v1/', providers.openai, { GROQ_BASE_URL: 'http://b' })).toBe('http://o/v1');
    expect(upstreamBaseURL(undefined, providers.openai, { GROQ_BASE_URL: 'http://b' })).toBeUndefined();
  });
});
