import { describe, expect, it } from 'vitest';
import type { CatalogModel } from '../../catalog/types.js';
import { TokenPlanning } from '../../quota/token-planning.js';
import type { Deployment } from '../../routing/deployment.js';
import { providers } from '../../upstream/providers.js';
import { responsesOperation } from '../responses/operation.js';
import { speechUnfit } from '../speech/operation.js';
import { reportedDuration, uploadUnfit } from './operation.js';

const MB = 1024 * 1024;

/** Only what these operations read of a deployment. */
function deployment(catalog: Partial<CatalogModel> | undefined, extra: Partial<Deployment> = {}): Deployment {
  return {
    config: { model: catalog?.id ?? 'some-model' },
    provider: providers.groq,
    catalog: catalog === undefined ? undefined : ({ id: 'some-model', maxFileBytes: {}, voices: null, maxInputChars: null, ...catalog } as CatalogModel),
    maxCompletionTokens: null,
    contextWindow: null,
    budget: undefined,
    ...extra,
  } as unknown as Deployment;
}

const bytes = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;

describe('uploadUnfit', () => {
  const whisper = deployment({ id: 'whisper-large-v3', maxFileBytes: { free: 25 * MB, developer: 100 * MB } });

  it('passes over a deployment whose plan limit the file exceeds, naming sizes and plan', () => {
    expect(uploadUnfit(whisper, 25 * MB, 'free')).toBeUndefined();
    expect(uploadUnfit(whisper, 25 * MB + 1, 'free')).toEqual({ reason: expect.stringMatching(/25\.0 MB; whisper-large-v3 takes at most 25 MB on the free plan/), param: 'file' });
    expect(uploadUnfit(whisper, 60 * MB, 'developer')).toBeUndefined();
  });

  it('does not judge models the catalogue has no limit for', () => {
    expect(uploadUnfit(deployment(undefined), 500 * MB, 'free')).toBeUndefined();
  });
});

describe('reportedDuration', () => {
  it('reads the duration of a verbose_json answer, even after a transcript that quotes the word', () => {
    expect(reportedDuration(bytes('{"task":"transcribe","text":"the \\"duration\\": 99","duration":12.5,"segments":[]}'))).toBe(12.5);
  });

  it('is undefined for json without it and for text answers, whatever they say', () => {
    expect(reportedDuration(bytes('{"text":"hello"}'))).toBeUndefined();
    expect(reportedDuration(bytes('he said "duration": 99'))).toBeUndefined();
  });
});

describe('speechUnfit', () => {
  const playai = deployment({ id: 'playai-tts', voices: ['Fritz-PlayAI', 'Calum-PlayAI'], maxInputChars: 10 });

  it('names an unknown voice, then an overlong input', () => {
    expect(speechUnfit(playai, 'hello', 'Fritz-PlayAI')).toBeUndefined();
    expect(speechUnfit(playai, 'hello', 'Nobody')?.param).toBe('voice');
    expect(speechUnfit(playai, 'x'.repeat(11), 'Fritz-PlayAI')).toEqual({ reason: expect.stringMatching(/11 characters.*limit of 10/), param: 'input' });
  });

  it('checks nothing the catalogue does not document', () => {
    expect(speechUnfit(deployment({ id: 'canopylabs/orpheus-v1-english' }), 'x'.repeat(50_000), 'anyone')).toBeUndefined();
  });
});

describe('responsesOperation', () => {
  const unsupported = { store: true, include: ['x'], prompt_cache_key: 'k' };

  const requested = { dropParams: true, completionCap: 'requested' } as const;

  it('replaces the alias, drops unsupported parameters under drop_params and clamps the output cap', async () => {
    const sent: Record<string, unknown>[] = [];
    const client = { responses: async (body: Record<string, unknown>) => (sent.push(body), new Response('{}')) };
    const op = responsesOperation({ model: 'alias', input: 'hi', max_output_tokens: 99_999, ...unsupported }, 'alias', 10, new TokenPlanning());
    const prepared = op.prepare(deployment({ id: 'llama' }, { maxCompletionTokens: 8192 }), requested);
    await prepared.send(client as never, { signal: new AbortController().signal, timeoutMs: 1000 }, prepared.demand);
    expect(sent[0]).toEqual({ model: 'llama', input: 'hi', max_output_tokens: 8192 });
    // The prompt estimate carries calibration's safety margin.
    expect(prepared.demand).toEqual({ requests: 1, tokens: 11 + 8192, audioSeconds: 0, minTokens: undefined });
  });

  it('refuses unsupported parameters by name without drop_params', () => {
    const op = responsesOperation({ model: 'alias', input: 'hi', ...unsupported }, 'alias', 10, new TokenPlanning());
    expect(() => op.prepare(deployment({ id: 'llama' }), { ...requested, dropParams: false })).toThrow(/store, include, prompt_cache_key are not supported by groq/);
  });

  it('settles tokens from the usage of a whole answer, cached input excluded', () => {
    const op = responsesOperation({ model: 'alias', input: 'hi', max_output_tokens: 500 }, 'alias', 10, new TokenPlanning());
    const prepared = op.prepare(deployment({ id: 'llama' }), requested);
    const spend = prepared.spent(bytes('{"output":[],"usage":{"input_tokens":7,"output_tokens":3,"total_tokens":10,"input_tokens_details":{"cached_tokens":4}}}'), { requests: 1, tokens: 500, audioSeconds: 0 });
    // Without a budget there is no cap to keep: usage, its completion counted from the end of the answer.
    expect(spend.actual).toEqual({ tokens: 6, tokensAtEnd: 3 });
    expect(spend.usage?.prompt_tokens).toBe(7);
  });
});
