/** HTTP paths as SDKs and people type them: models.retrieve, trailing slashes, and a wrong method. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from 'openai';
import { deploymentYaml, startStack, type Stack } from './harness.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ yaml: `model_list:\n${deploymentYaml('groq/openai/gpt-oss-120b', 'openai/gpt-oss-120b')}${deploymentYaml('fast', 'llama-3.1-8b-instant')}` });
});
afterAll(async () => {
  await stack?.close();
});

describe('GET /v1/models/{id}', () => {
  it("answers the openai SDK's models.retrieve in OpenAI's shape, slashes in the id included", async () => {
    const model = await stack.openai().models.retrieve('groq/openai/gpt-oss-120b');
    expect(model).toMatchObject({ id: 'groq/openai/gpt-oss-120b', object: 'model', owned_by: 'groq-router' });
    expect(typeof model.created).toBe('number');
    expect(await stack.openai().models.retrieve('fast')).toMatchObject({ id: 'fast', object: 'model' });
  });

  it('is a 404 in the OpenAI error shape for an unknown model', async () => {
    const error = await stack.openai().models.retrieve('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).error).toMatchObject({ code: 'model_not_found' });
  });
});

describe('trailing slashes', () => {
  it('are tolerated on every route', async () => {
    for (const path of ['/v1/models/', '/models/', '/v1/models/fast/', '/health/liveliness/', '/health/readiness//', '/quota/', '/metrics/']) {
      const res = await fetch(`${stack.url}${path}`);
      expect(res.status, path).toBe(200);
    }
    const chat = await fetch(`${stack.url}/v1/chat/completions/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(chat.status).toBe(200);
  });
});

describe('a known path with the wrong method', () => {
  it('is a 405 in the OpenAI error shape with Allow', async () => {
    for (const [method, path, allow] of [
      ['GET', '/v1/chat/completions', 'POST'],
      ['DELETE', '/v1/models', 'GET'],
      ['POST', '/health/readiness/', 'GET'],
    ] as const) {
      const res = await fetch(`${stack.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      const body = (await res.json()) as { error: { message: string; type: string; code: string } };
      expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'method_not_allowed' });
      expect(body.error.message).toContain(method);
    }
  });

  it('leaves an unknown path a 404', async () => {
    const res = await fetch(`${stack.url}/v1/nothing-here`, { method: 'POST' });
    expect(res.status).toBe(404);
  });
});
