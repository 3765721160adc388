import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Groq from 'groq-sdk';
import OpenAI from 'openai';
import { createLogger } from '../../src/log.js';
import type { QuotaStore } from '../../src/quota/types.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { startFakeGroq, type FakeGroq, type FakeGroqOptions } from '../fake-groq/server.js';

/** A key the fake Groq accepts; recognisable so secret-hygiene checks can look for it. */
export const UPSTREAM_KEY = 'gsk_integration_upstream_key_0123456789';

export interface Stack {
  readonly fake: FakeGroq;
  readonly gateway: RunningGateway;
  /** Gateway base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Every line the gateway logged. */
  readonly logs: string[];
  /** An OpenAI client whose `baseURL` is the gateway's `/v1`, retries off so tests see every answer. */
  openai(apiKey?: string): OpenAI;
  /** A groq-sdk client whose `baseURL` is the gateway (the SDK adds `/openai/v1`). */
  groq(apiKey?: string): Groq;
  close(): Promise<void>;
}

export interface StackOptions {
  /** The config file's text; `FAKE_URL` is replaced by the fake Groq's base URL. */
  readonly yaml: string;
  readonly fake?: FakeGroqOptions;
  readonly env?: Record<string, string>;
  readonly quota?: QuotaStore;
  /** The clock of the quota store and the fake, when a test moves time by hand. */
  readonly clock?: () => number;
  /** How the gateway's log lines are written (`logs`); the readable text form unless said otherwise. */
  readonly logFormat?: 'json' | 'text';
  readonly logLevel?: 'debug' | 'info';
}

/** Starts a fake Groq and the real gateway in front of it, configured by a temporary YAML file. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const fake = await startFakeGroq(options.fake);
  const dir = mkdtempSync(join(tmpdir(), 'groq-router-test-'));
  const configFile = join(dir, 'litellm.config.yaml');
  writeFileSync(configFile, options.yaml.replaceAll('FAKE_URL', fake.url));
  const logs: string[] = [];
  let gateway: RunningGateway;
  try {
    gateway = await startGateway({
      configFile,
      port: 0,
      host: '127.0.0.1',
      env: { GROQ_API_KEY: UPSTREAM_KEY, ...options.env },
      log: createLogger(options.logLevel ?? 'debug', (line) => logs.push(line), options.logFormat ?? 'text'),
      quota: options.quota,
      clock: options.clock,
    });
  } catch (err) {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    fake,
    gateway,
    url: gateway.url,
    logs,
    openai: (apiKey = 'sk-anything') => new OpenAI({ apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 }),
    groq: (apiKey = 'sk-anything') => new Groq({ apiKey, baseURL: gateway.url, maxRetries: 0 }),
    close: async () => {
      await gateway.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
      // Every integration test doubles as a secret-hygiene check of the gateway's log.
      const secrets = Object.values({ GROQ_API_KEY: UPSTREAM_KEY, ...options.env }).filter((value) => /^(sk-|gsk_)/.test(value) && value.length >= 16);
      const leaked = logs.filter((line) => secrets.some((secret) => line.includes(secret)));
      if (leaked.length > 0) throw new Error(`the gateway logged a secret:\n${leaked.join('\n')}`);
    },
  };
}

/**
 * One clock for the fake Groq's windows and the gateway's budgets, moved by hand, so a minute passes in
 * a line. It starts on a whole minute, which keeps the arithmetic in assertions readable.
 */
export class ManualClock {
  t = Math.ceil(Date.now() / 60_000) * 60_000;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Limits high enough that tests of routing never meet a budget; budget tests set their own. */
export const UNLIMITED = '\n      rpm: 100000\n      tpm: 100000000\n      rpd: null\n      tpd: null';

/** One deployment of `model` under `alias`, pointed at the fake Groq; `extra` adds litellm_params lines. */
export function deploymentYaml(alias: string, model: string, extra = '', limits = UNLIMITED): string {
  return `  - model_name: ${alias}
    litellm_params:
      model: groq/${model}
      api_key: os.environ/GROQ_API_KEY
      api_base: FAKE_URL/openai/v1${limits}${extra}
`;
}
