import { createServer } from 'node:net';
import Groq from 'groq-sdk';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import type { GatewayConfig } from '../config/types.js';
import { createRedisClient, redisAddress } from '../quota/redis-client.js';
import { keyPreview } from '../config/secrets.js';
import { upstreamBaseURL } from '../upstream/client.js';
import { providers } from '../upstream/providers.js';
import { parseCommandLine, type CommandIo } from './io.js';
import { GATEWAY_OPTIONS, listenAddress, portProblem } from './listen.js';

export const DOCTOR_USAGE = `Usage: groq-router doctor [--config FILE] [--port N] [--host ADDR]

Checks what the gateway needs, without spending tokens: the config; each Groq key against the
upstream's model list (keys shown as previews); each base URL's form and reachability; Redis when
configured (version >= 7, maxmemory-policy); the listen port; the Node version. One line per check,
✓ or ✗ with the fix.

  --config  LiteLLM-format config file (default: litellm.config.yaml)
  --port    the port the gateway will listen on (default: $PORT or 4000)
  --host    the address it will bind (default: $HOST or 127.0.0.1)

Exit status: 0 when every check passes, 1 when any fails, 2 on bad usage.
`;

const NODE_MINIMUM = [20, 18] as const;
const GROQ_DEFAULT_BASE = 'https://api.groq.com';

interface Check {
  readonly ok: boolean;
  readonly text: string;
}

export interface DoctorDeps {
  readonly env?: NodeJS.ProcessEnv;
  readonly nodeVersion?: string;
  /** Per upstream call; default 10 s. */
  readonly timeoutMs?: number;
}

