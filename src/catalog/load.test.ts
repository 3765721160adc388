import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { thrown } from '../../test/support/thrown.js';
import { CatalogError, defaultCatalogFile, documentedLimits, loadCatalog } from './load.js';
import type { CatalogModel } from './types.js';

const catalog = loadCatalog();

function model(id: string): CatalogModel {
  const found = catalog.get(id);
  if (found === undefined) throw new Error(`catalogue lacks ${id}`);
  return found;
}

describe('shipped catalogue', () => {
  it('loads from the default location beside src/ and dist/', () => {
    const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
    expect(defaultCatalogFile()).toBe(join(repoRoot, 'config', 'groq-models.yaml'));
    // The compiled layout: dist/catalog/load.js with config/ beside dist/.
    expect(defaultCatalogFile('file:///opt/groq-router/dist/catalog/load.js')).toBe(
      '/opt/groq-router/config/groq-models.yaml',
    );
    expect(catalog.models.size).toBeGreaterThan(0);
  });

  // Every model id Groq's API documentation names (supported models, rate limits, speech to text, text to speech).
  const documentedModelIds = [
    'llama-3.1-8b-instant',
    'llama-3.3-70b-versatile',
    'openai/gpt-oss-120b',
    'openai/gpt-oss-20b',
    'whisper-large-v3',
    'whisper-large-v3-turbo',
    'groq/compound',
    'groq/compound-mini',
    'meta-llama/llama-4-maverick-17b-128e-instruct',
    'meta-llama/llama-4-scout-17b-16e-instruct',
    'qwen/qwen3-32b',
    'moonshotai/kimi-k2-instruct-0905',
    'moonshotai/kimi-k2-instruct',
    'openai/gpt-oss-safeguard-20b',
    'canopylabs/orpheus-arabic-saudi',
    'canopylabs/orpheus-v1-english',
    'playai-tts',
    'playai-tts-arabic',
    'meta-llama/llama-prompt-guard-2-22m',
    'meta-llama/llama-prompt-guard-2-86m',
  ];

  it('contains every model the documentation names, and nothing else', () => {
    expect([...catalog.models.keys()].sort()).toEqual([...documentedModelIds].sort());
  });

  it('records llama-3.3-70b-versatile as Groq\'s model and rate-limit tables document it', () => {
    const m = model('llama-3.3-70b-versatile');
    expect(m).toMatchObject({
      status: 'production',
      mode: 'chat',
      contextWindow: 131072,
      maxCompletionTokens: 32768,
      supportsVision: false,
      supportsReasoning: false,
    });
    expect(m.inputCostPerToken).toBeCloseTo(0.59 / 1e6, 15);
    expect(m.outputCostPerToken).toBeCloseTo(0.79 / 1e6, 15);
    expect(m.limits.free).toEqual({ rpm: 30, rpd: 1000, tpm: 12000, tpd: 100000, ash: null, asd: null });
  });

  it('records the whisper models with audio-second limits, per-second prices and upload sizes', () => {
    const v3 = model('whisper-large-v3');
    expect(v3.mode).toBe('audio_transcription');
    expect(v3.limits.free).toEqual({ rpm: 20, rpd: 2000, tpm: null, tpd: null, ash: 7200, asd: 28800 });
    expect(v3.inputCostPerSecond).toBeCloseTo(0.111 / 3600, 15);
    expect(v3.inputCostPerToken).toBeNull();
    expect(v3.maxFileBytes).toEqual({ free: 25 * 1024 * 1024, developer: 100 * 1024 * 1024 });
    expect(model('whisper-large-v3-turbo').inputCostPerSecond).toBeCloseTo(0.04 / 3600, 15);
  });

  it('spot-checks other documented figures', () => {
    const kimi = model('moonshotai/kimi-k2-instruct-0905');
    expect(kimi.contextWindow).toBe(262144);
    expect(kimi.maxCompletionTokens).toBe(16384);
    expect(kimi.limits.free).toMatchObject({ rpm: 60, tpm: 10000, tpd: 300000 });

    expect(model('llama-3.1-8b-instant').limits.free).toMatchObject({ rpd: 14400, tpm: 6000, tpd: 500000 });
    expect(model('groq/compound').limits.free).toEqual({ rpm: 30, rpd: 250, tpm: 70000, tpd: null, ash: null, asd: null });
    expect(model('meta-llama/llama-4-scout-17b-16e-instruct').supportsVision).toBe(true);
    expect(model('meta-llama/llama-4-maverick-17b-128e-instruct').supportsVision).toBe(true);
    expect(model('canopylabs/orpheus-v1-english').inputCostPerToken).toBeCloseTo(22 / 1e6, 15);
    expect(model('playai-tts').limits.free).toEqual({ rpm: 10, rpd: null, tpm: 1200, tpd: null, ash: null, asd: null });
    expect(model('meta-llama/llama-prompt-guard-2-22m').mode).toBe('moderation');
  });

  it('records the text-to-speech input limit and the 19 English and 4 Arabic PlayAI voices of Groq\'s text-to-speech documentation', () => {
    expect(model('playai-tts').maxInputChars).toBe(10_000);
    expect(model('playai-tts').voices).toHaveLength(19);
    expect(model('playai-tts').voices).toEqual(expect.arrayContaining(['Fritz-PlayAI', 'Calum-PlayAI']));
    expect(model('playai-tts-arabic').voices).toHaveLength(4);
    expect(model('canopylabs/orpheus-v1-english').voices).toBeNull();
    expect(model('llama-3.3-70b-versatile').maxInputChars).toBeNull();
  });

  it('marks exactly the models of Groq\'s reasoning documentation as reasoning models', () => {
    const reasoning = [...catalog.models.values()].filter((m) => m.supportsReasoning).map((m) => m.id);
    expect(reasoning.sort()).toEqual(['openai/gpt-oss-120b', 'openai/gpt-oss-20b', 'qwen/qwen3-32b']);
  });

  it('uses the one documented table for both plans', () => {
    for (const m of catalog.models.values()) expect(m.limits.developer).toEqual(m.limits.free);
  });

  it('is deeply frozen', () => {
    const m = model('llama-3.3-70b-versatile');
    expect(Object.isFrozen(catalog)).toBe(true);
    expect(Object.isFrozen(m)).toBe(true);
    expect(Object.isFrozen(m.limits)).toBe(true);
    expect(Object.isFrozen(m.limits.free)).toBe(true);
    expect(Object.isFrozen(model('whisper-large-v3').maxFileBytes)).toBe(true);
    expect(() => {
      (m as { contextWindow: number | null }).contextWindow = 1;
    }).toThrow(TypeError);
    expect(() => {
      (m.limits.free as { rpm: number | null }).rpm = 1;
    }).toThrow(TypeError);
    const writable = catalog.models as Map<string, CatalogModel>;
    expect(() => writable.set('x', m)).toThrow(TypeError);
    expect(() => writable.delete('llama-3.3-70b-versatile')).toThrow(TypeError);
    expect(() => writable.clear()).toThrow(TypeError);
    expect(catalog.get('llama-3.3-70b-versatile')).toBe(m);
  });
});

