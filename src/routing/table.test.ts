import { describe, expect, it } from 'vitest';
import { table } from '../../test/support/routing-table.js';

const entry = (alias: string, model: string, extra = '') =>
  `  - model_name: ${alias}\n    litellm_params:\n      model: groq/${model}\n      api_key: os.environ/GROQ_API_KEY\n${extra}`;

const five = [
  entry('a', 'llama-3.3-70b-versatile'),
  entry('b', 'openai/gpt-oss-120b'),
  entry('c', 'llama-3.1-8b-instant'),
  entry('d', 'qwen/qwen3-32b'),
  entry('big', 'moonshotai/kimi-k2-instruct-0905'),
].join('');

describe('RoutingTable', () => {
  it('chains an alias to its own group, its fallbacks in order, then the default fallbacks', () => {
    const t = table(`model_list:\n${five}litellm_settings:\n  fallbacks:\n    - a: [c, b]\n  default_fallbacks: [d, c]\n`);
    expect(t.chainFor('a', 10)?.map((g) => g.name)).toEqual(['a', 'c', 'b', 'd']);
    expect(t.chainFor('b', 10)?.map((g) => g.name)).toEqual(['b', 'd', 'c']);
    expect(t.chainFor('nope', 10)).toBeUndefined();
  });

  it('caps the chain at max_fallbacks groups after the alias', () => {
    const t = table(`model_list:\n${five}router_settings:\n  max_fallbacks: 1\nlitellm_settings:\n  fallbacks:\n    - a: [b, c, d]\n`);
    expect(t.chainFor('a', 10)?.map((g) => g.name)).toEqual(['a', 'b']);
  });

  it('puts context_window_fallbacks first when the prompt exceeds every window of the alias', () => {
    const t = table(`model_list:\n${five}litellm_settings:\n  fallbacks:\n    - a: [b]\n  context_window_fallbacks:\n    - a: [big]\n`);
    expect(t.chainFor('a', 1_000)?.map((g) => g.name)).toEqual(['a', 'b']);
    expect(t.chainFor('a', 200_000)?.map((g) => g.name)).toEqual(['a', 'big', 'b']);
  });

  it('joins deployments with the catalogue, letting model_info override it', () => {
    const t = table(`model_list:\n${entry('a', 'llama-3.3-70b-versatile', '    model_info:\n      max_output_tokens: 1000\n')}`);
    const [deployment] = t.deployments;
    expect(deployment?.contextWindow).toBe(131072);
    expect(deployment?.maxCompletionTokens).toBe(1000);
    expect(deployment?.label).toMatch(/^groq\/llama-3\.3-70b-versatile \(id [0-9a-f]{16}\)$/);
    expect(deployment?.client).toBeDefined();
  });

  it('builds no client for a deployment without a key', () => {
    const t = table(`model_list:\n${entry('a', 'llama-3.3-70b-versatile')}`, {});
    expect(t.deployments[0]?.client).toBeUndefined();
    expect(t.deployments[0]?.config.unconfiguredReason).toContain('GROQ_API_KEY');
  });

  it('keeps every chain to groups of its own model type, warning once per dropped entry with alias and endpoint', () => {
    const t = table(
      `model_list:\n${entry('speech', 'playai-tts')}${entry('whisper', 'whisper-large-v3-turbo')}${entry('whisper-big', 'whisper-large-v3')}${entry('chat', 'openai/gpt-oss-20b')}` +
        `litellm_settings:\n  fallbacks:\n    - whisper: [whisper-big, chat]\n  context_window_fallbacks:\n    - speech: [chat]\n  default_fallbacks: [chat]\n`,
    );
    expect(t.chainFor('speech', 0)?.map((g) => g.name)).toEqual(['speech']);
    expect(t.contextChainFor('speech').map((g) => g.name)).toEqual(['speech']);
    expect(t.chainFor('whisper', 0)?.map((g) => g.name)).toEqual(['whisper', 'whisper-big']);
    expect(t.chainFor('whisper-big', 0)?.map((g) => g.name)).toEqual(['whisper-big']);
    expect(t.chainFor('chat', 0)?.map((g) => g.name)).toEqual(['chat']);
    expect(t.chainWarnings).toHaveLength(3);
    expect(t.chainWarnings[0]).toMatch(/^speech: .*"chat" .*chat.*\/audio\/speech/);
    expect(t.chainWarnings[1]).toMatch(/^whisper: .*"chat" .*\/audio\/transcriptions/);
    expect(t.chainWarnings[2]).toMatch(/^whisper-big: .*"chat" .*\/audio\/transcriptions/);
  });
});
