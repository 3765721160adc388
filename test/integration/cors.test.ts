import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, type Stack } from './harness.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const yaml = (origin: string) =>
  `model_list:\n${deploymentYaml('coder', 'llama-3.3-70b-versatile')}general_settings:\n  cors_allow_origins: ["${origin}"]\n`;

async function allowedOrigin(s: Stack, origin: string): Promise<string | null> {
  const res = await fetch(`${s.url}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });
  await res.arrayBuffer();
  return res.headers.get('access-control-allow-origin');
}

describe('CORS', () => {
  it('answers browsers from the configured origins only, and follows a reload to new ones', async () => {
    stack = await startStack({ yaml: yaml('https://a.example') });
    expect(await allowedOrigin(stack, 'https://a.example')).toBe('https://a.example');
    expect(await allowedOrigin(stack, 'https://b.example')).toBeNull();

    writeFileSync(stack.gateway.reloader['file'] as string, yaml('https://b.example').replaceAll('FAKE_URL', stack.fake.url));
    const reload = await fetch(`${stack.url}/config/reload`, { method: 'POST' });
    expect(reload.status).toBe(200);
    expect(await allowedOrigin(stack, 'https://b.example')).toBe('https://b.example');
    expect(await allowedOrigin(stack, 'https://a.example')).toBeNull();
  });
});
