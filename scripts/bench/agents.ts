/**
 * `npm run bench:agents`: Kilo-like coding agents through the gateway against a fake Groq with the free
 * plan's limits, under both plausible TPM accounting rules (issue 13). Eight workloads × two rules = 16
 * runs, all at once (each with its own fake and gateway), measured against a packing-aware ideal.
 *
 *   BENCH_DURATION_S (default 180; BENCH_QUICK=1 → 75), BENCH_SEED (default 1), BENCH_ONLY (e.g.
 *   `1:cap-booked,4`), BENCH_GATEWAY_LOGS (a folder: each gateway's log lines are written there),
 *   BENCH_TRACE (a folder: per run, when each agent was served or refused (and why), each upstream call, and
 *   the ideal's sends, as JSON).
 *
 * Prints one markdown table and each run's Done-when verdict; writes JSON to bench-results/.
 * Every process is stopped at the end, on error and on Ctrl-C.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareRun, type PreparedRun, type RunResult } from './agents-run.js';
import { freePlanLimits, PACING, ROOT, RULES, WORKLOADS } from './agents-workload.js';
import { buildGateway, stopAll } from './bench.js';

const QUICK = process.env.BENCH_QUICK === '1';
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? (QUICK ? 75 : 180));
const SEED = Number(process.env.BENCH_SEED ?? 1);
/** `BENCH_ONLY=1:cap-booked,4` runs only those workloads (and rules), for a closer look at one. */
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter((item) => item !== '');
/** Gateways started at a time: sixteen Node start-ups at once would starve two cores past startProcess's timeout. */
const START_BATCH = 4;

const prepared: PreparedRun[] = [];
let stopping: Promise<void> | undefined;
const stopEverything = (): Promise<void> => {
  stopping ??= Promise.allSettled(prepared.map((run) => run.stop())).then(() => stopAll());
  return stopping;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\nbench:agents: ${signal}, stopping every process`);
    void stopEverything().then(() => process.exit(130));
  });
}

interface Verdict {
  readonly pass: boolean;
  readonly failures: string[];
}

/** Issue 13's Done-when, per run. */
function verdict(r: RunResult): Verdict {
  const failures: string[] = [];
  if (r.percentOfIdeal < 90) failures.push(`${r.percentOfIdeal.toFixed(0)}% of ideal < 90%`);
  if (r.otherConsumer === null) {
    if (r.upstream429s > 0) failures.push(`${r.upstream429s} upstream 429s (want 0)`);
  } else if (r.upstream429sPerMin > 1) failures.push(`${r.upstream429sPerMin.toFixed(1)} upstream 429s/min (want ≤ 1)`);
  if (r.cutByGateway > 0) failures.push(`${r.cutByGateway} cut by the gateway's cap`);
  if (r.retriesAfterRetryAfter > 0 && r.retriesSucceeded / r.retriesAfterRetryAfter < 0.95) {
    failures.push(`${r.retriesSucceeded}/${r.retriesAfterRetryAfter} retries after retry-after succeeded (want ≥ 95%)`);
  }
  if (r.otherConsumer !== null && r.otherConsumer.requests > 0 && r.otherConsumer.refused / r.otherConsumer.requests > 0.1) {
    failures.push(`other consumer refused ${r.otherConsumer.refused}/${r.otherConsumer.requests} (want ≤ 10%)`);
  }
  return { pass: failures.length === 0, failures };
}

const fixed = (n: number, digits = 1): string => n.toFixed(digits);
const percent = (part: number, whole: number): string => (whole === 0 ? '–' : `${Math.round((100 * part) / whole)}%`);

