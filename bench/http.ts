/**
 * End-to-end HTTP benchmark (`npm run bench:http`, `npm run bench:http -- --json`).
 * In one run: a bare Fastify endpoint that JSON.parses each batch and discards it (the baseline), the emulator
 * with store none, and the emulator with the default store (SQLite, temp dir), each in its own process and each
 * driven by our load generator and by autocannon with the same 100-event batches. The three targets run side by
 * side and take turns in 1 s segments, so that a change in the machine's load falls on all of them alike. Prints the figures and the
 * ratios against the goals (issue 12): emulator (none) ≥ 0.8 × bare events/s, default store ≥ 0.6 × bare; whole-process
 * CPU per event of the target (user + system, all threads) none ≤ 1.3 × bare's, default store ≤ 1.7 × bare's; and our
 * load generator ≥ 0.9 × autocannon's request rate on the same target.
 * CPU is the target process's own: process.cpuUsage() (getrusage RUSAGE_SELF, every thread, living or ended) read
 * over IPC inside the target just before and just after each measured segment; the load generator and autocannon
 * run in this process, so their CPU is never in the figure. /proc/<pid>/stat utime + stime (clock ticks) is read at
 * the same moments as a cross-check.
 * The emulator targets run the compiled build (dist/, as users run it; built first here), not the sources through tsx,
 * with the Node flags the command runs with (src/tools/cli/node-flags.ts NODE_FLAGS: single-threaded GC); bare runs
 * with Node's defaults, the baseline as issue 12 defines it (the flag gives it × 0.99 of its CPU per event on a busy
 * machine, × 0.94–0.99 on a quiet one: bench/http-ab.ts --kind bare --v8-b --single-threaded-gc).
 * Options: --json  --duration 5s  --warmup 1s (each target's, in 1 s turns)  --connections 10  --pipelining 1  --batch 100  --profile mixed  --seed 1
 *          --workers <n> (the emulator's ingest.workers; default: the config's)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { devTokenFor } from '../src/config/config.ts';
import { loadRegions, servedRegions } from '../src/service/region/regions.ts';
import { isProfile } from '../src/tools/gen/index.ts';
import { buildPayloads } from '../src/tools/loadgen/payloads.ts';
import { parseDuration, parseIntIn, resolveTarget } from '../src/tools/loadgen/parse.ts';
import { runLoad } from '../src/tools/loadgen/runner.ts';
import { NODE_FLAGS } from '../src/tools/cli/node-flags.ts';

type Kind = 'bare' | 'none' | 'store';
const KINDS: Kind[] = ['bare', 'none', 'store'];

/** The target's CPU over one tool's measured segments: total CPU µs ÷ events answered with success. */
interface CpuFigures {
  /** µs of target CPU (user + system, all threads) per event, over all of the tool's segments */
  usPerEvent: number;
  userUsPerEvent: number;
  systemUsPerEvent: number;
  /** lowest and highest of the per-segment figures */
  usPerEventRange: [number, number];
  /** target CPU seconds per wall second while loaded: how many cores it kept busy */
  cores: number;
  /** the same total from /proc/<pid>/stat utime + stime (clock ticks, so ± 1 tick per segment) */
  procStatUsPerEvent: number | null;
  /** this process's CPU per event over the same segments (the client: our load generator or autocannon), kept apart */
  clientUsPerEvent: number;
  events: number;
}

interface Cell {
  eventsPerSec: number;
  p99Ms: number;
  requestsPerSec: number;
  errors: number;
  segments: number;
  requestsPerSecRange: [number, number];
  cpu: CpuFigures;
  /**
   * The target's CPU while it waited between its segments (the other targets' turns) per event of all its segments:
   * work it deferred (the store's totals, once a second) that no segment saw, beside an idle process's own cost
   */
  cpuOutsideSegmentsUsPerEvent: number;
  autocannon: { requestsPerSec: number; eventsPerSec: number; p99Ms: number; errors: number; requestsPerSecRange: [number, number]; cpu: CpuFigures };
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const asJson = process.argv.includes('--json');
const durationMs = parseDuration(flag('duration', '5s'), '--duration');
const warmupMs = parseDuration(flag('warmup', '1s'), '--warmup');
const connections = parseIntIn(flag('connections', '10'), '--connections', 1, 1000);
const pipelining = parseIntIn(flag('pipelining', '1'), '--pipelining', 1, 64);
const batch = parseIntIn(flag('batch', '100'), '--batch', 1, 100_000);
const profile = flag('profile', 'mixed');
if (!isProfile(profile)) throw new Error(`unknown --profile ${profile}`);
const seed = Number(flag('seed', '1'));
const workers = flag('workers', '');
const log = (s: string) => { if (!asJson) process.stdout.write(s); };
const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);

