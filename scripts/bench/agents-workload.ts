/**
 * What `npm run bench:agents` sends, decided up front from seeds so that the agents, the second
 * consumer and the packing-aware ideal all see the same requests: the workloads, Groq's free-plan
 * limits for the chain, Kilo-like request bodies and the fake's own count of each prompt.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Accounting } from '../../test/fake-groq/accounting.js';
import { scaledPromptTokens } from '../../test/fake-groq/request.js';

export const ROOT = join(import.meta.dirname, '../..');

/** The alias the agents call and its fallbacks, in chain order (Groq model ids, without `groq/`). */
export const CHAIN = ['llama-3.1-8b-instant', 'openai/gpt-oss-20b', 'qwen/qwen3-32b'] as const;
export type ChainModel = (typeof CHAIN)[number];
export const ALIAS = `groq/${CHAIN[0]}`;

export interface WindowLimits {
  readonly rpm: number;
  readonly rpd: number;
  readonly tpm: number;
  readonly tpd: number;
}

/** Groq's free-plan figures for the chain, read from the catalog the gateway itself seeds from. */
export function freePlanLimits(): Record<ChainModel, WindowLimits> {
  const catalog = parse(readFileSync(join(ROOT, 'config/groq-models.yaml'), 'utf8')) as { models: Record<string, { limits: { free: Record<string, number | null> } }> };
  const out = {} as Record<ChainModel, WindowLimits>;
  for (const model of CHAIN) {
    const free = catalog.models[model]?.limits.free;
    const figure = (name: string): number => {
      const value = free?.[name];
      if (typeof value !== 'number') throw new Error(`config/groq-models.yaml: no free-plan ${name} for ${model}`);
      return value;
    };
    out[model] = { rpm: figure('rpm'), rpd: figure('rpd'), tpm: figure('tpm'), tpd: figure('tpd') };
  }
  return out;
}

/** Roughly Groq's speed for these models. */
export const PACING = { ttftMs: 150, tokensPerSecond: 600 } as const;

export interface Workload {
  /** 1..8, as in issue 13. */
  readonly id: number;
  readonly name: string;
  readonly agents: number;
  /** `null`: the agents send no max_tokens. */
  readonly maxTokens: number | null;
  /** A second consumer spends this share of each model's TPM on the same key, directly at the upstream. */
  readonly otherConsumerShare: number;
  readonly maxQueueWaitSeconds: number | null;
}

export const WORKLOADS: readonly Workload[] = [
  { id: 1, name: '1 agent, max_tokens 8192', agents: 1, maxTokens: 8192, otherConsumerShare: 0, maxQueueWaitSeconds: null },
  { id: 2, name: '1 agent, max_tokens unset', agents: 1, maxTokens: null, otherConsumerShare: 0, maxQueueWaitSeconds: null },
  { id: 3, name: '1 agent, max_tokens 1024', agents: 1, maxTokens: 1024, otherConsumerShare: 0, maxQueueWaitSeconds: null },
  { id: 4, name: '3 agents, max_tokens 8192', agents: 3, maxTokens: 8192, otherConsumerShare: 0, maxQueueWaitSeconds: null },
  { id: 5, name: '3 agents, max_tokens unset', agents: 3, maxTokens: null, otherConsumerShare: 0, maxQueueWaitSeconds: null },
  { id: 6, name: '3 agents, max_tokens 1024', agents: 3, maxTokens: 1024, otherConsumerShare: 0, maxQueueWaitSeconds: null },
  { id: 7, name: '1 agent (8192) + 30% other consumer', agents: 1, maxTokens: 8192, otherConsumerShare: 0.3, maxQueueWaitSeconds: null },
  { id: 8, name: '1 agent (8192), queue 30 s', agents: 1, maxTokens: 8192, otherConsumerShare: 0, maxQueueWaitSeconds: 30 },
];

export interface Rule {
  readonly accounting: Extract<Accounting, 'cap-booked' | 'actual-booked'>;
  /** The fake counts the messages' JSON / 4 times this, so the gateway's estimate is off by about ±10 %. */
  readonly promptScale: number;
}

export const RULES: readonly Rule[] = [
  { accounting: 'cap-booked', promptScale: 1.1 },
  { accounting: 'actual-booked', promptScale: 0.9 },
];

/** mulberry32: small, fast and good enough to make runs repeat. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const uniformInt = (random: () => number, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

/** A few function tools in the shape Kilo Code sends (its real list is longer). */
export const KILO_TOOLS = [
  tool('read_file', 'Read the contents of a file at the given path, relative to the workspace root.', { path: ['string', 'The file path'] }, ['path']),
  tool('write_to_file', 'Write full content to a file, creating directories as needed.', { path: ['string', 'The file path'], content: ['string', 'The complete file content'], line_count: ['integer', 'Number of lines'] }, ['path', 'content', 'line_count']),
  tool('execute_command', 'Execute a CLI command in the workspace and return its output.', { command: ['string', 'The command to run'], cwd: ['string', 'Working directory'] }, ['command']),
  tool('search_files', 'Regex search across files in a directory, with context.', { path: ['string', 'Directory'], regex: ['string', 'Rust regex'], file_pattern: ['string', 'Glob'] }, ['path', 'regex']),
  tool('attempt_completion', 'Present the result of the task to the user.', { result: ['string', 'The final result'] }, ['result']),
];

