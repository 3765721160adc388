import { describe, expect, it } from 'vitest';
import { hashClientKey } from '../config/client-key-hash.js';
import { parseConfig } from '../config/load.js';
import { USAGE_ERROR } from './io.js';
import { runKeys } from './keys.js';
import { CLIENT_KEY_PREFIX, clientKeyYaml, generateClientKey, newClientKey } from './new-client-key.js';
import { captureIo } from '../../test/support/capture-io.js';

const fixed = (byte: number) => (size: number) => new Uint8Array(size).fill(byte);

const MODELS = `model_list:
  - model_name: big
    litellm_params: {model: groq/llama-3.3-70b-versatile, api_key: k}
  - model_name: "a: b"
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: k}
general_settings:
  client_keys:
`;

describe('generateClientKey', () => {
  it('is sk-grk- and 43 base62 digits encoding all 32 random bytes', () => {
    const key = generateClientKey();
    expect(key).toMatch(/^sk-grk-[0-9A-Za-z]{43}$/);
    expect(generateClientKey()).not.toBe(key);
    expect(generateClientKey(fixed(0))).toBe(`${CLIENT_KEY_PREFIX}${'0'.repeat(43)}`);
    // 2^256 - 1 still fits in 43 digits, so no two byte strings share a key.
    expect(generateClientKey(fixed(0xff))).toMatch(/^sk-grk-[1-9A-Za-z][0-9A-Za-z]{42}$/);
  });

  it('asks for 32 bytes', () => {
    const sizes: number[] = [];
    generateClientKey((size) => (sizes.push(size), new Uint8Array(size)));
    expect(sizes).toEqual([32]);
  });
});

describe('clientKeyYaml', () => {
  it('reads back through the config loader as the same key, even with an awkward alias', () => {
    const entry = newClientKey('ops: "night" #1', ['big', 'a: b']);
    const config = parseConfig(`${MODELS}${clientKeyYaml(entry)}\n`, 'test.yaml', {});
    expect(config.general.clientKeys).toEqual([
      { alias: 'ops: "night" #1', keyHash: hashClientKey(entry.key), preview: entry.preview, models: ['big', 'a: b'] },
    ]);
  });

  it('leaves models out when the key may use every alias', () => {
    const yaml = clientKeyYaml(newClientKey('ci', []));
    expect(yaml).not.toContain('models');
    expect(parseConfig(`${MODELS}${yaml}\n`, 'test.yaml', {}).general.clientKeys[0]?.models).toEqual([]);
  });
});

describe('groq-router keys new', () => {
  it('prints the key once, says it is not stored, and prints config lines holding only its hash', () => {
    const io = captureIo();
    expect(runKeys(['new', '--alias', 'alice', '--models', 'big, big,,a: b'], io, fixed(7))).toBe(0);
    const out = io.stdout();
    const key = generateClientKey(fixed(7));
    expect(out.split(key)).toHaveLength(2);
    expect(out).toContain('not stored anywhere');
    expect(out).toContain('general_settings.client_keys:');
    expect(out).toContain(`    - alias: alice\n      key_hash: ${hashClientKey(key)}\n      key_preview: sk-...${key.slice(-4)}\n`);
    expect(out).toContain('models: [big, "a: b"]');
    expect(io.stderr()).toBe('');
  });

  it('requires --alias', () => {
    const io = captureIo();
    expect(runKeys(['new'], io)).toBe(USAGE_ERROR);
    expect(runKeys(['new', '--alias', '  '], io)).toBe(USAGE_ERROR);
    expect(io.stderr()).toContain('--alias is required');
    expect(io.stdout()).toBe('');
  });

  it('refuses unknown options and subcommands with the usage', () => {
    const io = captureIo();
    expect(runKeys(['new', '--alias', 'a', '--key', 'x'], io)).toBe(USAGE_ERROR);
    expect(io.stderr()).toContain("Unknown option '--key'");
    expect(runKeys(['list'], io)).toBe(USAGE_ERROR);
    expect(io.stderr()).toContain('unknown subcommand "list"');
    expect(runKeys([], io)).toBe(USAGE_ERROR);
    expect(io.stdout()).toBe('');
  });

  it('has --help', () => {
    for (const argv of [['--help'], ['new', '--help'], ['new', '-h']]) {
      const io = captureIo();
      expect(runKeys(argv, io)).toBe(0);
      expect(io.stdout()).toContain('Usage: groq-router keys new --alias NAME');
    }
  });
});