function table(results: readonly RunResult[]): string {
  const header = [
    '#',
    'workload',
    'rule',
    'answers/min',
    'ideal/min',
    '% of ideal',
    'ideal with learned caps/min (%)',
    'ideal with the longest answer as cap/min (% of ideal)',
    'client 429s',
    'retries after retry-after (ok)',
    'upstream 429s (/min)',
    'cut by cap',
    'TPM unused while refused',
    'other consumer refused',
    'other errors',
    'Done-when',
  ];
  const rows = results.map((r) => {
    const v = verdict(r);
    return [
      String(r.workload),
      r.name,
      `${r.accounting} ×${r.promptScale}`,
      fixed(r.answersPerMin),
      fixed(r.ideal.perMinute),
      `${Math.round(r.percentOfIdeal)}%`,
      `${fixed(r.idealLearned.perMinute)} (${percent(r.answers, r.idealLearned.answers)})`,
      `${fixed(r.idealLongestCap.perMinute)} (${percent(r.idealLongestCap.answers, r.ideal.answers)})`,
      String(r.client429s),
      `${r.retriesAfterRetryAfter} (${percent(r.retriesSucceeded, r.retriesAfterRetryAfter)})`,
      `${r.upstream429s} (${fixed(r.upstream429sPerMin)})`,
      String(r.cutByGateway),
      r.unusedTpmWhileRefused === null ? '–' : `${Math.round(100 * r.unusedTpmWhileRefused)}%`,
      r.otherConsumer === null ? '–' : `${r.otherConsumer.refused}/${r.otherConsumer.requests} (${percent(r.otherConsumer.refused, r.otherConsumer.requests)})`,
      String(r.otherErrors),
      v.pass ? 'pass' : 'FAIL',
    ];
  });
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

async function main(): Promise<void> {
  if (!Number.isFinite(DURATION_S) || DURATION_S <= 0) throw new Error(`BENCH_DURATION_S must be a positive number, got ${process.env.BENCH_DURATION_S}`);
  buildGateway();
  const limits = freePlanLimits();
  const chosen = (id: number, rule: string) => ONLY.length === 0 || ONLY.some((item) => item === String(id) || item === `${id}:${rule}`);
  const specs = WORKLOADS.flatMap((workload) =>
    RULES.filter((rule) => chosen(workload.id, rule.accounting)).map((rule) => ({ workload, rule, durationMs: DURATION_S * 1000, benchSeed: SEED, limits })),
  );
  console.error(`bench:agents: ${specs.length} runs of ${DURATION_S} s at once (seed ${SEED}); starting fakes and gateways…`);
  for (let i = 0; i < specs.length; i += START_BATCH) {
    prepared.push(...(await Promise.all(specs.slice(i, i + START_BATCH).map((spec) => prepareRun(spec)))));
  }
  console.error(`bench:agents: running (about ${DURATION_S} s)…`);
  const results = await Promise.all(prepared.map((run) => run.go()));
  await stopEverything();

  const machine = { node: process.version, durationS: DURATION_S, seed: SEED, pacing: PACING, limits };
  console.log(`\nbench:agents, ${DURATION_S} s per run, seed ${SEED}, free-plan limits ${JSON.stringify(limits)}\n`);
  console.log(table(results));
  console.log('\nDone-when per run:');
  for (const r of results) {
    const v = verdict(r);
    const byMinute = r.otherConsumer === null ? '' : ` (other consumer refused per minute: ${r.otherConsumer.refusedByMinute.join(', ') || 0})`;
    console.log(`- ${r.workload} ${r.name}, ${r.accounting}: ${v.pass ? 'pass' : `FAIL: ${v.failures.join('; ')}`}${byMinute}`);
  }
  const errors = results.filter((r) => r.otherErrorSamples.length > 0);
  for (const r of errors) console.log(`  errors in ${r.workload} ${r.accounting}: ${r.otherErrorSamples.join(' | ')}`);
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  const file = join(ROOT, 'bench-results', `agents-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ machine, results: results.map((r) => ({ ...r, verdict: verdict(r) })) }, null, 2));
  console.log(`\nwritten to ${file}`);
}

try {
  await main();
} finally {
  await stopEverything();
}
