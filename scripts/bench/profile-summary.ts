/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`, e.g. `ab.ts --prof dir`) by self time: the top
 * functions, and the share of each place the time is spent (our code, Node's internals, each package,
 * GC, the idle loop). Usage: tsx scripts/bench/profile-summary.ts [--top 40] file.cpuprofile [...]
 * With two files it prints them side by side (before, after).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '40' } } });

/** Where a frame belongs: a package under node_modules, Node's own code, ours, or V8's pseudo-frames. */
function place(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)' || functionName === '(program)') return functionName;
    return 'native';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) return pkg[1] as string;
  if (url.startsWith('node:')) return 'node';
  return 'ours';
}

interface Summary { total: number; busy: number; byFunction: Map<string, number>; byPlace: Map<string, number> }

function summarise(file: string): Summary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfTime = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    // V8 records the delta before each sample; the time belongs to the sample that ends it.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfTime.set(id, (selfTime.get(id) ?? 0) + dt);
  }
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let total = 0;
  let busy = 0;
  for (const [id, t] of selfTime) {
    const frame = (nodes.get(id) as ProfileNode).callFrame;
    const where = place(frame);
    total += t;
    if (where === '(idle)') continue;
    busy += t;
    const file = frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist[^/]*\//, '').replace(/^node:/, '');
    const key = `${frame.functionName || '(anonymous)'} ${file}${file === '' ? '' : `:${frame.lineNumber + 1}`}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + t);
    byPlace.set(where, (byPlace.get(where) ?? 0) + t);
  }
  return { total, busy, byFunction, byPlace };
}

const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1).padStart(5)} %`;
const summaries = positionals.map(summarise);
for (const [i, s] of summaries.entries()) {
  console.log(`\n== ${positionals[i]}: busy ${(s.busy / 1e6).toFixed(2)} s of ${(s.total / 1e6).toFixed(2)} s`);
  console.log('-- by place');
  for (const [k, t] of [...s.byPlace].sort((a, b) => b[1] - a[1])) console.log(`${pct(t, s.busy)}  ${k}`);
  console.log('-- top functions by self time');
  for (const [k, t] of [...s.byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`${pct(t, s.busy)}  ${k}`);
}
