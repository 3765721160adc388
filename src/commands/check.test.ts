import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CatalogError } from '../catalog/load.js';
import { hashClientKey } from '../config/client-key-hash.js';
import type { CheckReport } from './check-report.js';
import { alignColumns } from './check-text.js';
import { runCheck } from './check.js';
import { USAGE_ERROR } from './io.js';
import { captureIo } from '../../test/support/capture-io.js';

const dir = mkdtempSync(join(tmpdir(), 'groq-router-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const KEY_A = 'gsk_org_a_secret_value_0000000001';
const MASTER = 'sk-master-secret-value-42';
const ENV = { KEY_A, MASTER };

const CONFIG = `model_list:
  - model_name: coder
    litellm_params:
      model: groq/llama-3.3-70b-versatile
      api_key: os.environ/KEY_A
      rpm: 10
      order: 1
    model_info: {id: coder-a}
  - model_name: coder
    litellm_params:
      model: groq/llama-3.3-70b-versatile
      api_key: os.environ/KEY_B
      order: 2
      weight: 0.5
    model_info: {id: coder-b}
  - model_name: fast
    litellm_params:
      model: groq/llama-3.1-8b-instant
      api_key: os.environ/KEY_A
    model_info: {id: fast-a}
  - model_name: big
    litellm_params:
      model: groq/moonshotai/kimi-k2-instruct-0905
      api_key: os.environ/KEY_A
    model_info: {id: big-a}
  - model_name: small
    litellm_params:
      model: groq/openai/gpt-oss-20b
      api_key: os.environ/KEY_A
router_settings:
  max_fallbacks: 2
litellm_settings:
  fallbacks: [{coder: [fast, big, small]}]
  context_window_fallbacks: [{coder: [big]}]
  default_fallbacks: [small]
general_settings:
  master_key: os.environ/MASTER
  cors_allow_origins: ["https://app.example.com"]
  client_keys:
    - {alias: alice, key_hash: "${hashClientKey('sk-grk-alice')}", key_preview: sk-...lice, models: [coder]}
`;

function check(argv: string[], env: NodeJS.ProcessEnv = ENV) {
  const io = captureIo();
  const code = runCheck(argv, io, { env });
  return { code, out: io.stdout(), err: io.stderr() };
}

describe('groq-router check, valid config', () => {
  const file = write('good.yaml', CONFIG);

  it('exits 0 and prints warnings with file:line:col', () => {
    const { code, out, err } = check(['--config', file]);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toContain(`${file}:12:7: model_list[1].litellm_params.api_key: API key variable not set: KEY_B (leaves 1 unusable: coder)`);
    expect(out.split('\n')[0]).toBe(`${file}: valid; 4 aliases, 5 deployments (4 configured), 1 warning`);
  });

  it('prints each chain in order, capped by max_fallbacks, and the context-window chain separately', () => {
    const { out } = check(['--config', file]);
    expect(out).toMatch(/^ {2}chain +coder -> fast -> big$/m);
    expect(out).toMatch(/^ {2}context overflow +coder -> big -> fast$/m);
    expect(out).toMatch(/^ {2}chain +fast -> small$/m);
    expect(out.indexOf('\ncoder  (context window 131072)')).toBeLessThan(out.indexOf('\nfast  ('));
  });

  it('prints every deployment with its order, weight, key status and limits with their sources', () => {
    const { out } = check(['--config', file]);
    expect(out).toMatch(/deployment +coder-a {2}groq\/llama-3\.3-70b-versatile {2}order 1 {2}weight -/);
    expect(out).toMatch(/deployment +coder-b {2}groq\/llama-3\.3-70b-versatile {2}order 2 {2}weight 0\.5/);
    expect(out).toMatch(/key +configured, gsk_\.\.\.0001/);
    expect(out).toMatch(/key +NOT CONFIGURED: api_key: environment variable KEY_B is not set/);
    expect(out).toMatch(/limits +rpm 10 config +rpd 1000 catalogue +tpm 12000 catalogue +tpd 100000 catalogue +ash none +asd none\n/);
    // The unconfigured one shows what it will be held to once its key is set.
    expect(out).toMatch(/limits +rpm 30 catalogue .*asd none {2}\(apply once the key is set\)/);
  });

  it('shows auth settings without secrets', () => {
    const { out } = check(['--config', file]);
    expect(out).toMatch(/master key +set/);
    expect(out).toMatch(/client keys +alice sk-\.\.\.lice \[coder\]/);
    expect(out).toMatch(/CORS origins +https:\/\/app\.example\.com/);
  });

  it('never prints an API key or the master key, in text or JSON', () => {
    for (const argv of [['--config', file], ['--config', file, '--json']]) {
      const { out } = check(argv);
      expect(out).not.toContain(KEY_A);
      expect(out).not.toContain(MASTER);
      expect(out).not.toContain('sk-grk-alice');
    }
  });

  it('--json gives the same table as data', () => {
    const { code, out } = check(['--config', file, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out) as CheckReport;
    expect(report.valid).toBe(true);
    expect(report.aliases.map((a) => a.alias)).toEqual(['coder', 'fast', 'big', 'small']);
    const [coder] = report.aliases;
    expect(coder?.chain).toEqual(['coder', 'fast', 'big']);
    expect(coder?.contextWindowChain).toEqual(['coder', 'big', 'fast']);
    expect(coder?.deployments[0]).toMatchObject({
      id: 'coder-a',
      model: 'groq/llama-3.3-70b-versatile',
      order: 1,
      weight: null,
      configured: true,
      unconfiguredReason: null,
      keyPreview: 'gsk_...0001',
      limits: { rpm: { limit: 10, source: 'config' }, tpm: { limit: 12000, source: 'catalogue' }, ash: { limit: null, source: 'none' } },
    });
    expect(coder?.deployments[1]).toMatchObject({ id: 'coder-b', configured: false, keyPreview: null, budgetId: null });
    expect(report.warnings[0]).toMatchObject({ path: 'model_list[1].litellm_params.api_key', line: 12, column: 7 });
  });

  it('shows unconfigured deployments sharing a missing variable under one budget, held to the lowest limit', () => {
    const shared = write(
      'shared.yaml',
      `model_list:
  - model_name: a
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: os.environ/MISSING, rpm: 5}
  - model_name: b
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: os.environ/MISSING}
`,
    );
    const report = JSON.parse(check(['--config', shared, '--json'], {}).out) as CheckReport;
    const rpm = report.aliases.map((a) => a.deployments[0]?.limits.rpm);
    expect(rpm).toEqual([{ limit: 5, source: 'config' }, { limit: 5, source: 'config' }]);
  });
});

describe('groq-router check, invalid config', () => {
  const file = write(
    'bad.yaml',
    `model_list:
  - model_name: a
    litellm_params:
      model: gpt4
general_settings:
  client_keys:
    - {alias: x, key: sk-grk-pasted-secret}
`,
  );

  it('exits 1 with every error as file:line:col: path: message, never echoing a raw key', () => {
    const { code, out, err } = check(['--config', file]);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toContain(`${file}:4:7: model_list[0].litellm_params.model: expected "groq/<model>" or "openai/<model>", got "gpt4"`);
    expect(err).toContain(`${file}:7:18: general_settings.client_keys[0].key: a raw client key must not be stored`);
    expect(err).not.toContain('sk-grk-pasted-secret');
  });

  it('--json reports the errors as data', () => {
    const { code, out } = check(['--config', file, '--json']);
    expect(code).toBe(1);
    const failure = JSON.parse(out) as { valid: boolean; errors: { path: string; line: number }[] };
    expect(failure.valid).toBe(false);
    expect(failure.errors.map((e) => `${e.line} ${e.path}`)).toEqual([
      '4 model_list[0].litellm_params.model',
      '7 general_settings.client_keys[0].key',
    ]);
    expect(out).not.toContain('sk-grk-pasted-secret');
  });

  it('names a missing file', () => {
    const { code, err } = check(['--config', join(dir, 'missing.yaml')]);
    expect(code).toBe(1);
    expect(err).toContain('missing.yaml: cannot read config file');
  });

  it('reports a broken catalogue, and lets anything else propagate as the bug it is', () => {
    const io = captureIo();
    const broken = () => {
      throw new CatalogError('groq-models.yaml', 'llama', 'limits.free.rpm', 'expected a number');
    };
    expect(runCheck(['--config', join(dir, 'good.yaml')], io, { env: ENV, loadCatalog: broken })).toBe(1);
    expect(io.stderr()).toContain('groq-models.yaml: model "llama": field "limits.free.rpm": expected a number');
    const bug = () => {
      throw new TypeError('bug');
    };
    expect(() => runCheck(['--config', join(dir, 'good.yaml')], io, { env: ENV, loadCatalog: bug })).toThrow('bug');
  });
});

describe('groq-router check, usage', () => {
  it('has --help', () => {
    const { code, out } = check(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('Usage: groq-router check [--config FILE] [--json]');
  });

  it('refuses unknown options and stray arguments', () => {
    expect(check(['--port', '1']).code).toBe(USAGE_ERROR);
    const { code, err } = check(['extra']);
    expect(code).toBe(USAGE_ERROR);
    expect(err).toContain('Usage: groq-router check');
  });
});

describe('alignColumns', () => {
  it('pads every column but the last to its widest cell', () => {
    expect(alignColumns([['a', 'bb', 'c'], ['ccc', 'd', 'e']])).toEqual(['a    bb  c', 'ccc  d   e']);
  });
});
