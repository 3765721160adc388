import { describe, expect, it } from 'vitest';
import { thrown } from '../../../test/support/thrown.js';
import { GatewayError } from '../../errors.js';
import { prepareChatBody, withCompletionCap } from './hygiene.js';
import { providers } from '../../upstream/providers.js';

const groq = { provider: providers.groq, model: 'llama-3.3-70b-versatile', dropParams: false };

describe('prepareChatBody for Groq', () => {
  it('replaces the alias with the upstream model and leaves the caller body untouched', () => {
    const body = { model: 'groq/llama-3.3-70b-versatile', messages: [{ role: 'user', content: 'hi' }] };
    const out = prepareChatBody(body, groq);
    expect(out.model).toBe('llama-3.3-70b-versatile');
    expect(body.model).toBe('groq/llama-3.3-70b-versatile');
    // Nothing to strip: the messages array is shared, not copied.
    expect(out.messages).toBe(body.messages);
  });

  it('strips the fields Groq rejects that Kilo Code sends', () => {
    const body = {
      model: 'a',
      provider_specific_fields: {},
      reasoning_details: [],
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', name: 'bob', content: 'hi', provider_specific_fields: { x: 1 } },
        { role: 'assistant', content: 'ok', reasoning_details: [{}] },
      ],
    };
    const out = prepareChatBody(body, groq);
    expect(out).not.toHaveProperty('provider_specific_fields');
    expect(out).not.toHaveProperty('reasoning_details');
    expect(out.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'sys' }] },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'ok' },
    ]);
    expect(body.messages[0]).toHaveProperty('content.0.cache_control');
    expect(body.messages[1]).toHaveProperty('name', 'bob');
  });

  it('refuses unsupported parameters with a 400 naming them unless drop_params is on', () => {
    for (const param of ['logprobs', 'logit_bias', 'top_logprobs']) {
      const body = { model: 'a', messages: [], [param]: param === 'logit_bias' ? {} : true };
      const error = catchError(() => prepareChatBody(body, groq));
      expect(error.status).toBe(400);
      expect(error.param).toBe(param);
      expect(error.message).toContain(param);
      expect(prepareChatBody(body, { ...groq, dropParams: true })).not.toHaveProperty(param);
    }
  });

  it('refuses n other than 1 and accepts n = 1', () => {
    expect(catchError(() => prepareChatBody({ model: 'a', n: 2 }, groq)).param).toBe('n');
    expect(prepareChatBody({ model: 'a', n: 1 }, groq).n).toBe(1);
    // drop_params does not turn n=3 into one answer silently.
    expect(catchError(() => prepareChatBody({ model: 'a', n: 3 }, { ...groq, dropParams: true })).status).toBe(400);
  });

  it('writes the planned completion cap into every cap field the client named, else max_tokens', () => {
    const body = { model: 'a', max_tokens: 100_000, max_completion_tokens: 50_000 };
    const out = withCompletionCap(body, 900);
    expect(out).toEqual({ model: 'a', max_tokens: 900, max_completion_tokens: 900 });
    expect(body.max_tokens).toBe(100_000);
    expect(withCompletionCap({ model: 'a', max_completion_tokens: 8192 }, 700)).toEqual({ model: 'a', max_completion_tokens: 700 });
    expect(withCompletionCap({ model: 'a' }, 700)).toEqual({ model: 'a', max_tokens: 700 });
    // Without a planned cap the body's own stays as it is.
    expect(withCompletionCap(body, undefined)).toBe(body);
  });
});

describe('prepareChatBody for OpenAI-compatible upstreams', () => {
  it('keeps parameters Groq lacks but OpenAI supports', () => {
    const out = prepareChatBody(
      { model: 'a', logprobs: true, n: 2, messages: [{ role: 'user', name: 'bob', content: 'hi' }] },
      { provider: providers.openai, model: 'gpt-x', dropParams: false },
    );
    expect(out).toMatchObject({ model: 'gpt-x', logprobs: true, n: 2, messages: [{ name: 'bob' }] });
  });
});

function catchError(run: () => unknown): GatewayError {
  return thrown(run, GatewayError);
}

describe("LiteLLM's request-level options", () => {
  it('are never sent upstream, whichever route the body came through', () => {
    const body = {
      model: 'a',
      messages: [],
      fallbacks: ['b'],
      mock_testing_fallbacks: true,
      mock_response: 'x',
      num_retries: 1,
      timeout: 5,
      metadata: { trace: 'abc' },
    };
    expect(Object.keys(prepareChatBody(body, groq)).sort()).toEqual(['messages', 'model']);
  });
});