const regions = servedRegions(loadRegions());
const us = regions.findIndex((r) => r.id === 'us');
const token = devTokenFor(us);
const hostHeader = regions[us].ingestorHost!;
const payloads = buildPayloads({ profile, seed, batch, gzip: false, pool: 64 });
// the targets import dist/: build it from the sources as they are now (incremental, about a second when current)
const built = spawnSync(process.execPath, [fileURLToPath(new URL('../scripts/build.mjs', import.meta.url)), '--quiet'], { stdio: 'inherit' });
if (built.status !== 0) throw new Error('bench:http: npm run build failed');

function startTarget(kind: Kind): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./http-target.ts', import.meta.url)), [kind, workers], {
      // the emulator with the Node flags its command runs with (bin/ingestor-sim.js); bare with Node's defaults
      execArgv: ['--import', 'tsx', ...(kind === 'bare' ? [] : NODE_FLAGS)], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${kind} target did not start in 30 s`)); }, 30_000);
    child.once('message', (m: { port: number }) => { clearTimeout(timer); child.on('message', (x) => onCpu(child, x)); resolve({ child, port: m.port }); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${kind} target exited with code ${code}`)); });
  });
}

function stopTarget(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    child.send('close');
  });
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux almost everywhere). */
const clockTicks = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
})();

/** utime + stime of a process in µs from /proc/<pid>/stat (all its threads), or null off Linux. */
function procStatCpuUs(pid: number): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: count fields after its closing ')'
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / clockTicks; // fields 14 and 15 of proc(5)
  } catch {
    return null;
  }
}

interface CpuReading { user: number; system: number; proc: number | null; at: number }
const cpuWaiters = new Map<ChildProcess, (u: NodeJS.CpuUsage) => void>();
function onCpu(child: ChildProcess, m: unknown): void {
  const w = cpuWaiters.get(child);
  if (m && typeof m === 'object' && 'cpu' in m && w) { cpuWaiters.delete(child); w((m as { cpu: NodeJS.CpuUsage }).cpu); }
}

/** The target's CPU now: process.cpuUsage() answered by the target over IPC, and its /proc stat. */
function readCpu(child: ChildProcess): Promise<CpuReading> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { cpuWaiters.delete(child); reject(new Error('the target did not report its CPU in 10 s')); }, 10_000);
    cpuWaiters.set(child, (u) => { clearTimeout(t); resolve({ user: u.user, system: u.system, proc: procStatCpuUs(child.pid!), at: performance.now() }); });
    child.send('cpu');
  });
}

async function ours(url: string, ms: number) {
  const out = await runLoad({
    target: resolveTarget(url), token, hostHeader, payloads, gzip: false, connections, pipelining,
    durationMs: ms, timeoutMs: 30_000, lateToleranceMs: 5, drainTimeoutMs: 10_000,
  });
  const d = out.durationSec;
  return { requestsPerSec: out.acc.requests / d, eventsPerSec: out.acc.events / d, p99Ms: out.acc.latency.getValueAtPercentile(99) / 1000, errors: out.acc.errors, events: out.acc.events };
}

interface Load { requestsPerSec: number; eventsPerSec: number; p99Ms: number; errors: number; events: number }
interface Segment extends Load { cpuUserUs: number; cpuSystemUs: number; procCpuUs: number | null; wallUs: number; clientCpuUs: number }

