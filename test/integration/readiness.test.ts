/**
 * Readiness tells an orchestrator (or a newcomer) the truth: unhealthy while every deployment of an
 * alias is unusable, whether its key variable is unset or Groq refuses its key.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, UPSTREAM_KEY, type Stack } from './harness.js';

const BAD_UPSTREAM = 'gsk_readiness_bad_key_000000000000000000';
let stack: Stack | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

interface Readiness {
  status: string;
  reason?: string;
  unusable_aliases: Array<{ alias: string; deployments: Array<{ id: string; reason: string }> }>;
}

async function readiness(s: Stack): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`${s.url}/health/readiness`);
  return { status: res.status, body: (await res.json()) as Readiness };
}

describe('/health/readiness', () => {
  it('is unhealthy while an alias has only deployments whose key Groq refuses, naming the alias and the 401', async () => {
    stack = await startStack({
      yaml: `model_list:\n${deploymentYaml('good', 'llama-3.3-70b-versatile')}${deploymentYaml('bad-key', 'llama-3.1-8b-instant').replace('os.environ/GROQ_API_KEY', 'os.environ/BAD_KEY')}`,
      env: { BAD_KEY: BAD_UPSTREAM },
      fake: { keys: [UPSTREAM_KEY] },
    });
    expect((await readiness(stack)).status).toBe(200);
    const answer = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'bad-key', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(answer.ok).toBe(false);
    const after = await readiness(stack);
    expect(after.status).toBe(503);
    expect(after.body.status).toBe('unhealthy');
    expect(after.body.reason).toContain('bad-key');
    expect(after.body.unusable_aliases).toEqual([{ alias: 'bad-key', deployments: [{ id: expect.any(String), reason: expect.stringContaining('401') }] }]);
  });

  it('is unhealthy while an alias has only deployments whose key variable is unset', async () => {
    stack = await startStack({
      yaml: `model_list:\n${deploymentYaml('good', 'llama-3.3-70b-versatile')}${deploymentYaml('unset', 'llama-3.1-8b-instant').replace('os.environ/GROQ_API_KEY', 'os.environ/NOT_SET_ANYWHERE')}`,
    });
    const { status, body } = await readiness(stack);
    expect(status).toBe(503);
    expect(body.unusable_aliases).toEqual([{ alias: 'unset', deployments: [{ id: expect.any(String), reason: expect.stringContaining('NOT_SET_ANYWHERE') }] }]);
  });

  it('stays healthy while an alias keeps one usable deployment', async () => {
    stack = await startStack({
      yaml: `model_list:\n${deploymentYaml('mixed', 'llama-3.3-70b-versatile')}${deploymentYaml('mixed', 'llama-3.1-8b-instant').replace('os.environ/GROQ_API_KEY', 'os.environ/NOT_SET_ANYWHERE')}`,
    });
    expect((await readiness(stack)).body).toMatchObject({ status: 'healthy', unusable_aliases: [] });
  });
});
