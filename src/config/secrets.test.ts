import { describe, expect, it } from 'vitest';
import { hashClientKey } from './client-key-hash.js';
import { parseConfig } from './load.js';
import { keyPreview, publicApiBase, redactorFor, Redactor, urlCredentials } from './secrets.js';

describe('publicApiBase', () => {
  it('drops userinfo, query and fragment', () => {
    expect(publicApiBase('http://user:PASS@host:8080/v1?token=SECRET#x')).toBe('http://host:8080/v1');
    expect(publicApiBase('https://api.groq.com/openai/v1')).toBe('https://api.groq.com/openai/v1');
    expect(publicApiBase('not a url')).toBe('(invalid URL)');
  });
});

describe('Redactor', () => {
  it('removes literal secrets, longest first, and client keys found by their hash', () => {
    const client = 'sk-grk-0123456789abcdefABCDEF0123456789abcdefXYZ';
    const redactor = new Redactor(['gsk_upstream_key_1', 'gsk_upstream_key_12345', 'abc', undefined], new Set([hashClientKey(client)]), hashClientKey);
    expect(redactor.redact(`key gsk_upstream_key_12345 and "${client}", abc`)).toBe('key [redacted] and "[redacted]", abc');
    expect(redactor.redact('nothing here sk-grk-notakey000000000000')).toBe('nothing here sk-grk-notakey000000000000');
  });

  it('is built from every secret a config holds', () => {
    const config = parseConfig(
      `model_list:
  - model_name: a
    litellm_params:
      model: openai/m
      api_key: os.environ/K
      api_base: https://u:p%40ss-word-1@host/v1?token=tok-en-value-2
router_settings:
  redis_url: redis://:redis-pass-word-3@localhost/0
general_settings:
  master_key: os.environ/M
`,
      'x.yaml',
      { K: 'upstream-key-0', M: 'master-key-4' },
    );
    const redactor = redactorFor(config);
    for (const secret of ['upstream-key-0', 'p@ss-word-1', 'p%40ss-word-1', 'tok-en-value-2', 'redis-pass-word-3', 'master-key-4']) {
      expect(redactor.redact(`x ${secret} y`), secret).toBe('x [redacted] y');
    }
    expect(urlCredentials('http://host/v1').filter((c) => c !== '')).toEqual([]);
  });

  it('takes a URL’s user name for a secret only when it carries no password (a token in the user’s place)', () => {
    expect(urlCredentials('rediss://default:redis-pass-word@x.upstash.io')).not.toContain('default');
    expect(urlCredentials('https://tok-en-as-user-0001@host/v1')).toContain('tok-en-as-user-0001');
    // A token in the user's place with a placeholder password beside it.
    expect(urlCredentials('https://tok-en-as-user-0001:x@host/v1')).toContain('tok-en-as-user-0001');
    const redactor = new Redactor(urlCredentials('rediss://default:redis-pass-word@x.upstash.io'));
    expect(redactor.redact('export default App;')).toBe('export default App;');
  });
});

describe('Redactor.foundIn and redactKeys', () => {
  it('find and take out a key-like secret in an answer, and leave short secrets (which an answer may hold by chance) alone', () => {
    const redactor = new Redactor(['gsk_secret_0123456789abcdef', '123456', 'pass-word']);
    expect(redactor.foundIn(Buffer.from('data: {"x":"gsk_secret_0123456789abcdef"}\n\n'))).toBe(true);
    expect(redactor.foundIn(Buffer.from('data: {"x":"gsk_secret_0123456789abcde"}\n\n'))).toBe(false);
    expect(redactor.foundIn(Buffer.from('{"created":1712345678,"x":"pass-word"}'))).toBe(false);
    expect(redactor.redactKeys('{"created":1712345678,"x":"gsk_secret_0123456789abcdef"}')).toBe('{"created":1712345678,"x":"[redacted]"}');
    expect(new Redactor([]).foundIn(Buffer.from('anything'))).toBe(false);
  });
});

describe('keyPreview', () => {
  it('never shows more than the first and last four characters', () => {
    expect(keyPreview('gsk_test_not_a_key_9f3a')).toBe('gsk_...9f3a');
    expect(keyPreview('short')).toBe('***');
  });
});
