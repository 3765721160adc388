import Groq, { toFile, type APIError as GroqAPIError } from 'groq-sdk';
import type { BatchCreateParams } from 'groq-sdk/resources/batches';
import type { FileCreateParams } from 'groq-sdk/resources/files';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashClientKey } from '../../src/config/client-key-hash.js';
import { accountId } from '../../src/upstream/accounts.js';
import { deploymentYaml, startStack, UPSTREAM_KEY, type Stack } from './harness.js';

const KEY_B = 'gsk_integration_second_org_key_9876543210';
const MASTER = 'sk-master-batches-test-00000000000000001';
const ALICE = 'sk-grk-alice-batches-test-0000000000000002';
const ALIAS_A = 'groq/llama-3.1-8b-instant';
const ALIAS_B = 'groq/openai/gpt-oss-20b';
const MODEL_A = 'llama-3.1-8b-instant';

const line = (customId: string, model = MODEL_A): string =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: 'hi' }] } });
const JSONL = `${line('first')}\n${line('second')}\n`;
const jsonl = () => toFile(Buffer.from(JSONL), 'requests.jsonl');
const batchParams = (inputFileId: string, extra: Record<string, unknown> = {}) =>
  ({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h', ...extra }) as BatchCreateParams;

const previewOf = (key: string) => `${key.slice(0, 4)}...${key.slice(-4)}`;

async function failure(promise: Promise<unknown>): Promise<GroqAPIError> {
  try {
    await promise;
  } catch (err) {
    return err as GroqAPIError;
  }
  throw new Error('expected the call to fail');
}

describe('one Groq account: every call goes to it without naming a model', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ yaml: `model_list:\n${deploymentYaml(ALIAS_A, MODEL_A)}` });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('uploads, creates, retrieves, lists and cancels a batch, reads and deletes the file (groq-sdk)', async () => {
    const groq = stack.groq();
    const file = await groq.files.create({ file: await jsonl(), purpose: 'batch' });
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'requests.jsonl', bytes: Buffer.byteLength(JSONL) });
    const id = file.id as string;
    expect(stack.fake.files(UPSTREAM_KEY).map((f) => f.content.toString())).toEqual([JSONL]);

    const batch = await groq.batches.create(batchParams(id, { metadata: { run: 'one' } }));
    expect(batch).toMatchObject({ object: 'batch', status: 'validating', input_file_id: id, request_counts: { total: 2 }, metadata: { run: 'one' } });
    expect(await groq.batches.retrieve(batch.id)).toEqual(batch);
    expect((await groq.batches.list()).data.map((b) => b.id)).toEqual([batch.id]);
    expect(await groq.batches.cancel(batch.id)).toMatchObject({ id: batch.id, status: 'cancelling' });
    expect(await groq.batches.retrieve(batch.id)).toMatchObject({ status: 'cancelled' });

    expect((await groq.files.list()).data.map((f) => f.id)).toEqual([id]);
    expect(await groq.files.info(id)).toMatchObject({ id, bytes: Buffer.byteLength(JSONL) });
    expect(await (await groq.files.content(id)).text()).toBe(JSONL);
    expect(await groq.files.delete(id)).toEqual({ id, object: 'file', deleted: true });
    expect(stack.fake.files(UPSTREAM_KEY)).toEqual([]);
    // Every upstream call was made with the deployment's key.
    const upstream = stack.fake.calls.filter((c) => /\/openai\/v1\/(files|batches)/.test(c.path));
    expect(upstream).toHaveLength(10);
    expect(new Set(upstream.map((c) => c.keyPreview))).toEqual(new Set([previewOf(UPSTREAM_KEY)]));
  });

  it('does the same through the openai client', async () => {
    const openai = stack.openai();
    const file = await openai.files.create({ file: await OpenAI.toFile(Buffer.from(JSONL), 'requests.jsonl'), purpose: 'batch' });
    const batch = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect((await openai.batches.retrieve(batch.id)).status).toBe('validating');
    expect((await openai.batches.list()).data.map((b) => b.id)).toContain(batch.id);
    expect((await openai.batches.cancel(batch.id)).status).toBe('cancelling');
    expect((await openai.files.retrieve(file.id)).filename).toBe('requests.jsonl');
    expect(await (await openai.files.content(file.id)).text()).toBe(JSONL);
    expect((await openai.files.delete(file.id)).deleted).toBe(true);
  });

  it("passes the upstream's refusals through unchanged, in the OpenAI error shape", async () => {
    const groq = stack.groq();
    const file = await groq.files.create({ file: await jsonl(), purpose: 'batch' });
    const wrongEndpoint = await failure(groq.batches.create(batchParams(file.id as string, { endpoint: '/v1/embeddings' })));
    expect(wrongEndpoint.status).toBe(400);
    expect(wrongEndpoint.message).toContain('endpoint must be');
    const notJsonl = await failure(groq.files.create({ file: await toFile(Buffer.from('a,b\n'), 'data.csv'), purpose: 'batch' }));
    expect(notJsonl.status).toBe(400);
    expect(notJsonl.message).toContain('.jsonl');

    const res = await fetch(`${stack.url}/v1/batches/batch_does_not_exist`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { message: 'Batch `batch_does_not_exist` not found', type: 'not_found_error', code: 'not_found' } });
    // No retry, no fallback: one upstream call.
    expect(stack.fake.calls.filter((c) => c.path === '/openai/v1/batches/batch_does_not_exist')).toHaveLength(1);
  });

  it('answers under every prefix, naming the account (a hash, not the key)', async () => {
    for (const prefix of ['', '/v1', '/openai/v1', '/v1/v1']) {
      const res = await fetch(`${stack.url}${prefix}/batches`);
      expect(res.status, prefix).toBe(200);
      expect(res.headers.get('x-groq-router-account')).toBe(accountId(UPSTREAM_KEY, stack.fake.url));
      const files = await fetch(`${stack.url}${prefix}/files`);
      expect(files.status, prefix).toBe(200);
    }
  });

  it('refuses a form without a file part before calling upstream', async () => {
    const form = new FormData();
    form.append('purpose', 'batch');
    const before = stack.fake.calls.length;
    const res = await fetch(`${stack.url}/v1/files`, { method: 'POST', body: form });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('missing_file');
    expect(stack.fake.calls.length).toBe(before);
  });
});

