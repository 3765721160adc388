import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { AccountRegistry, AccountSet, accountId } from './accounts.js';
import type { FetchLike } from './transport.js';

const KEY_A = 'gsk_unit_accounts_key_a_0000000001';
const KEY_B = 'gsk_unit_accounts_key_b_0000000002';
const fetch: FetchLike = () => Promise.reject(new Error('no network in unit tests'));

const YAML = `model_list:
  - model_name: fast
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: os.environ/KEY_A, api_base: http://127.0.0.1:9/openai/v1}
  - model_name: big
    litellm_params: {model: groq/llama-3.3-70b-versatile, api_key: os.environ/KEY_A, api_base: http://127.0.0.1:9}
  - model_name: big
    litellm_params: {model: groq/llama-3.3-70b-versatile, api_key: os.environ/KEY_B, api_base: http://127.0.0.1:9}
  - model_name: other
    litellm_params: {model: groq/openai/gpt-oss-20b, api_key: os.environ/KEY_B, api_base: http://127.0.0.1:9/openai/v1/}
  - model_name: local
    litellm_params: {model: openai/qwen, api_base: http://127.0.0.1:9/v1, api_key: none}
  - model_name: keyless
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: os.environ/UNSET_KEY_FOR_ACCOUNTS_TEST}
`;

const deployments = () => parseConfig(YAML, 'accounts.yaml', { KEY_A, KEY_B }).deployments;

describe('AccountSet', () => {
  it('has one account per distinct (key, base URL), whatever the api_base spelling', () => {
    const set = new AccountSet(deployments(), fetch);
    expect(set.list.map((a) => a.keyPreview)).toEqual(['gsk_...0001', 'gsk_...0002']);
    expect(set.list.map((a) => a.aliases)).toEqual([['fast', 'big'], ['big', 'other']]);
    expect(set.list.map((a) => a.baseURL)).toEqual(['http://127.0.0.1:9', 'http://127.0.0.1:9']);
    expect(set.list[0]?.id).toBe(accountId(KEY_A, 'http://127.0.0.1:9'));
  });

  it("gives an alias its first configured Groq deployment's account", () => {
    const set = new AccountSet(deployments(), fetch);
    const big = set.forAlias('big');
    expect(big.kind === 'account' && big.account.keyPreview).toBe('gsk_...0001');
    expect(set.forAlias('other')).toMatchObject({ kind: 'account', account: { keyPreview: 'gsk_...0002' } });
    expect(set.forAlias('local')).toEqual({ kind: 'not_groq' });
    expect(set.forAlias('keyless')).toMatchObject({ kind: 'unconfigured', reason: expect.stringContaining('UNSET_KEY_FOR_ACCOUNTS_TEST') });
    expect(set.forAlias('nope')).toEqual({ kind: 'unknown' });
    expect(set.aliases).toEqual(['fast', 'big', 'other', 'local', 'keyless']);
  });

  it('knows which aliases route to an upstream model', () => {
    const set = new AccountSet(deployments(), fetch);
    expect(set.aliasesOf('llama-3.3-70b-versatile')).toEqual(['big']);
    expect(set.aliasesOf('llama-3.1-8b-instant')).toEqual(['fast']);
    expect(set.aliasesOf('qwen')).toEqual([]);
  });

  it('names accounts by a hash that is stable, differs per key and base, and never contains the key', () => {
    const id = accountId(KEY_A, undefined);
    expect(id).toMatch(/^acct_[0-9a-f]{12}$/);
    expect(accountId(KEY_A, undefined)).toBe(id);
    expect(accountId(KEY_B, undefined)).not.toBe(id);
    expect(accountId(KEY_A, 'http://127.0.0.1:9')).not.toBe(id);
    const set = new AccountSet(deployments(), fetch);
    expect(JSON.stringify(set.list.map(({ client: _client, ...rest }) => rest))).not.toContain(KEY_A.slice(4, -4));
  });
});

describe('AccountRegistry', () => {
  it('rebuilds the set only when the deployments change (a reload)', () => {
    let current = deployments();
    const registry = new AccountRegistry(() => current, fetch);
    const first = registry.current();
    expect(registry.current()).toBe(first);
    current = deployments();
    const second = registry.current();
    expect(second).not.toBe(first);
    expect(second.list.map((a) => a.id)).toEqual(first.list.map((a) => a.id));
  });
});
