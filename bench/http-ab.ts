/**
 * Two builds of the emulator side by side (`node --import tsx bench/http-ab.ts --a <dir> --b <dir> [--kind none]
 * [--workers n | --workers-a n --workers-b m] [--v8-a FLAGS|none] [--v8-b FLAGS|none] [--duration 10s]`): each a bench/http-target.ts of the given kind on its build directory (a copy
 * of dist/ made before a change, and dist/ after it), taking turns in 1 s segments under the same load as
 * bench:http (10 connections, 100-event mixed batches, our load generator), so that the machine's load falls on
 * both alike. Prints each one's events/s (median of its segments) and target CPU µs per event (total over its
 * segments), and B ÷ A. A build directory must be a sibling of dist/ (its modules find node_modules, the catalog and regions/ from there), e.g. `cp -r dist dist-before`; `src` runs the sources through tsx instead.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { devTokenFor } from '../src/config/config.ts';
import { loadRegions, servedRegions } from '../src/service/region/regions.ts';
import { buildPayloads } from '../src/tools/loadgen/payloads.ts';
import { parseDuration, resolveTarget } from '../src/tools/loadgen/parse.ts';
import { runLoad } from '../src/tools/loadgen/runner.ts';
import { NODE_FLAGS } from '../src/tools/cli/node-flags.ts';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}
const dirs = { A: flag('a', ''), B: flag('b', 'dist') };
if (!dirs.A) throw new Error('--a <build dir> is required');
const kind = flag('kind', 'none');
const workers = flag('workers', '');
/** ingest.workers of each (--workers-a, --workers-b; default --workers, else the config's): one build, two thread counts */
const workersOf = { A: flag('workers-a', workers), B: flag('workers-b', workers) };
/**
 * Node / V8 flags of each target's process, on its command line (--v8-a, --v8-b; `none` for none): by default the
 * emulator's own (src/tools/cli/node-flags.ts NODE_FLAGS, as bin/ingestor-sim.js runs), none for bare.
 */
const defaultFlags = kind === 'bare' ? '' : NODE_FLAGS.join(' ');
const flagsOf = (s: string) => (s === 'none' ? '' : s);
const v8Of = { A: flagsOf(flag('v8-a', defaultFlags)), B: flagsOf(flag('v8-b', defaultFlags)) };
const durationMs = parseDuration(flag('duration', '10s'), '--duration');
const regions = servedRegions(loadRegions());
const us = regions.findIndex((r) => r.id === 'us');
const payloads = buildPayloads({ profile: 'mixed', seed: 1, batch: 100, gzip: false, pool: 64 });

interface Target { child: ChildProcess; port: number; cpu: number; events: number; rates: number[] }
function start(dir: string, workers: string, v8: string): Promise<Target> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./http-target.ts', import.meta.url)), [kind, workers, dir], {
      execArgv: ['--import', 'tsx', ...v8.split(/\s+/).filter(Boolean)], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m: { port: number }) => resolve({ child, port: m.port, cpu: 0, events: 0, rates: [] }));
    child.once('exit', (code) => reject(new Error(`target on ${dir} exited with code ${code}`)));
  });
}
const cpuOf = (t: Target) => new Promise<number>((resolve) => {
  t.child.once('message', (m: { cpu: NodeJS.CpuUsage }) => resolve(m.cpu.user + m.cpu.system));
  t.child.send('cpu');
});
const load = (t: Target, ms: number) => runLoad({
  target: resolveTarget(`http://127.0.0.1:${t.port}`), token: devTokenFor(us), hostHeader: regions[us].ingestorHost!, payloads, gzip: false,
  connections: 10, pipelining: 1, durationMs: ms, timeoutMs: 30_000, lateToleranceMs: 5, drainTimeoutMs: 10_000,
});

const targets = { A: await start(dirs.A, workersOf.A, v8Of.A), B: await start(dirs.B, workersOf.B, v8Of.B) };
try {
  for (const t of Object.values(targets)) await load(t, 1000);
  const n = Math.max(2, Math.round(durationMs / 1000));
  for (let i = 0; i < n; i++) {
    for (const k of (i % 2 === 0 ? ['A', 'B'] : ['B', 'A']) as Array<'A' | 'B'>) {
      const t = targets[k];
      const c0 = await cpuOf(t);
      const r = await load(t, durationMs / n);
      t.cpu += (await cpuOf(t)) - c0;
      t.events += r.acc.events;
      t.rates.push(r.acc.events / r.durationSec);
      if (r.acc.errors > 0) process.stdout.write(`${k}: ${r.acc.errors} errors\n`);
    }
  }
} finally {
  await Promise.all(Object.values(targets).map((t) => new Promise<void>((resolve) => { t.child.once('exit', () => resolve()); t.child.send('close'); })));
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fig = (t: Target) => ({ eventsPerSec: median(t.rates), usPerEvent: t.cpu / t.events });
const a = fig(targets.A);
const b = fig(targets.B);
process.stdout.write(`${kind}, ${durationMs / 1000} s each in 1 s turns\n`);
process.stdout.write(`  A ${`${dirs.A} workers ${workersOf.A || 'default'}${v8Of.A ? ` ${v8Of.A}` : ''}`.padEnd(24)} ${Math.round(a.eventsPerSec).toString().padStart(8)} events/s  ${a.usPerEvent.toFixed(2)} µs CPU/event\n`);
process.stdout.write(`  B ${`${dirs.B} workers ${workersOf.B || 'default'}${v8Of.B ? ` ${v8Of.B}` : ''}`.padEnd(24)} ${Math.round(b.eventsPerSec).toString().padStart(8)} events/s  ${b.usPerEvent.toFixed(2)} µs CPU/event\n`);
process.stdout.write(`  B ÷ A: events/s ${(b.eventsPerSec / a.eventsPerSec).toFixed(3)}, CPU/event ${(b.usPerEvent / a.usPerEvent).toFixed(3)}\n`);