/** One measured segment: the target's CPU read just before and just after the load. */
async function measured(child: ChildProcess, load: () => Promise<Load>): Promise<Segment> {
  const a = await readCpu(child);
  const c0 = process.cpuUsage();
  const r = await load();
  const c1 = process.cpuUsage(c0);
  const b = await readCpu(child);
  return {
    clientCpuUs: c1.user + c1.system,
    ...r, cpuUserUs: b.user - a.user, cpuSystemUs: b.system - a.system,
    procCpuUs: a.proc === null || b.proc === null ? null : b.proc - a.proc, wallUs: (b.at - a.at) * 1000,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Median of the segments' rates and p99s (robust to a burst of noise from other processes); errors added. */
function combine(segs: Segment[]) {
  return {
    requestsPerSec: median(segs.map((x) => x.requestsPerSec)), eventsPerSec: median(segs.map((x) => x.eventsPerSec)),
    p99Ms: median(segs.map((x) => x.p99Ms)), errors: segs.reduce((a, x) => a + x.errors, 0),
    segments: segs.length,
    spread: { min: Math.min(...segs.map((x) => x.requestsPerSec)), max: Math.max(...segs.map((x) => x.requestsPerSec)) },
    cpu: cpuOf(segs),
  };
}

/** Total target CPU over total events of the segments (a per-segment median would weigh a short noisy segment as much). */
function cpuOf(segs: Segment[]): CpuFigures {
  const sum = (f: (s: Segment) => number) => segs.reduce((a, x) => a + f(x), 0);
  const events = sum((x) => x.events);
  const user = sum((x) => x.cpuUserUs);
  const system = sum((x) => x.cpuSystemUs);
  const per = segs.filter((x) => x.events > 0).map((x) => (x.cpuUserUs + x.cpuSystemUs) / x.events);
  const proc = segs.every((x) => x.procCpuUs !== null) ? sum((x) => x.procCpuUs!) : null;
  return {
    usPerEvent: round(events ? (user + system) / events : NaN, 3), userUsPerEvent: round(events ? user / events : NaN, 3),
    systemUsPerEvent: round(events ? system / events : NaN, 3),
    usPerEventRange: [round(Math.min(...per), 3), round(Math.max(...per), 3)],
    cores: round((user + system) / sum((x) => x.wallUs), 3),
    procStatUsPerEvent: proc === null || !events ? null : round(proc / events, 3),
    clientUsPerEvent: round(events ? sum((x) => x.clientCpuUs) / events : NaN, 3),
    events,
  };
}

async function theirs(url: string, ms: number) {
  const bodies = payloads.full.map((p) => ({ body: p.body }));
  const r = await autocannon({
    url: `${url}/services/collector/event`, connections, pipelining, duration: ms / 1000, method: 'POST',
    headers: { 'host': hostHeader, 'authorization': `Splunk ${token}`, 'content-type': 'application/json' }, requests: bodies,
  });
  const ok = r.requests.total - r.non2xx;
  // batches cycle in the same order as ours; each holds `batch` events
  return { requestsPerSec: r.requests.total / r.duration, eventsPerSec: (ok * batch) / r.duration, p99Ms: r.latency.p99, errors: r.errors + r.non2xx, events: ok * batch };
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const cells: Partial<Record<Kind, Cell | { error: string }>> = {};
log(`bench:http — ${connections} connection(s), pipelining ${pipelining}, ${batch}-event ${profile} batches, ${durationMs / 1000} s per tool and target (1 s turns, targets interleaved, medians; +${warmupMs / 1000} s warm-up)\n`);
// every target runs for the whole measurement (an idle one costs nothing); they take turns in 1 s segments,
// bare none store, store none bare, ..., and within a target's turn the tools alternate (A B, B A): drift (JIT,
// SQLite growth) and bursts from other processes on a shared machine then favour no target and no tool
const targets = new Map<Kind, { child: ChildProcess; url: string; as: Segment[]; bs: Segment[]; first?: CpuReading; last?: CpuReading }>();
const fail = (kind: Kind, err: unknown) => {
  cells[kind] = { error: (err as Error).message };
  targets.delete(kind);
  log(`  ${kind.padEnd(6)} failed: ${(err as Error).message}\n`);
};
const started: ChildProcess[] = [];
try {
  for (const kind of KINDS) {
    try {
      const t = await startTarget(kind);
      started.push(t.child);
      targets.set(kind, { child: t.child, url: `http://127.0.0.1:${t.port}`, as: [], bs: [] });
    } catch (err) { fail(kind, err); }
  }
  // warm-up in the same 1 s turns (a longer --warmup is given in turns, so no target warms alone): a target's JIT
  // keeps optimising for seconds, while the default store's index and log grow (docs/benchmarks.md: how --warmup
  // 15s moves the figures)
  const turns = Math.max(1, Math.round(warmupMs / 1000));
  for (let i = 0; i < turns; i++) {
    for (const [kind, t] of targets) {
      try { await ours(t.url, warmupMs / turns); } catch (err) { fail(kind, err); }
    }
  }
  for (const [kind, t] of targets) {
    try { t.first = await readCpu(t.child); } catch (err) { fail(kind, err); }
  }
  const n = Math.max(2, Math.round(durationMs / 1000));
  const seg = durationMs / n;
  for (let i = 0; i < n; i++) {
    for (const kind of i % 2 === 0 ? KINDS : [...KINDS].reverse()) {
      const t = targets.get(kind);
      if (!t) continue;
      try {
        if (i % 2 === 0) {
          t.as.push(await measured(t.child, () => ours(t.url, seg)));
          t.bs.push(await measured(t.child, () => theirs(t.url, seg)));
        } else {
          t.bs.push(await measured(t.child, () => theirs(t.url, seg)));
          t.as.push(await measured(t.child, () => ours(t.url, seg)));
        }
      } catch (err) { fail(kind, err); }
    }
  }
  for (const [kind, t] of targets) {
    try { t.last = await readCpu(t.child); } catch (err) { fail(kind, err); }
  }
  for (const [kind, t] of targets) {
    const a = combine(t.as);
    const all = [...t.as, ...t.bs];
    const inSegs = all.reduce((x, g) => x + g.cpuUserUs + g.cpuSystemUs, 0);
    const allEvents = all.reduce((x, g) => x + g.events, 0);
    const whole = t.last!.user + t.last!.system - t.first!.user - t.first!.system;
    const b = combine(t.bs);
    const cell: Cell = {
      eventsPerSec: round(a.eventsPerSec), p99Ms: round(a.p99Ms, 2), requestsPerSec: round(a.requestsPerSec), errors: a.errors,
      segments: a.segments, requestsPerSecRange: [round(a.spread.min), round(a.spread.max)], cpu: a.cpu,
      cpuOutsideSegmentsUsPerEvent: round(allEvents ? (whole - inSegs) / allEvents : NaN, 3),
      autocannon: { requestsPerSec: round(b.requestsPerSec), eventsPerSec: round(b.eventsPerSec), p99Ms: round(b.p99Ms, 2), errors: b.errors, requestsPerSecRange: [round(b.spread.min), round(b.spread.max)], cpu: b.cpu },
    };
    cells[kind] = cell;
    const cpuText = (c: CpuFigures) => `cpu ${c.usPerEvent.toFixed(2)} µs/event (${c.usPerEventRange.map((x) => x.toFixed(2)).join('-')}; ${c.cores.toFixed(2)} cores; client ${c.clientUsPerEvent.toFixed(2)} µs/event, not counted)`;
    log(`  ${kind.padEnd(6)} loadgen    ${String(cell.eventsPerSec).padStart(9)} events/s ${String(cell.requestsPerSec).padStart(8)} req/s (${cell.requestsPerSecRange.join('-')}) p99 ${cell.p99Ms} ms errors ${cell.errors}  ${cpuText(cell.cpu)}\n`);
    log(`  ${''.padEnd(6)} autocannon ${String(cell.autocannon.eventsPerSec).padStart(9)} events/s ${String(cell.autocannon.requestsPerSec).padStart(8)} req/s (${cell.autocannon.requestsPerSecRange.join('-')}) p99 ${cell.autocannon.p99Ms} ms errors ${cell.autocannon.errors}  ${cpuText(cell.autocannon.cpu)}\n`);
    log(`  ${''.padEnd(6)} target CPU between its turns ${cell.cpuOutsideSegmentsUsPerEvent.toFixed(3)} µs/event of CPU (deferred work no segment saw)\n`);
  }
} finally {
  await Promise.all(started.map(stopTarget));
}

const ok = (k: Kind): Cell | undefined => { const c = cells[k]; return c && !('error' in c) ? c : undefined; };
const bare = ok('bare');
const ratio = (x: number | undefined, y: number | undefined) => (x !== undefined && y ? round(x / y, 3) : null);
const ratios = {
  noneVsBare: ratio(ok('none')?.eventsPerSec, bare?.eventsPerSec),
  storeVsBare: ratio(ok('store')?.eventsPerSec, bare?.eventsPerSec),
  cpuNoneVsBare: ratio(ok('none')?.cpu.usPerEvent, bare?.cpu.usPerEvent),
  cpuStoreVsBare: ratio(ok('store')?.cpu.usPerEvent, bare?.cpu.usPerEvent),
  loadgenVsAutocannon: ratio(bare?.requestsPerSec, bare?.autocannon.requestsPerSec),
  loadgenVsAutocannonByTarget: Object.fromEntries(KINDS.map((k) => [k, ratio(ok(k)?.requestsPerSec, ok(k)?.autocannon.requestsPerSec)])),
  // the same CPU ratios from autocannon's segments: a check that the figure does not depend on the client
  cpuByAutocannon: {
    noneVsBare: ratio(ok('none')?.autocannon.cpu.usPerEvent, bare?.autocannon.cpu.usPerEvent),
    storeVsBare: ratio(ok('store')?.autocannon.cpu.usPerEvent, bare?.autocannon.cpu.usPerEvent),
  },
};
// issue 12: events/s no lower than before, CPU per event within 1.3 × (none) and 1.7 × (store) of bare's
const goals = { noneVsBare: 0.8, storeVsBare: 0.6, cpuNoneVsBare: 1.3, cpuStoreVsBare: 1.7, loadgenVsAutocannon: 0.9 };
const atLeast = (r: number | null, g: number) => r !== null && r >= g;
const atMost = (r: number | null, g: number) => r !== null && r <= g;
const met = {
  noneVsBare: atLeast(ratios.noneVsBare, goals.noneVsBare),
  storeVsBare: atLeast(ratios.storeVsBare, goals.storeVsBare),
  cpuNoneVsBare: atMost(ratios.cpuNoneVsBare, goals.cpuNoneVsBare),
  cpuStoreVsBare: atMost(ratios.cpuStoreVsBare, goals.cpuStoreVsBare),
  loadgenVsAutocannon: atLeast(ratios.loadgenVsAutocannon, goals.loadgenVsAutocannon),
};
const [la1, la5, la15] = loadavg().map((x) => round(x, 2));
const result = {
  bare: cells.bare, none: cells.none, store: cells.store,
  autocannon: { requestsPerSec: bare?.autocannon.requestsPerSec ?? null, target: 'bare' },
  loadgen: { requestsPerSec: bare?.requestsPerSec ?? null, target: 'bare' },
  ratios, goals, met,
  cpuMethod: 'target process only: process.cpuUsage() (getrusage RUSAGE_SELF, user + system, all threads) read over IPC before and after each measured segment; CPU µs ÷ events answered with success, summed over the segments of one client',
  settings: { connections, pipelining, batch, profile, seed, durationSec: durationMs / 1000, warmupSec: warmupMs / 1000, ingestWorkers: workers || 'default', build: 'dist', node: process.version },
  machine: { cores: availableParallelism(), loadAverageAtStart: loadAtStart, loadAverageAtEnd: [la1, la5, la15] },
};
if (asJson) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  const n = (x: number | null | undefined, d: number) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
  log(`\ntarget   loadgen events/s  p99 ms  CPU µs/event (user + sys)  cores  events/s ÷ bare  CPU/event ÷ bare\n`);
  for (const k of KINDS) {
    const c = ok(k);
    if (!c) { log(`${k.padEnd(8)} failed\n`); continue; }
    log(`${k.padEnd(8)} ${n(c.eventsPerSec, 0).padStart(16)}  ${n(c.p99Ms, 2).padStart(6)}  ${`${n(c.cpu.usPerEvent, 2)} (${n(c.cpu.userUsPerEvent, 2)} + ${n(c.cpu.systemUsPerEvent, 2)})`.padStart(25)}  ${n(c.cpu.cores, 2).padStart(5)}  ${n(ratio(c.eventsPerSec, bare?.eventsPerSec), 3).padStart(15)}  ${n(ratio(c.cpu.usPerEvent, bare?.cpu.usPerEvent), 3).padStart(16)}\n`);
  }
  const line = (name: string, r: number | null, goal: number, most: boolean) => `  ${name.padEnd(42)} ${r === null ? '  n/a' : r.toFixed(3)}  (goal ${most ? '≤' : '≥'} ${goal})  ${r === null ? 'NOT MEASURED' : (most ? r <= goal : r >= goal) ? 'met' : 'NOT MET'}\n`;
  log('\nratios (issue 12 goals):\n');
  log(line('CPU/event: emulator (store none) / bare', ratios.cpuNoneVsBare, goals.cpuNoneVsBare, true));
  log(line('CPU/event: emulator (default store) / bare', ratios.cpuStoreVsBare, goals.cpuStoreVsBare, true));
  log(line('events/s: emulator (store none) / bare', ratios.noneVsBare, goals.noneVsBare, false));
  log(line('events/s: emulator (default store) / bare', ratios.storeVsBare, goals.storeVsBare, false));
  log(line('loadgen / autocannon req/s (bare)', ratios.loadgenVsAutocannon, goals.loadgenVsAutocannon, false));
  log(`  loadgen / autocannon by target: ${KINDS.map((k) => `${k} ${ratios.loadgenVsAutocannonByTarget[k] ?? 'n/a'}`).join(', ')}\n`);
  log(`  CPU/event ratios from autocannon's segments: none ${ratios.cpuByAutocannon.noneVsBare ?? 'n/a'}, store ${ratios.cpuByAutocannon.storeVsBare ?? 'n/a'}\n`);
  log(`load average: ${loadAtStart.join(' ')} at start, ${[la1, la5, la15].join(' ')} at end (${availableParallelism()} cores; other work on the machine slows every target)\n`);
}
