/** Chat requests to the gateway for tests that only care which group answered and with what status. */

export interface ChatResult {
  readonly status: number;
  /** `x-litellm-model-group`: the group that served, null when none did. */
  readonly group: string | null;
  readonly body: string;
}

export async function chat(gatewayUrl: string, model: string, stream: boolean): Promise<ChatResult> {
  const res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Say hello' }] }),
  });
  // Reading the whole body lets a stream finish, so its metrics are recorded before the next step.
  return { status: res.status, group: res.headers.get('x-litellm-model-group'), body: await res.text() };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
