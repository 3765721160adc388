import type Groq from 'groq-sdk';
import { describe, expect, it } from 'vitest';
import { startFakeGroq } from './server.js';
import { fakesClosedAfterEach, groq } from './test-setup.js';

const KEY_A = 'gsk_org_a_key_0123456789abcd';
const KEY_B = 'gsk_org_b_key_0123456789abcd';

const start = fakesClosedAfterEach();

const ids = async (client: Groq): Promise<string[]> => (await client.models.list()).data.map((m) => m.id);

describe('model visibility per key (modelsByKey)', () => {
  it('lists only the models a key sees; keys not named see every model', async () => {
    const fake = await start({ modelsByKey: { [KEY_A]: ['llama-3.1-8b-instant', 'openai/gpt-oss-20b'] } });
    expect(await ids(groq(fake, KEY_A))).toEqual(['llama-3.1-8b-instant', 'openai/gpt-oss-20b']);
    expect((await ids(groq(fake, KEY_B))).length).toBeGreaterThan(10);
  });

  it('answers 404 for a model the key does not see', async () => {
    const fake = await start({ modelsByKey: { [KEY_A]: ['llama-3.1-8b-instant'] } });
    await expect(groq(fake, KEY_A).models.retrieve('llama-3.3-70b-versatile')).rejects.toMatchObject({ status: 404 });
    await expect(groq(fake, KEY_A).models.retrieve('llama-3.1-8b-instant')).resolves.toMatchObject({ id: 'llama-3.1-8b-instant' });
    await expect(groq(fake, KEY_B).models.retrieve('llama-3.3-70b-versatile')).resolves.toMatchObject({ object: 'model' });
  });

  it('refuses model ids it does not serve', async () => {
    await expect(startFakeGroq({ modelsByKey: { [KEY_A]: ['no-such-model'] } })).rejects.toThrow(/no-such-model/);
  });
});

describe('failModels', () => {
  it('fails the listing for one key only, for the given number of times', async () => {
    const fake = await start();
    fake.failModels(KEY_A, 503, 1);
    await expect(groq(fake, KEY_A).models.list()).rejects.toMatchObject({ status: 503 });
    expect((await ids(groq(fake, KEY_B))).length).toBeGreaterThan(0);
    expect((await ids(groq(fake, KEY_A))).length).toBeGreaterThan(0);
    expect(fake.calls.filter((c) => c.path === '/openai/v1/models').map((c) => c.fault)).toEqual(['status:503', null, null]);
  });

  it("'hang' never answers until the client gives up", async () => {
    const fake = await start();
    fake.failModels(KEY_A, 'hang');
    const started = Date.now();
    await expect(groq(fake, KEY_A).models.list({ timeout: 200 })).rejects.toThrow(/timed out/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect((await ids(groq(fake, KEY_B))).length).toBeGreaterThan(0);
    fake.clearModelFaults(KEY_A);
    expect((await ids(groq(fake, KEY_A))).length).toBeGreaterThan(0);
  });

  it('rejects statuses outside 400..599', async () => {
    const fake = await start();
    expect(() => fake.failModels(KEY_A, 200)).toThrow(RangeError);
  });

  it('reset() clears listing faults', async () => {
    const fake = await start();
    fake.failModels(KEY_A, 500);
    fake.reset();
    expect((await ids(groq(fake, KEY_A))).length).toBeGreaterThan(0);
  });
});
