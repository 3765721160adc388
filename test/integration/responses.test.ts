import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deploymentYaml, startStack, type Stack } from './harness.js';

const PRIMARY = 'groq/llama-3.3-70b-versatile';
const FALLBACK = 'groq/openai/gpt-oss-120b';
const LIMITED = 'groq/llama-3.1-8b-instant';
const WHISPER = 'groq/whisper-large-v3';

function yaml(dropParams: boolean): string {
  return `model_list:
${deploymentYaml(PRIMARY, 'llama-3.3-70b-versatile')}${deploymentYaml(FALLBACK, 'openai/gpt-oss-120b')}${deploymentYaml(LIMITED, 'llama-3.1-8b-instant', '', '\n      rpm: 2\n      tpm: 100000')}${deploymentYaml(WHISPER, 'whisper-large-v3')}
router_settings:
  timeout: 20
litellm_settings:
  drop_params: ${dropParams}
  fallbacks:
    - ${PRIMARY}: [${FALLBACK}]
`;
}

const UNSUPPORTED = { previous_response_id: 'resp_1', store: true, truncation: 'auto', include: ['reasoning.encrypted_content'], safety_identifier: 'u1', prompt_cache_key: 'k' };
const BUILT_IN_TOOLS = [
  { type: 'code_interpreter', container: { type: 'auto' } },
  { type: 'browser_search' },
  { type: 'mcp', server_label: 'Huggingface', server_url: 'https://huggingface.co/mcp' },
];

describe('the Responses API through the gateway (drop_params: true)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ yaml: yaml(true) });
  });
  afterAll(async () => {
    await stack?.close();
  });
  afterEach(() => stack.fake.reset());

  it('answers the openai client, with the routing headers and the upstream model in place of the alias', async () => {
    const { data, response } = await stack.openai().responses.create({ model: PRIMARY, input: 'Tell me a fun fact about the moon.' }).withResponse();
    expect(data.output_text).toBe('Hello from llama-3.3-70b-versatile');
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-litellm-model-group')).toBe(PRIMARY);
    expect(response.headers.get('content-type')).toContain('application/json');
    const call = stack.fake.calls[0];
    expect(call?.path).toBe('/openai/v1/responses');
    expect((call?.body as { model?: string }).model).toBe('llama-3.3-70b-versatile');
  });

  it('answers groq-sdk, which has no Responses resource, through its generic request on /openai/v1/responses', async () => {
    const answer = await stack.groq().post<{ output: { type: string; content?: { text: string }[] }[] }>('/openai/v1/responses', {
      body: { model: PRIMARY, input: [{ role: 'user', content: 'hi' }] },
    });
    const message = answer.output.find((item) => item.type === 'message');
    expect(message?.content?.[0]?.text).toBe('Hello from llama-3.3-70b-versatile');
  });

  it('streams events to the openai client, text deltas and the completed response with its usage', async () => {
    const stream = await stack.openai().responses.create({ model: PRIMARY, input: 'hi', stream: true });
    let text = '';
    let completed: { usage?: { total_tokens: number } | null } | undefined;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(text).toBe('Hello from llama-3.3-70b-versatile');
    expect(completed?.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('passes the built-in tools (code_interpreter, browser_search, mcp) through untouched', async () => {
    const response = await stack.openai().responses.create({
      model: FALLBACK,
      input: 'What is 1312 x 3333?',
      tool_choice: 'required',
      tools: BUILT_IN_TOOLS as never,
    });
    expect(response.output_text).toBe('Hello from openai/gpt-oss-120b');
    expect((stack.fake.calls[0]?.body as { tools?: unknown }).tools).toEqual(BUILT_IN_TOOLS);
  });

  it('drops the parameters Groq does not support under drop_params', async () => {
    const response = await stack.openai().responses.create({ model: PRIMARY, input: 'hi', ...UNSUPPORTED } as never);
    expect((response as { output_text: string }).output_text).toBe('Hello from llama-3.3-70b-versatile');
    const sent = stack.fake.calls[0]?.body as Record<string, unknown>;
    for (const param of Object.keys(UNSUPPORTED)) expect(sent).not.toHaveProperty(param);
  });

  it('falls back along the chain when the primary fails, streamed and not', async () => {
    stack.fake.fail('llama-3.3-70b-versatile', { status: 503 }, 2);
    const { data, response } = await stack.openai().responses.create({ model: PRIMARY, input: 'hi' }).withResponse();
    expect(data.output_text).toBe('Hello from openai/gpt-oss-120b');
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    const stream = await stack.openai().responses.create({ model: PRIMARY, input: 'hi', stream: true });
    let text = '';
    for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;
    expect(text).toBe('Hello from openai/gpt-oss-120b');
  });

  it('spends the same budget as chat: past the RPM the gateway answers 429 without calling Groq', async () => {
    const openai = stack.openai();
    await openai.responses.create({ model: LIMITED, input: 'one' });
    await openai.chat.completions.create({ model: LIMITED, messages: [{ role: 'user', content: 'two' }] });
    const refused = await openai.responses.create({ model: LIMITED, input: 'three' }).catch((err: unknown) => err);
    expect(refused).toMatchObject({ status: 429 });
    expect((refused as { headers: Headers }).headers.get('retry-after')).toMatch(/^\d+$/);
    expect(stack.fake.callCount('llama-3.1-8b-instant')).toBe(2);
  });

  it('ends a stream cut mid-way with one `event: error` frame, the error the Responses API streams', async () => {
    stack.fake.fail('llama-3.3-70b-versatile', { kind: 'midstream-reset', afterChunks: 2 }, 1);
    const response = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-anything' },
      body: JSON.stringify({ model: PRIMARY, input: 'hi', stream: true }),
    });
    const frames = (await response.text()).split('\n\n').filter(Boolean);
    const last = frames.at(-1) ?? '';
    expect(last).toMatch(/^event: error\ndata: /);
    expect(JSON.parse(last.split('\ndata: ')[1] ?? '')).toMatchObject({ type: 'error', code: 'upstream_stream_error' });
    expect(frames.filter((frame) => frame.startsWith('event: error') || frame.startsWith('data: {"error"'))).toHaveLength(1);
    expect(frames.some((frame) => frame.includes('[DONE]'))).toBe(false);
  });

  it('refuses bad input with a clear 400 and no upstream call', async () => {
    const openai = stack.openai();
    await expect(openai.responses.create({ model: PRIMARY, input: '' })).rejects.toMatchObject({ status: 400, param: 'input' });
    await expect(openai.responses.create({ model: PRIMARY } as never)).rejects.toMatchObject({ status: 400, param: 'input' });
    await expect(openai.responses.create({ model: WHISPER, input: 'hi' })).rejects.toMatchObject({ status: 400, code: 'wrong_model_type' });
    await expect(openai.responses.create({ model: 'groq/nope', input: 'hi' })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    expect(stack.fake.calls).toHaveLength(0);
  });
});

describe('the Responses API without drop_params', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ yaml: yaml(false) });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses every unsupported parameter by name with a 400, before any upstream call', async () => {
    const refused = await stack
      .openai()
      .responses.create({ model: PRIMARY, input: 'hi', store: true, prompt_cache_key: 'k' } as never)
      .catch((err: unknown) => err as { status: number; message: string; param: string });
    expect(refused).toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'store' });
    expect((refused as { message: string }).message).toMatch(/store, prompt_cache_key are not supported by groq.*drop_params/);
    expect(stack.fake.calls).toHaveLength(0);
  });
});