export async function runDoctor(argv: readonly string[], io: CommandIo, deps: DoctorDeps = {}): Promise<number> {
  const values = parseCommandLine(argv, GATEWAY_OPTIONS, 'groq-router doctor', DOCTOR_USAGE, io);
  if (typeof values === 'number') return values;
  const env = deps.env ?? process.env;
  const checks: Check[] = [];
  const report = (check: Check) => {
    checks.push(check);
    io.out(`${check.ok ? '✓' : '✗'} ${check.text}\n`);
  };

  report(nodeCheck(deps.nodeVersion ?? process.versions.node));
  let config: GatewayConfig | undefined;
  try {
    config = loadConfig(values.config, env);
    const unconfigured = config.deployments.filter((d) => d.unconfiguredReason !== undefined).length;
    report({ ok: true, text: `config ${config.file}: ${config.deployments.length} deployments${unconfigured > 0 ? `, ${unconfigured} without a key` : ''}, ${config.warnings.length} warnings` });
    for (const warning of config.warnings) io.out(`    ${warning.message}\n`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    report({ ok: false, text: `config is invalid; fix these and run doctor again (groq-router check shows the table):\n${error.message}` });
  }
  if (config !== undefined) {
    for (const check of await upstreamChecks(config, env, deps.timeoutMs ?? 10_000)) report(check);
    if (config.router.redis !== undefined) report(await redisCheck(config));
  }
  const { port, host } = listenAddress(values, env);
  const badPort = portProblem(port, values, env);
  report(badPort === undefined ? await portCheck(host, port) : { ok: false, text: badPort });

  const failed = checks.filter((c) => !c.ok).length;
  io.out(failed === 0 ? 'All checks passed.\n' : `${failed} check${failed === 1 ? '' : 's'} failed.\n`);
  return failed === 0 ? 0 : 1;
}

function nodeCheck(version: string): Check {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const ok = major > NODE_MINIMUM[0] || (major === NODE_MINIMUM[0] && minor >= NODE_MINIMUM[1]);
  return ok
    ? { ok, text: `Node ${version}` }
    : { ok, text: `Node ${version} is too old: install Node ${NODE_MINIMUM.join('.')} or newer (https://nodejs.org)` };
}

/** Where a base URL's path is wrong for Groq: it takes the bare host, with or without /openai/v1. */
function baseFormProblem(base: string): string | undefined {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `has scheme ${url.protocol}, expected https:`;
  const path = url.pathname.replace(/\/+$/, '');
  if (path !== '' && path !== '/openai/v1') return `has path ${url.pathname}; Groq's base is ${GROQ_DEFAULT_BASE}, with or without /openai/v1`;
  return undefined;
}

/**
 * One check per Groq account (key and base): the model list, which costs no tokens. A 401 names the
 * key by its preview; a connection error names the base.
 */
async function upstreamChecks(config: GatewayConfig, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Check[]> {
  const checks: Check[] = [];
  const accounts = new Map<string, { key: string; base: string; shown: string; aliases: string[] }>();
  const missing = new Map<string, string[]>();
  for (const d of config.deployments) {
    if (d.provider !== 'groq') continue;
    if (d.apiKey === undefined || d.unconfiguredReason !== undefined) {
      const reason = d.unconfiguredReason ?? 'no API key';
      missing.set(reason, [...(missing.get(reason) ?? []), d.modelName]);
      continue;
    }
    const base = upstreamBaseURL(d.apiBase, providers.groq, env) ?? GROQ_DEFAULT_BASE;
    const shown = d.apiBase ?? env.GROQ_BASE_URL ?? GROQ_DEFAULT_BASE;
    const id = `${d.apiKey}\n${base}`;
    const account = accounts.get(id) ?? { key: d.apiKey, base, shown, aliases: [] };
    if (!account.aliases.includes(d.modelName)) account.aliases.push(d.modelName);
    accounts.set(id, account);
  }
  for (const [reason, aliases] of missing) {
    checks.push({ ok: false, text: `${reason} (${[...new Set(aliases)].join(', ')}): set the variable to a key from https://console.groq.com/keys` });
  }
  const bases = new Set([...accounts.values()].map((a) => a.shown));
  for (const shown of bases) {
    const problem = baseFormProblem(shown);
    if (problem !== undefined) checks.push({ ok: false, text: `base URL ${shown} ${problem} (api_base or GROQ_BASE_URL)` });
  }
  for (const account of accounts.values()) {
    const preview = keyPreview(account.key);
    const client = new Groq({ apiKey: account.key, baseURL: account.base, maxRetries: 0, timeout: timeoutMs });
    try {
      const list = await client.models.list();
      checks.push({ ok: true, text: `key ${preview} at ${account.base}: accepted, ${list.data.length} models (${account.aliases.join(', ')})` });
    } catch (error) {
      if (error instanceof Groq.AuthenticationError || error instanceof Groq.PermissionDeniedError) {
        checks.push({ ok: false, text: `key ${preview} at ${account.base}: refused (${error.status}); put a valid key from https://console.groq.com/keys in its variable (${account.aliases.join(', ')})` });
      } else if (error instanceof Groq.APIConnectionError) {
        const cause = error.cause instanceof Error ? error.cause.message : error.message;
        checks.push({ ok: false, text: `base URL ${account.shown} is unreachable (${cause}); check api_base / GROQ_BASE_URL and the network` });
      } else if (error instanceof Groq.APIError) {
        checks.push({ ok: false, text: `key ${preview} at ${account.base}: the model list answered ${error.status ?? 'an error'}; check api_base / GROQ_BASE_URL` });
      } else {
        throw error;
      }
    }
  }
  return checks;
}

async function redisCheck(config: GatewayConfig): Promise<Check> {
  const settings = config.router.redis;
  if (settings === undefined) return { ok: true, text: 'Redis: not configured' };
  const where = redisAddress(settings);
  const client = createRedisClient(settings, { connectTimeout: 3_000, retryStrategy: () => null });
  let socketError: Error | undefined;
  client.on('error', (error: Error) => (socketError = error));
  try {
    await client.connect();
    const info = await client.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '0';
    if (Number(version.split('.')[0]) < 7) return { ok: false, text: `Redis at ${where} is version ${version}: budgets need Redis 7 or newer` };
    let policy = 'unknown';
    try {
      const reply = (await client.config('GET', 'maxmemory-policy')) as string[];
      policy = reply[1] ?? 'unknown';
    } catch {
      return { ok: true, text: `Redis ${version} at ${where} (CONFIG GET is not allowed; make sure maxmemory-policy is noeviction or volatile-*)` };
    }
    if (policy.startsWith('allkeys-')) {
      return { ok: false, text: `Redis ${version} at ${where} has maxmemory-policy ${policy}, which may evict budgets: set noeviction (CONFIG SET maxmemory-policy noeviction)` };
    }
    return { ok: true, text: `Redis ${version} at ${where}, maxmemory-policy ${policy}` };
  } catch (error) {
    const reason = socketError?.message ?? (error instanceof Error ? error.message : String(error));
    return { ok: false, text: `Redis at ${where} is unreachable (${reason}): start it or fix router_settings.redis_*` };
  } finally {
    client.disconnect();
  }
}

function portCheck(host: string, port: number): Promise<Check> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      resolve({
        ok: false,
        text: `port ${port} on ${host} is not free (${error.code ?? error.message}); is groq-router already running (groq-router status)? Else start on another with --port N or PORT=N`,
      }),
    );
    server.listen(port, host, () => server.close(() => resolve({ ok: true, text: `port ${port} on ${host} is free` })));
  });
}
