import Groq, { toFile } from 'groq-sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { FakeGroq } from './server.js';
import { fakesClosedAfterEach, groq as groqClient, openai } from './test-setup.js';

const KEY_A = 'gsk_org_a_key_0123456789abcd';
const KEY_B = 'gsk_org_b_key_0123456789abcd';
const MODEL = 'llama-3.1-8b-instant';

const start = fakesClosedAfterEach();

/** Organisation A unless told otherwise. */
const groq = (fake: FakeGroq, apiKey = KEY_A): Groq => groqClient(fake, apiKey);
const requestLine = (customId: string, model = MODEL): string =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: 'hi' }] } });
const JSONL = `${requestLine('r1')}\n${requestLine('r2')}\n`;

async function upload(client: Groq, text = JSONL, name = 'requests.jsonl') {
  return client.files.create({ file: await toFile(Buffer.from(text), name), purpose: 'batch' });
}

async function statusOf(promise: Promise<unknown>): Promise<{ status: number | undefined; message: string }> {
  try {
    await promise;
  } catch (err) {
    return { status: (err as { status?: number }).status, message: (err as Error).message };
  }
  throw new Error('expected the call to fail');
}

describe('files (groq-sdk)', () => {
  it('uploads a .jsonl, lists, shows, serves its content and deletes it', async () => {
    const fake = await start();
    const client = groq(fake);
    const file = await upload(client);
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'requests.jsonl', bytes: Buffer.byteLength(JSONL) });
    expect(file.id).toMatch(/^file_[0-9a-z]{26}$/);
    expect((await client.files.list()).data.map((f) => f.id)).toEqual([file.id]);
    expect(await client.files.info(file.id as string)).toMatchObject({ id: file.id, bytes: Buffer.byteLength(JSONL) });
    expect(await (await client.files.content(file.id as string)).text()).toBe(JSONL);
    expect(await client.files.delete(file.id as string)).toEqual({ id: file.id, object: 'file', deleted: true });
    expect((await client.files.list()).data).toEqual([]);
    expect((await statusOf(client.files.info(file.id as string))).status).toBe(404);
  });

  it('refuses another purpose, a non-.jsonl file and lines that are not JSON objects', async () => {
    const fake = await start();
    const client = groq(fake);
    const wrongPurpose = client.files.create({ file: await toFile(Buffer.from(JSONL), 'r.jsonl'), purpose: 'assistants' as 'batch' });
    expect(await statusOf(wrongPurpose)).toMatchObject({ status: 400, message: expect.stringContaining('purpose') });
    expect(await statusOf(upload(client, JSONL, 'r.csv'))).toMatchObject({ status: 400, message: expect.stringContaining('.jsonl') });
    expect(await statusOf(upload(client, `${requestLine('a')}\nnot json\n`))).toMatchObject({ status: 400, message: expect.stringContaining('line 2') });
  });

  it("keeps organisations apart: key B gets 404 for key A's file and does not list it", async () => {
    const fake = await start();
    const file = await upload(groq(fake, KEY_A));
    const other = groq(fake, KEY_B);
    expect((await statusOf(other.files.info(file.id as string))).status).toBe(404);
    expect((await statusOf(other.files.content(file.id as string))).status).toBe(404);
    expect((await statusOf(other.files.delete(file.id as string))).status).toBe(404);
    expect((await other.files.list()).data).toEqual([]);
    expect(fake.files(KEY_A).map((f) => f.id)).toEqual([file.id]);
    expect(fake.files(KEY_B)).toEqual([]);
  });

  it('needs an accepted key', async () => {
    const fake = await start();
    expect((await statusOf(groq(fake, 'not-a-groq-key').files.list())).status).toBe(401);
  });
});

