import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, type Stack } from './harness.js';

const MASTER_KEY = 'sk-master-integration-0123456789';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    yaml: `model_list:\n${deploymentYaml('groq/llama-3.3-70b-versatile', 'llama-3.3-70b-versatile')}general_settings:\n  master_key: os.environ/TEST_MASTER_KEY\n`,
    env: { TEST_MASTER_KEY: MASTER_KEY },
  });
});
afterAll(async () => {
  await stack?.close();
});

describe('master key', () => {
  it('refuses requests without the key or with a wrong one, in the OpenAI error shape', async () => {
    for (const headers of [{}, { authorization: 'Bearer sk-wrong' }, { 'x-litellm-api-key': 'sk-wrong' }] as Array<Record<string, string>>) {
      const res = await fetch(`${stack.url}/v1/models`, { headers });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { type: string; message: string } };
      expect(body.error.type).toBe('authentication_error');
      expect(JSON.stringify(body)).not.toContain(MASTER_KEY);
    }
  });

  it('accepts the key as a bearer token or x-litellm-api-key', async () => {
    expect((await fetch(`${stack.url}/v1/models`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })).status).toBe(200);
    expect((await fetch(`${stack.url}/v1/models`, { headers: { 'x-litellm-api-key': MASTER_KEY } })).status).toBe(200);
    const completion = await stack.openai(MASTER_KEY).chat.completions.create({
      model: 'groq/llama-3.3-70b-versatile',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices).toHaveLength(1);
  });

  it('leaves the liveliness and readiness probes open', async () => {
    expect((await fetch(`${stack.url}/health/liveliness`)).status).toBe(200);
    expect((await fetch(`${stack.url}/health/readiness`)).status).toBe(200);
    expect((await fetch(`${stack.url}/health`)).status).toBe(401);
  });
});
