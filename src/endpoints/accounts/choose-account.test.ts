import { APIConnectionTimeoutError, NotFoundError, RateLimitError } from 'groq-sdk';
import { describe, expect, it } from 'vitest';
import { thrown } from '../../../test/support/thrown.js';
import { parseConfig } from '../../config/load.js';
import { GatewayError } from '../../errors.js';
import type { Principal } from '../../middleware/api-key.js';
import { AccountSet } from '../../upstream/accounts.js';
import { IdOwners } from '../../upstream/id-owners.js';
import { chooseAccount, upstreamError } from './choose-account.js';

const KEY_A = 'gsk_unit_choice_key_a_00000000001';
const KEY_B = 'gsk_unit_choice_key_b_00000000002';
const fetch = () => Promise.reject(new Error('no network'));

function accounts(yaml: string): AccountSet {
  return new AccountSet(parseConfig(yaml, 'choice.yaml', { KEY_A, KEY_B }).deployments, fetch);
}

const TWO = accounts(`model_list:
  - model_name: groq/a
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: os.environ/KEY_A}
  - model_name: groq/b
    litellm_params: {model: groq/openai/gpt-oss-20b, api_key: os.environ/KEY_B}
  - model_name: local
    litellm_params: {model: openai/qwen, api_base: http://127.0.0.1:9/v1, api_key: none}
`);
const ONE = accounts(`model_list:
  - model_name: groq/a
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: os.environ/KEY_A}
`);
const [ACCOUNT_A, ACCOUNT_B] = TWO.list;
const OPEN: Principal = { kind: 'open' };
const onlyA: Principal = { kind: 'client', alias: 'alice', preview: 'sk-...0001', models: new Set(['groq/a']) };

function refusal(run: () => unknown): GatewayError {
  return thrown(run, GatewayError);
}

describe('chooseAccount', () => {
  it('takes a named alias first, even over a remembered id', () => {
    const owners = new IdOwners(10);
    owners.remember('batch_1', ACCOUNT_A?.id as string);
    expect(chooseAccount(TWO, owners, OPEN, { alias: 'groq/b', ids: ['batch_1'] })).toBe(ACCOUNT_B);
  });

  it('uses the account that created or listed an id', () => {
    const owners = new IdOwners(10);
    owners.remember('file_1', ACCOUNT_B?.id as string);
    expect(chooseAccount(TWO, owners, OPEN, { alias: undefined, ids: [undefined, 'file_1'] })).toBe(ACCOUNT_B);
  });

  it('uses the only account when there is one, and refuses to guess among several', () => {
    expect(chooseAccount(ONE, new IdOwners(10), OPEN, { alias: undefined, ids: ['batch_unknown'] })).toBe(ONE.list[0]);
    const err = refusal(() => chooseAccount(TWO, new IdOwners(10), OPEN, { alias: undefined, ids: ['batch_unknown'] }));
    expect(err.status).toBe(400);
    expect(err.code).toBe('account_required');
    expect(err.message).toContain('e.g. groq/a, groq/b');
  });

  it('answers 404 for an unknown alias (with a hint), 400 for an alias of another provider, 403 for a forbidden one', () => {
    const owners = new IdOwners(10);
    const unknown = refusal(() => chooseAccount(TWO, owners, OPEN, { alias: 'a' }));
    expect([unknown.status, unknown.code]).toEqual([404, 'model_not_found']);
    expect(unknown.message).toContain('Did you mean groq/a?');
    expect(refusal(() => chooseAccount(TWO, owners, OPEN, { alias: 'local' })).status).toBe(400);
    expect(refusal(() => chooseAccount(TWO, owners, onlyA, { alias: 'groq/b' })).status).toBe(403);
    expect(chooseAccount(TWO, owners, onlyA, { alias: 'groq/a' })).toBe(ACCOUNT_A);
  });

  it("keeps a limited client key away from other accounts' ids", () => {
    const owners = new IdOwners(10);
    owners.remember('batch_b', ACCOUNT_B?.id as string);
    const err = refusal(() => chooseAccount(TWO, owners, onlyA, { alias: undefined, ids: ['batch_b'] }));
    expect([err.status, err.code]).toEqual([403, 'account_not_allowed']);
  });

  it('answers 503 when no Groq account is configured', () => {
    const none = accounts(`model_list:
  - model_name: local
    litellm_params: {model: openai/qwen, api_base: http://127.0.0.1:9/v1, api_key: none}
`);
    expect(refusal(() => chooseAccount(none, new IdOwners(10), OPEN, { alias: undefined })).status).toBe(503);
  });
});

describe('upstreamError', () => {
  const headers = new Headers({ 'retry-after': '7' });

  it("passes the upstream's status, message and code through", () => {
    const err = upstreamError(new NotFoundError(404, { error: { message: 'Batch `x` not found', code: 'not_found' } }, undefined, new Headers()));
    expect(err.toBody()).toEqual({ error: { message: 'Batch `x` not found', type: 'not_found_error', code: 'not_found' } });
    expect(err.status).toBe(404);
    const limited = upstreamError(new RateLimitError(429, { error: { message: 'slow down' } }, undefined, headers));
    expect([limited.status, limited.headers['retry-after']]).toEqual([429, '7']);
  });

  it('answers 504 for a timeout and 502 for a connection failure', () => {
    expect(upstreamError(new APIConnectionTimeoutError()).status).toBe(504);
    expect(upstreamError(new Error('ECONNREFUSED')).status).toBe(502);
  });
});
