import { describe, expect, it } from 'vitest';
import { parse, parseError } from '../../test/support/config-text.js';
import { clientKeyHashProblem, clientKeyPreview, findClientKey, hashClientKey } from './client-key-hash.js';

const KEY_A = 'sk-grk-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const KEY_B = 'sk-grk-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const HASH_A = hashClientKey(KEY_A);
const HASH_B = hashClientKey(KEY_B);

const MODELS = `model_list:
  - model_name: big
    litellm_params: {model: groq/llama-3.3-70b-versatile, api_key: k}
  - model_name: small
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: k}
  - model_name: claude
    litellm_params: {model: anthropic/claude-sonnet-4, api_key: k}
`;

/** Lines 1-7 are MODELS, 8 is `general_settings:`, so the first line of `body` is line 9. */
const withGeneral = (body: string) => `${MODELS}general_settings:\n${body}`;

describe('hashClientKey', () => {
  it('is sha256:<64 lowercase hex> of the key, as the config expects', () => {
    expect(hashClientKey('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(clientKeyHashProblem(hashClientKey(KEY_A))).toBeUndefined();
  });

  it('says what is wrong with a malformed hash without quoting it', () => {
    expect(clientKeyHashProblem(KEY_A)).toBe('does not start with "sha256:"');
    expect(clientKeyHashProblem('sha256:abc')).toContain('3 characters');
    expect(clientKeyHashProblem(HASH_A.toUpperCase().replace('SHA256', 'sha256'))).toContain('lowercase');
    expect(clientKeyHashProblem(`sha256:${'g'.repeat(64)}`)).toContain('0-9 and a-f');
  });

  it('previews only the last four characters', () => {
    expect(clientKeyPreview('sk-grk-abcdef9f3a')).toBe('sk-...9f3a');
  });

  it('finds the entry for a presented key, and nothing for a wrong one', () => {
    const keys = [{ keyHash: HASH_A, alias: 'a' }, { keyHash: HASH_B, alias: 'b' }];
    expect(findClientKey(KEY_B, keys)?.alias).toBe('b');
    expect(findClientKey('sk-grk-wrong', keys)).toBeUndefined();
    expect(findClientKey(KEY_A, [])).toBeUndefined();
  });
});

describe('general_settings.client_keys', () => {
  it('parses valid keys, with models restricted or open', () => {
    const config = parse(
      withGeneral(`  client_keys:
    - alias: alice
      key_hash: ${HASH_A}
      key_preview: sk-...aaaa
      models: [big, small, big]
    - alias: ci
      key_hash: os.environ/CI_KEY_HASH
`),
      { CI_KEY_HASH: HASH_B },
    );
    expect(config.general.clientKeys).toEqual([
      { alias: 'alice', keyHash: HASH_A, preview: 'sk-...aaaa', models: ['big', 'small'] },
      { alias: 'ci', keyHash: HASH_B, preview: '(ci)', models: [] },
    ]);
    expect(Object.isFrozen(config.general.clientKeys[0]?.models)).toBe(true);
    expect(config.warnings.filter((w) => w.path.startsWith('general_settings'))).toEqual([]);
  });

  it('defaults to no keys, and reads an empty section as none', () => {
    expect(parse(MODELS).general.clientKeys).toEqual([]);
    expect(parse(withGeneral('  client_keys:\n')).general.clientKeys).toEqual([]);
  });

  it('refuses a raw key, pointing at it and at `keys new`, without echoing it', () => {
    const err = parseError(withGeneral(`  client_keys:\n    - alias: alice\n      key: ${KEY_A}\n`));
    expect(err.errors).toHaveLength(1);
    expect(err).toMatchObject({ path: 'general_settings.client_keys[0].key', line: 11, column: 7 });
    expect(err.message).toContain('groq-router keys new');
    expect(err.message).toContain('key_hash');
    expect(err.message).not.toContain(KEY_A);
    expect(err.message).not.toContain('aaaa');
  });

  it('refuses a raw key under api_key too, even alongside a valid hash', () => {
    const err = parseError(withGeneral(`  client_keys:\n    - {alias: a, key_hash: ${HASH_A}, api_key: ${KEY_A}}\n`));
    expect(err.path).toBe('general_settings.client_keys[0].api_key');
    expect(err.message).not.toContain(KEY_A);
  });

  it('refuses a key pasted into key_hash, saying why without echoing it', () => {
    const err = parseError(withGeneral(`  client_keys:\n    - alias: alice\n      key_hash: ${KEY_A}\n`));
    expect(err).toMatchObject({ path: 'general_settings.client_keys[0].key_hash', line: 11, column: 7 });
    expect(err.message).toContain('does not start with "sha256:"');
    expect(err.message).not.toContain(KEY_A);
  });

  it('refuses uppercase or short hashes', () => {
    const upper = `sha256:${HASH_A.slice(7).toUpperCase()}`;
    expect(parseError(withGeneral(`  client_keys:\n    - {alias: a, key_hash: "${upper}"}\n`)).message).toContain('lowercase');
    expect(parseError(withGeneral(`  client_keys:\n    - {alias: a, key_hash: "sha256:abc"}\n`)).message).toContain(
      'has 3 characters after "sha256:", expected 64',
    );
  });

  it('refuses a key_preview that is the key itself', () => {
    const err = parseError(withGeneral(`  client_keys:\n    - {alias: a, key_hash: ${HASH_A}, key_preview: ${KEY_A}}\n`));
    expect(err.path).toBe('general_settings.client_keys[0].key_preview');
    expect(err.message).not.toContain(KEY_A);
  });

  it('names an unknown model alias at its path, listing the known ones', () => {
    const err = parseError(withGeneral(`  client_keys:\n    - alias: a\n      key_hash: ${HASH_A}\n      models: [big, huge]\n`));
    expect(err).toMatchObject({ path: 'general_settings.client_keys[0].models[1]', line: 12, column: 21 });
    expect(err.message).toContain('unknown model_name "huge"');
    expect(err.expected).toBe('a model_name from model_list: "big", "small"');
  });

  it('keeps an alias with no supported deployment, with a warning, so the restriction stays a restriction', () => {
    const config = parse(withGeneral(`  client_keys:\n    - {alias: a, key_hash: ${HASH_A}, models: [claude]}\n`));
    expect(config.general.clientKeys[0]?.models).toEqual(['claude']);
    expect(config.warnings.map((w) => w.path)).toContain('general_settings.client_keys[0].models[0]');
  });

  it('refuses duplicate aliases and duplicate hashes', () => {
    const err = parseError(
      withGeneral(`  client_keys:
    - {alias: a, key_hash: ${HASH_A}}
    - {alias: a, key_hash: ${HASH_B}}
    - {alias: b, key_hash: ${HASH_A}}
`),
    );
    expect(err.errors.map((e) => e.path)).toEqual([
      'general_settings.client_keys[1].alias',
      'general_settings.client_keys[2].key_hash',
    ]);
    expect(err.errors[0]?.message).toContain('already used by general_settings.client_keys[0]');
    expect(err.errors[1]?.message).toContain('same key_hash as general_settings.client_keys[0] ("a")');
  });

  it('requires alias and key_hash, and a list of maps', () => {
    const missing = parseError(withGeneral('  client_keys:\n    - {key_preview: sk-...1234}\n'));
    expect(missing.errors.map((e) => e.path)).toEqual([
      'general_settings.client_keys[0].alias',
      'general_settings.client_keys[0].key_hash',
    ]);
    expect(parseError(withGeneral('  client_keys: {alias: a}\n')).message).toContain('expected a list of maps');
    const bare = parseError(withGeneral(`  client_keys: [${KEY_A}]\n`));
    expect(bare.path).toBe('general_settings.client_keys[0]');
    expect(bare.message).not.toContain(KEY_A);
    expect(parseError(withGeneral(`  client_keys: ${KEY_A}\n`)).message).not.toContain(KEY_A);
  });

  it('warns about unknown keys in an entry', () => {
    const config = parse(withGeneral(`  client_keys:\n    - {alias: a, key_hash: ${HASH_A}, team: x}\n`));
    const general = config.warnings.filter((w) => w.path.startsWith('general_settings'));
    expect(general.map((w) => w.path)).toEqual(['general_settings.client_keys[0].team']);
  });
});

describe('general_settings.cors_allow_origins', () => {
  it('defaults to none', () => {
    expect(parse(MODELS).general.corsAllowOrigins).toEqual([]);
  });

  it('reads origins and "*", in the form browsers send, deduplicated', () => {
    const config = parse(
      withGeneral(`  cors_allow_origins:
    - https://App.Example.com
    - http://localhost:5173
    - https://app.example.com:443
    - "*"
    - chrome-extension://abcdef
`),
    );
    expect(config.general.corsAllowOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
      '*',
      'chrome-extension://abcdef',
    ]);
  });

  it('accepts a single bare origin', () => {
    expect(parse(withGeneral('  cors_allow_origins: "*"\n')).general.corsAllowOrigins).toEqual(['*']);
  });

  it('refuses a path, a trailing slash, or something that is not an origin, at the item', () => {
    const err = parseError(
      withGeneral(`  cors_allow_origins:
    - https://ok.example
    - https://app.example.com/
    - app.example.com
    - 42
`),
    );
    expect(err.errors.map((e) => `${e.line}:${e.column} ${e.path}`)).toEqual([
      '11:7 general_settings.cors_allow_origins[1]',
      '12:7 general_settings.cors_allow_origins[2]',
      '13:7 general_settings.cors_allow_origins[3]',
    ]);
    expect(err.errors[0]?.message).toContain('no path');
  });
});
