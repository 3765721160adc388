import { parseCommandLine, STAY_RUNNING, type CommandIo, type CommandResult } from './io.js';

export const STATUS_USAGE = `Usage: groq-router status [--url URL] [--key KEY] [--watch] [--json]

Prints what a running gateway is doing (the picture of its status page at /ui): readiness, each alias
with its fallback chain, deployments ejected and why, budgets per window as bars, the last refusals.

  --url    the gateway (default: http://127.0.0.1:$PORT, else :4000)
  --key    master or client key when the gateway has keys (default: $GROQ_ROUTER_KEY)
  --watch  redraw every second until interrupted
  --json   print GET /status as JSON instead

Exit status: 0 when the gateway answered, 1 when it could not be reached or refused the key, 2 on bad usage.
`;

/** The parts of GET /status this command draws; see src/endpoints/status/status.ts. */
interface Status {
  version: string;
  plan: string;
  readiness: { status: string; unusable_aliases: Array<{ alias: string; deployments: Array<{ reason: string }> }>; budgets: string };
  aliases: Array<{ alias: string; chain: string[]; deployments: Array<{ id: string; model: string; state: string; reason: string | null; trial_in_s: number | null }> }>;
  budgets: Array<{
    model: string;
    key: string;
    deployments: Array<{ model_name: string }>;
    windows: Record<string, { limit: number | null; used: number; remaining: number | null; reset_in_s: number | null }>;
  }>;
  requests: Array<{ at: string; alias: string; status: number; reason: string | null; durationMs: number }>;
}

export async function runStatus(argv: readonly string[], io: CommandIo, env: NodeJS.ProcessEnv = process.env): Promise<CommandResult> {
  const values = parseCommandLine(
    argv,
    {
      url: { type: 'string' },
      key: { type: 'string' },
      watch: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    'groq-router status',
    STATUS_USAGE,
    io,
  );
  if (typeof values === 'number') return values;
  const base = (values.url ?? `http://127.0.0.1:${env.PORT ?? 4000}`).replace(/\/+$/, '');
  const key = values.key ?? env.GROQ_ROUTER_KEY;
  const once = async (): Promise<number> => {
    const got = await fetchStatus(base, key);
    if (typeof got === 'string') {
      io.err(`groq-router status: ${got}\n`);
      return 1;
    }
    io.out(values.json ? `${JSON.stringify(got, null, 2)}\n` : renderStatus(got, base));
    return 0;
  };
  if (!values.watch) return once();
  const tick = async () => {
    // Clear the screen and home the cursor, then draw the whole picture again.
    io.out('\u001b[2J\u001b[H');
    await once();
  };
  await tick();
  setInterval(() => void tick(), 1_000);
  return STAY_RUNNING;
}

async function fetchStatus(base: string, key: string | undefined): Promise<Status | string> {
  let res: Response;
  try {
    res = await fetch(`${base}/status`, { headers: key ? { authorization: `Bearer ${key}` } : {}, signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
    return `cannot reach the gateway at ${base} (${cause}); is it running? (--url to point elsewhere)`;
  }
  if (res.status === 401 || res.status === 403) return `${base} refused the key (${res.status}); pass --key or set GROQ_ROUTER_KEY`;
  if (!res.ok) return `${base}/status answered ${res.status}`;
  return (await res.json()) as Status;
}

const BAR_WIDTH = 20;

function bar(used: number, limit: number): string {
  const filled = limit > 0 ? Math.min(BAR_WIDTH, Math.round((used / limit) * BAR_WIDTH)) : BAR_WIDTH;
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
}

const num = (n: number | null) => (n === null ? '-' : Math.round(n).toLocaleString('en-US'));
const secs = (s: number | null) => (s === null ? '-' : `${Math.ceil(s)}s`);

/** The status as text: the same sections as the page, in the same order. */
export function renderStatus(status: Status, base: string): string {
  const lines: string[] = [];
  lines.push(`groq-router ${status.version} at ${base}: ${status.readiness.status} (plan ${status.plan}, budgets in ${status.readiness.budgets})`);
  for (const u of status.readiness.unusable_aliases) lines.push(`  ✗ ${u.alias}: no deployment can serve (${u.deployments.map((d) => d.reason).join('; ')})`);
  lines.push('', 'aliases');
  for (const a of status.aliases) {
    lines.push(`  ${a.alias}  chain ${a.chain.join(' -> ')}`);
    for (const d of a.deployments) {
      const rest = d.state === 'serving' ? '' : `  ${d.reason ?? ''}${d.trial_in_s !== null ? ` (trial in ${d.trial_in_s}s)` : ''}`;
      lines.push(`    ${d.state.padEnd(12)} ${d.model} (${d.id})${rest}`);
    }
  }
  lines.push('', 'budgets');
  for (const b of status.budgets) {
    lines.push(`  ${b.model}  key ${b.key}  (${b.deployments.map((d) => d.model_name).join(', ')})`);
    for (const [name, w] of Object.entries(b.windows)) {
      if (w.limit === null) continue;
      lines.push(`    ${name.toUpperCase().padEnd(4)} ${bar(w.used, w.limit)} ${num(w.used)} / ${num(w.limit)} used, ${num(w.remaining)} left, resets in ${secs(w.reset_in_s)}`);
    }
  }
  const refused = status.requests.filter((r) => r.status >= 400).slice(0, 5);
  if (refused.length > 0) {
    lines.push('', 'last refusals');
    for (const r of refused) lines.push(`  ${r.at.slice(11, 19)} ${r.alias} ${r.status}: ${r.reason ?? ''}`);
  }
  return `${lines.join('\n')}\n`;
}