function tool(name: string, description: string, props: Record<string, [string, string]>, required: string[]) {
  const properties = Object.fromEntries(Object.entries(props).map(([key, [type, desc]]) => [key, { type, description: desc }]));
  return { type: 'function' as const, function: { name, description, parameters: { type: 'object', properties, required, additionalProperties: false } } };
}

const SYSTEM_HEAD =
  'You are Kilo Code, a highly skilled software engineer with extensive knowledge in many programming languages, frameworks, design patterns, and best practices. ' +
  'Use the tools one at a time, wait for the result of each before the next, and finish with attempt_completion. ';
const FILLER_WORDS = ['function', 'return', 'const', 'import', 'export', 'interface', 'async', 'await', 'typeof', 'string', 'number', 'module', 'config', 'request', 'budget', 'window'];

/** `chars` characters of code-ish text, deterministic in `random`. */
function filler(random: () => number, chars: number): string {
  let text = '';
  while (text.length < chars) text += `${FILLER_WORDS[Math.floor(random() * FILLER_WORDS.length)]} `;
  return text.slice(0, chars);
}

export interface AgentRequest {
  readonly messages: Array<{ role: 'system' | 'user'; content: string }>;
  /** Prompt tokens the text was sized for (about 4 characters each). */
  readonly promptTarget: number;
  /** The answer's true length: the `[[completion_tokens=N]]` marker. */
  readonly completionTokens: number;
}

/** How long an agent's answers are, in completion tokens (uniform between the two). */
export const ANSWER_TOKENS = { least: 150, most: 600 } as const;

/** An agent's requests, in order: prompts of 1,500–4,000 tokens, answers of 150–600. */
export function agentRequests(seed: number, count: number): AgentRequest[] {
  const random = seededRandom(seed);
  const requests: AgentRequest[] = [];
  for (let i = 0; i < count; i++) {
    const promptTarget = uniformInt(random, 1_500, 4_000);
    const completionTokens = uniformInt(random, ANSWER_TOKENS.least, ANSWER_TOKENS.most);
    const chars = promptTarget * 4;
    const systemChars = Math.floor(chars * 0.6);
    const system = SYSTEM_HEAD + filler(random, systemChars - SYSTEM_HEAD.length);
    const marker = ` [[completion_tokens=${completionTokens}]]`;
    const task = `<task>Step ${i + 1}: continue the refactoring.</task> `;
    const user = task + filler(random, chars - systemChars - task.length - marker.length) + marker;
    requests.push({ messages: [{ role: 'system', content: system }, { role: 'user', content: user }], promptTarget, completionTokens });
  }
  return requests;
}

/** Seeds per workload and agent, the same under both accounting rules. */
export const agentSeed = (benchSeed: number, workload: number, agent: number): number => benchSeed * 1_000 + workload * 10 + agent;

/** The prompt tokens the fake counts for an agent request under `rule`. */
export const fakePromptTokens = (messages: unknown, tools: unknown, rule: Rule): number => scaledPromptTokens('messages-json', rule.promptScale, messages, tools);

/** The second consumer's small requests: ~200 prompt tokens and 100 completion tokens, capped at 100. */
export const OTHER_CONSUMER_COMPLETION = 100;
export function otherConsumerMessages(model: string, i: number): Array<{ role: 'user'; content: string }> {
  const text = `Summarise item ${i} for ${model}. ${filler(seededRandom(i + 7), 700)}`;
  return [{ role: 'user', content: `${text} [[completion_tokens=${OTHER_CONSUMER_COMPLETION}]]` }];
}

export interface ScheduledSpend {
  readonly at: number;
  readonly model: ChainModel;
  readonly index: number;
  readonly messages: Array<{ role: 'user'; content: string }>;
}

/**
 * When the second consumer sends what, ms from the start: for each model, `share` of its TPM per minute
 * in evenly spaced small requests (models staggered so they do not all fire at once).
 */
export function otherConsumerSchedule(share: number, limits: Record<ChainModel, WindowLimits>, rule: Rule, durationMs: number): ScheduledSpend[] {
  if (share <= 0) return [];
  const spends: ScheduledSpend[] = [];
  CHAIN.forEach((model, m) => {
    const size = fakePromptTokens(otherConsumerMessages(model, 0), null, rule) + OTHER_CONSUMER_COMPLETION;
    const perMinute = (share * limits[model].tpm) / size;
    const interval = 60_000 / perMinute;
    let index = 0;
    for (let at = (interval * m) / CHAIN.length; at < durationMs; at += interval) {
      spends.push({ at, model, index, messages: otherConsumerMessages(model, index) });
      index++;
    }
  });
  return spends.sort((a, b) => a.at - b.at);
}