describe('two Groq accounts (two API keys): a batch belongs to one organisation', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      yaml: `model_list:
${deploymentYaml(ALIAS_A, MODEL_A)}${deploymentYaml(ALIAS_B, 'openai/gpt-oss-20b').replace('os.environ/GROQ_API_KEY', 'os.environ/GROQ_KEY_B')}  - model_name: local-only
    litellm_params:
      model: openai/some-local-model
      api_base: FAKE_URL/v1
      api_key: none
general_settings:
  master_key: os.environ/BATCHES_MASTER_KEY
  client_keys:
    - alias: alice
      key_hash: ${hashClientKey(ALICE)}
      key_preview: sk-...0002
      models: [${ALIAS_A}]
`,
      env: { GROQ_KEY_B: KEY_B, BATCHES_MASTER_KEY: MASTER },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const keyOfLastCall = (path: string) => stack.fake.calls.filter((c) => c.path === path).at(-1)?.keyPreview;

  it("a batch created through alias A is fetched with A's key, and is a 404 under B", async () => {
    const groq = stack.groq(MASTER);
    const file = await groq.files.create({ file: await jsonl(), purpose: 'batch' }, { query: { model: ALIAS_A } });
    expect(stack.fake.files(UPSTREAM_KEY).map((f) => f.id)).toContain(file.id);
    expect(stack.fake.files(KEY_B)).toEqual([]);

    const batch = await groq.batches.create(batchParams(file.id as string, { model: ALIAS_A }));
    const created = stack.fake.calls.filter((c) => c.path === '/openai/v1/batches' && c.method === 'POST').at(-1);
    expect(created?.keyPreview).toBe(previewOf(UPSTREAM_KEY));
    // `model` only chose the account; it is not sent to Groq.
    expect(created?.body).toEqual({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });

    // No alias named: the gateway remembers which account created the batch.
    expect((await groq.batches.retrieve(batch.id)).id).toBe(batch.id);
    expect(keyOfLastCall(`/openai/v1/batches/${batch.id}`)).toBe(previewOf(UPSTREAM_KEY));

    // Through alias B the same id is another organisation's: Groq's 404, passed through, no fallback to A.
    const underB = await failure(groq.batches.retrieve(batch.id, { headers: { 'x-litellm-model': ALIAS_B } }));
    expect(underB.status).toBe(404);
    expect(underB.message).toContain(batch.id);
    expect(keyOfLastCall(`/openai/v1/batches/${batch.id}`)).toBe(previewOf(KEY_B));
    const openai = stack.openai(MASTER);
    await expect(openai.batches.retrieve(batch.id, { query: { model: ALIAS_B } })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(openai.batches.retrieve(batch.id, { query: { model: ALIAS_A } })).resolves.toMatchObject({ id: batch.id });

    // B's organisation lists no batches; A's lists this one.
    expect((await groq.batches.list({ query: { model: ALIAS_B } })).data).toEqual([]);
    expect((await groq.batches.list({ headers: { 'x-litellm-model': ALIAS_A } })).data.map((b) => b.id)).toContain(batch.id);
  });

  it('creates a batch in the organisation that holds its input file, with no alias named', async () => {
    const groq = stack.groq(MASTER);
    // The multipart form's `model` field picks the account for an upload.
    const file = await groq.files.create({ file: await jsonl(), purpose: 'batch', model: ALIAS_B } as FileCreateParams);
    expect(stack.fake.files(KEY_B).map((f) => f.id)).toContain(file.id);
    const batch = await groq.batches.create(batchParams(file.id as string));
    expect(stack.fake.batches(KEY_B).map((b) => b.id)).toContain(batch.id);
    expect(await groq.batches.cancel(batch.id)).toMatchObject({ status: 'cancelling' });
    expect(keyOfLastCall(`/openai/v1/batches/${batch.id}/cancel`)).toBe(previewOf(KEY_B));
  });

  it("reads a finished batch's output file without naming an alias", async () => {
    const groq = stack.groq(MASTER);
    const file = await groq.files.create({ file: await jsonl(), purpose: 'batch' }, { headers: { 'x-litellm-model': ALIAS_A } });
    const batch = await groq.batches.create(batchParams(file.id as string));
    stack.fake.completeBatch(UPSTREAM_KEY, batch.id);
    const done = await groq.batches.retrieve(batch.id);
    expect(done).toMatchObject({ status: 'completed', request_counts: { total: 2, completed: 2, failed: 0 } });
    const output = await (await groq.files.content(done.output_file_id as string)).text();
    expect(output.trim().split('\n').map((l) => (JSON.parse(l) as { custom_id: string }).custom_id)).toEqual(['first', 'second']);
    expect(keyOfLastCall(`/openai/v1/files/${done.output_file_id}/content`)).toBe(previewOf(UPSTREAM_KEY));
    await groq.files.delete(file.id as string);
    expect(stack.fake.files(UPSTREAM_KEY).map((f) => f.id)).not.toContain(file.id);
  });

  it('answers 400 saying how to choose when no alias is named for a listing or an upload', async () => {
    const before = stack.fake.calls.length;
    for (const [method, path] of [
      ['GET', '/v1/batches'],
      ['GET', '/v1/files'],
    ] as const) {
      const res = await fetch(`${stack.url}${path}`, { method, headers: { authorization: `Bearer ${MASTER}` } });
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as { error: { message: string; code: string; type: string } };
      expect(body.error).toMatchObject({ code: 'account_required', type: 'invalid_request_error' });
      expect(body.error.message).toContain('?model=');
      expect(body.error.message).toContain('x-litellm-model');
    }
    const upload = await failure(stack.groq(MASTER).files.create({ file: await jsonl(), purpose: 'batch' }));
    expect(upload.status).toBe(400);
    expect(stack.fake.calls.length).toBe(before);
  });

  it('finds the organisation of an id made elsewhere (another instance, before a restart) by asking each key once', async () => {
    // Made straight at Groq with key B: this gateway has never seen the ids.
    const direct = new Groq({ apiKey: KEY_B, baseURL: stack.fake.url, maxRetries: 0 });
    const file = await direct.files.create({ file: await jsonl(), purpose: 'batch' });
    const batch = await direct.batches.create(batchParams(file.id as string));
    const groq = stack.groq(MASTER);
    const asked = () => stack.fake.calls.filter((c) => c.path === `/openai/v1/batches/${batch.id}`).map((c) => [c.keyPreview, c.status]);

    expect((await groq.batches.retrieve(batch.id)).id).toBe(batch.id);
    expect(asked()).toEqual(expect.arrayContaining([[previewOf(UPSTREAM_KEY), 404], [previewOf(KEY_B), 200]]));
    const lookups = asked().length;
    // Remembered: the next call goes to B alone.
    expect(await groq.batches.cancel(batch.id)).toMatchObject({ status: 'cancelling' });
    expect(keyOfLastCall(`/openai/v1/batches/${batch.id}/cancel`)).toBe(previewOf(KEY_B));
    expect(asked()).toHaveLength(lookups);
    expect((await groq.files.info(file.id as string)).id).toBe(file.id);
  });

  it('answers 404 for an id no organisation knows, after asking each key, and never mutates elsewhere', async () => {
    for (const [method, path] of [
      ['GET', '/v1/batches/batch_never_seen'],
      ['POST', '/v1/batches/batch_never_seen/cancel'],
      ['GET', '/v1/files/file_never_seen/content'],
      ['DELETE', '/v1/files/file_never_seen'],
    ] as const) {
      const res = await fetch(`${stack.url}${path}`, { method, headers: { authorization: `Bearer ${MASTER}` } });
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/No organisation this gateway reaches knows .*asked 2/);
    }
    const sent = stack.fake.calls.filter((c) => c.path.includes('_never_seen'));
    expect(sent.every((c) => c.method === 'GET' && !c.path.endsWith('/cancel') && !c.path.endsWith('/content'))).toBe(true);
  });

  it('answers 404 for an unknown alias, 400 for an alias with no Groq deployment, 403 for an alias the key may not use', async () => {
    const groq = stack.groq(MASTER);
    const unknown = await failure(groq.batches.list({ query: { model: 'llama-3.1-8b-instant' } }));
    expect(unknown.status).toBe(404);
    expect(unknown.message).toContain('Did you mean groq/llama-3.1-8b-instant?');
    expect((await failure(groq.batches.list({ query: { model: 'local-only' } }))).status).toBe(400);

    const alice = stack.groq(ALICE);
    expect((await failure(alice.batches.list({ query: { model: ALIAS_B } }))).status).toBe(403);
    expect((await alice.batches.list({ query: { model: ALIAS_A } })).object).toBe('list');
    // Ids the master key made are out of reach for a client key: not its own, so not found for it.
    const fileB = await groq.files.create({ file: await jsonl(), purpose: 'batch' }, { query: { model: ALIAS_B } });
    const batchB = await groq.batches.create(batchParams(fileB.id as string));
    expect((await failure(alice.batches.retrieve(batchB.id))).status).toBe(404);
    const fileA = await alice.files.create({ file: await jsonl(), purpose: 'batch' }, { query: { model: ALIAS_A } });
    expect((await alice.batches.create(batchParams(fileA.id as string))).status).toBe('validating');
  });

  it('never shows an API key in an answer', async () => {
    for (const path of ['/v1/batches?model=groq/openai/gpt-oss-20b', '/v1/files?model=groq/llama-3.1-8b-instant', '/v1/batches', '/v1/batches/x?model=groq/openai/gpt-oss-20b']) {
      const res = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${MASTER}` } });
      const text = `${JSON.stringify([...res.headers])}${await res.text()}`;
      expect(text).not.toContain(UPSTREAM_KEY);
      expect(text).not.toContain(KEY_B);
    }
  });
});
