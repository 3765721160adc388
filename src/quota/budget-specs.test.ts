import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../catalog/load.js';
import { parseConfig } from '../config/load.js';
import { budgetId, budgetSpecs } from './budget-specs.js';

const catalog = loadCatalog();
const env = { KEY_A: 'gsk_key_for_org_a_0000000001', KEY_B: 'gsk_key_for_org_b_0000000002' };

function specs(entries: string, plan = 'free') {
  const config = parseConfig(`model_list:\n${entries}router_settings:\n  groq_plan: ${plan}\n`, 'test.yaml', env);
  return { config, byDeployment: budgetSpecs(config.deployments, catalog, config.router.groqPlan) };
}

const entry = (alias: string, key: string, extra = '', model = 'llama-3.3-70b-versatile') =>
  `  - model_name: ${alias}\n    litellm_params:\n      model: groq/${model}\n      api_key: os.environ/${key}\n${extra}`;

describe('budgetSpecs', () => {
  it('gives deployments sharing a key and model one budget, and other keys their own', () => {
    const { config, byDeployment } = specs(entry('one', 'KEY_A') + entry('two', 'KEY_A') + entry('three', 'KEY_B'));
    const [one, two, three] = config.deployments.map((d) => byDeployment.get(d.id));
    expect(one).toBe(two);
    expect(three).not.toBe(one);
    expect(one?.id).toBe(budgetId(env.KEY_A, 'llama-3.3-70b-versatile'));
    expect(one?.id).not.toContain(env.KEY_A);
    expect(one?.keyPreview).toBe('gsk_...0001');
  });

  it('takes limits from litellm_params first, else the catalogue for the plan, and says which', () => {
    const { config, byDeployment } = specs(entry('one', 'KEY_A', '      rpm: 10\n      tpd: null\n'));
    const limits = byDeployment.get(config.deployments[0]!.id)?.limits;
    expect(limits?.rpm).toEqual({ limit: 10, source: 'config' });
    expect(limits?.tpm).toEqual({ limit: 12_000, source: 'catalogue' });
    expect(limits?.rpd).toEqual({ limit: 1_000, source: 'catalogue' });
    expect(limits?.tpd).toEqual({ limit: null, source: 'none' });
    expect(limits?.ash).toEqual({ limit: null, source: 'none' });
  });

  it('keeps 0 as a limit that admits nothing', () => {
    const { config, byDeployment } = specs(entry('one', 'KEY_A', '      rpm: 0\n'));
    expect(byDeployment.get(config.deployments[0]!.id)?.limits.rpm).toEqual({ limit: 0, source: 'config' });
  });

  it('holds a shared budget to the lowest limit any sharer states', () => {
    const { config, byDeployment } = specs(entry('one', 'KEY_A', '      rpm: 20\n') + entry('two', 'KEY_A', '      rpm: 5\n') + entry('three', 'KEY_A', '      rpm: null\n'));
    expect(byDeployment.get(config.deployments[0]!.id)?.limits.rpm).toEqual({ limit: 5, source: 'config' });
  });

  it('reads documented audio limits for whisper models', () => {
    const { config, byDeployment } = specs(entry('stt', 'KEY_A', '', 'whisper-large-v3'));
    const limits = byDeployment.get(config.deployments[0]!.id)?.limits;
    expect(limits?.ash).toEqual({ limit: 7_200, source: 'catalogue' });
    expect(limits?.asd).toEqual({ limit: 28_800, source: 'catalogue' });
  });

  it('gives unconfigured deployments no budget', () => {
    const { config, byDeployment } = specs(entry('one', 'MISSING_KEY'));
    expect(byDeployment.get(config.deployments[0]!.id)).toBeUndefined();
  });
});