describe('batches (groq-sdk)', () => {
  it('creates, retrieves, lists and cancels a batch', async () => {
    const fake = await start();
    const client = groq(fake);
    const file = await upload(client);
    const batch = await client.batches.create({ input_file_id: file.id as string, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { job: 'x' } });
    expect(batch).toMatchObject({
      object: 'batch',
      status: 'validating',
      endpoint: '/v1/chat/completions',
      input_file_id: file.id,
      completion_window: '24h',
      request_counts: { total: 2, completed: 0, failed: 0 },
      metadata: { job: 'x' },
    });
    expect(batch.id).toMatch(/^batch_[0-9a-z]{26}$/);
    expect(batch.expires_at).toBe(batch.created_at + 86_400);
    expect(await client.batches.retrieve(batch.id)).toEqual(batch);
    expect((await client.batches.list()).data.map((b) => b.id)).toEqual([batch.id]);
    const cancelling = await client.batches.cancel(batch.id);
    expect(cancelling).toMatchObject({ id: batch.id, status: 'cancelling' });
    expect(await client.batches.retrieve(batch.id)).toMatchObject({ status: 'cancelled', cancelled_at: expect.any(Number) });
    expect((await statusOf(client.batches.cancel(batch.id))).status).toBe(400);
  });

  it('validates input_file_id, endpoint and completion_window', async () => {
    const fake = await start();
    const client = groq(fake);
    const file = await upload(client);
    const create = (params: Record<string, unknown>) =>
      client.batches.create({ input_file_id: file.id as string, endpoint: '/v1/chat/completions', completion_window: '24h', ...params } as Groq.BatchCreateParams);
    expect(await statusOf(create({ input_file_id: 'file_missing' }))).toMatchObject({ status: 400, message: expect.stringContaining('file_missing') });
    expect((await statusOf(create({ endpoint: '/v1/embeddings' }))).status).toBe(400);
    expect((await statusOf(create({ completion_window: '1h' }))).status).toBe(400);
    expect((await statusOf(create({ completion_window: '8d' }))).status).toBe(400);
    expect(await create({ completion_window: '7d' })).toMatchObject({ status: 'validating' });
  });

  it('fails a batch whose input lines are not chat requests for known models, with errors per line', async () => {
    const fake = await start();
    const client = groq(fake);
    const file = await upload(client, `${requestLine('a')}\n${requestLine('b', 'no-such-model')}\n`);
    const batch = await client.batches.create({ input_file_id: file.id as string, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(batch.status).toBe('failed');
    expect(batch.errors?.data).toEqual([expect.objectContaining({ code: 'model_not_found', line: 2 })]);
  });

  it("keeps organisations apart: key B gets 404 for key A's batch and cannot use A's file", async () => {
    const fake = await start();
    const a = groq(fake, KEY_A);
    const b = groq(fake, KEY_B);
    const file = await upload(a);
    const batch = await a.batches.create({ input_file_id: file.id as string, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect((await statusOf(b.batches.retrieve(batch.id))).status).toBe(404);
    expect((await statusOf(b.batches.cancel(batch.id))).status).toBe(404);
    expect((await b.batches.list()).data).toEqual([]);
    expect((await statusOf(b.batches.create({ input_file_id: file.id as string, endpoint: '/v1/chat/completions', completion_window: '24h' }))).status).toBe(400);
  });

  it('completeBatch writes an output file answering every request', async () => {
    const fake = await start();
    const client = groq(fake);
    const file = await upload(client);
    const batch = await client.batches.create({ input_file_id: file.id as string, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const done = fake.completeBatch(KEY_A, batch.id);
    expect(done).toMatchObject({ status: 'completed', request_counts: { total: 2, completed: 2, failed: 0 } });
    const retrieved = await client.batches.retrieve(batch.id);
    expect(retrieved.output_file_id).toBe(done.output_file_id);
    const output = (await (await client.files.content(retrieved.output_file_id as string)).text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(output.map((line) => line.custom_id)).toEqual(['r1', 'r2']);
    expect(output[0]?.response).toMatchObject({ status_code: 200, body: { object: 'chat.completion', model: MODEL } });
    expect(await client.files.info(retrieved.output_file_id as string)).toMatchObject({ purpose: 'batch_output' });
    expect(() => fake.completeBatch(KEY_A, batch.id)).toThrow(/already completed/);
  });

  it('reset() forgets files and batches', async () => {
    const fake = await start();
    await upload(groq(fake));
    fake.reset();
    expect(fake.files(KEY_A)).toEqual([]);
  });
});

describe('files and batches (openai client)', () => {
  it('speaks the same API through the openai SDK', async () => {
    const fake = await start();
    const client = openai(fake, KEY_A);
    const file = await client.files.create({ file: await OpenAI.toFile(Buffer.from(JSONL), 'requests.jsonl'), purpose: 'batch' });
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect((await client.batches.retrieve(batch.id)).status).toBe('validating');
    expect((await client.batches.list()).data.map((b) => b.id)).toEqual([batch.id]);
    expect((await client.batches.cancel(batch.id)).status).toBe('cancelling');
    expect(await (await client.files.content(file.id)).text()).toBe(JSONL);
    expect((await client.files.delete(file.id)).deleted).toBe(true);
  });
});