describe('documentedLimits', () => {
  it("returns the plan's limits for a known model", () => {
    expect(documentedLimits(model('qwen/qwen3-32b'), 'developer')).toMatchObject({ rpm: 60, tpm: 6000 });
  });

  it('returns all-null limits for an unknown model', () => {
    expect(documentedLimits(catalog.get('no-such-model'), 'free')).toEqual({
      rpm: null,
      rpd: null,
      tpm: null,
      tpd: null,
      ash: null,
      asd: null,
    });
  });
});

describe('malformed catalogue data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'groq-catalog-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let counter = 0;

  function writeCatalog(text: string): string {
    const file = join(dir, `catalog-${++counter}.yaml`);
    writeFileSync(file, text);
    return file;
  }

  const limits = { rpm: 30, rpd: 1000, tpm: 6000, tpd: null, ash: null, asd: null };
  function validEntry(): Record<string, unknown> {
    return {
      status: 'production',
      mode: 'chat',
      context_window: 131072,
      max_completion_tokens: 8192,
      input_cost_per_token: 5.9e-7,
      output_cost_per_token: 7.9e-7,
      input_cost_per_second: null,
      supports_vision: false,
      supports_function_calling: true,
      supports_reasoning: false,
      max_file_bytes: {},
      max_input_chars: null,
      voices: null,
      limits: { free: { ...limits }, developer: { ...limits } },
    };
  }

  function catalogWith(edit: (entry: Record<string, unknown>) => void): string {
    const entry = validEntry();
    edit(entry);
    return stringify({ models: { 'good-model': validEntry(), 'test/model': entry } });
  }

  it('accepts the valid fixture', () => {
    const loaded = loadCatalog(writeCatalog(catalogWith(() => {})));
    expect(loaded.get('test/model')?.maxCompletionTokens).toBe(8192);
  });

  const cases: [string, (entry: Record<string, unknown>) => void, string, RegExp][] = [
    ['a string where a number belongs', (e) => (e['context_window'] = '131,072'), 'context_window', /positive integer or null/],
    ['a fractional token count', (e) => (e['max_completion_tokens'] = 10.5), 'max_completion_tokens', /positive integer/],
    ['a missing field', (e) => delete e['supports_vision'], 'supports_vision', /missing/],
    ['a misspelt field', (e) => (e['suports_vision'] = true), 'suports_vision', /not a known field/],
    ['an unknown mode', (e) => (e['mode'] = 'embedding'), 'mode', /one of "chat", "audio_transcription"/],
    ['an unknown status', (e) => (e['status'] = 'deprecated'), 'status', /one of "production", "preview"/],
    ['a YAML 1.1 style boolean', (e) => (e['supports_reasoning'] = 'yes'), 'supports_reasoning', /true or false/],
    ['an unconverted per-1M price', (e) => (e['input_cost_per_token'] = 0.59), 'input_cost_per_token', /implausibly high/],
    ['a negative price', (e) => (e['output_cost_per_token'] = -1e-7), 'output_cost_per_token', /non-negative/],
    [
      'a negative rate limit',
      (e) => (e['limits'] = { free: { ...limits, rpm: -1 }, developer: limits }),
      'limits.free.rpm',
      /positive integer or null/,
    ],
    ['a missing plan', (e) => (e['limits'] = { free: limits }), 'limits.developer', /missing/],
    [
      'a missing limit window',
      (e) => (e['limits'] = { free: limits, developer: { rpm: 1, rpd: 1, tpm: 1, tpd: 1, ash: 1 } }),
      'limits.developer.asd',
      /missing/,
    ],
    ['an unknown plan in max_file_bytes', (e) => (e['max_file_bytes'] = { enterprise: 1 }), 'max_file_bytes.enterprise', /not a known field/],
    ['a non-mapping limits', (e) => (e['limits'] = [1, 2]), 'limits', /must be a mapping/],
    ['a voice list with a blank name', (e) => (e['voices'] = ['Fritz-PlayAI', ' ']), 'voices', /non-empty list of names/],
    ['a voice named twice', (e) => (e['voices'] = ['Fritz-PlayAI', 'Fritz-PlayAI']), 'voices', /twice/],
    ['a fractional character limit', (e) => (e['max_input_chars'] = 10.5), 'max_input_chars', /positive integer or null/],
  ];

  it.each(cases)('rejects %s, naming the model and field', (_label, edit, field, detail) => {
    const file = writeCatalog(catalogWith(edit));
    const error = thrown(() => loadCatalog(file), CatalogError);
    expect(error.model).toBe('test/model');
    expect(error.field).toBe(field);
    expect(error.message).toContain('model "test/model"');
    expect(error.message).toContain(`field "${field}"`);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(detail);
  });

  it('rejects a model entry that is not a mapping', () => {
    const file = writeCatalog('models:\n  broken-model: 42\n');
    expect(() => loadCatalog(file)).toThrow(/\.yaml:2:3: model "broken-model": entry must be a mapping/);
  });

  it('rejects invalid YAML, duplicate ids and unknown top-level keys', () => {
    expect(() => loadCatalog(writeCatalog('models: [unclosed\n'))).toThrow(/invalid YAML/);
    expect(() => loadCatalog(writeCatalog('models:\n  a: {}\n  a: {}\n'))).toThrow(/invalid YAML/);
    expect(() => loadCatalog(writeCatalog('modles: {}\n'))).toThrow(/unknown top-level key "modles"/);
    expect(() => loadCatalog(writeCatalog('models: null\n'))).toThrow(/field "models": must be a mapping/);
    expect(() => loadCatalog(writeCatalog('- a\n'))).toThrow(/must be a mapping with a `models` key/);
  });

  it('reports a missing file by path', () => {
    const missing = join(dir, 'absent.yaml');
    expect(() => loadCatalog(missing)).toThrow(new RegExp(`${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read file`));
  });
});
