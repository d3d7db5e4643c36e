/**
 * Size figures of issue 12 (`npm run bench:footprint`, `npm run bench:footprint -- --json`), for each entry of
 * --entries: `dist` is the compiled build a user runs (bin/ingestor-sim.js; built first, incrementally, by
 * scripts/build.mjs), `dev` the TypeScript sources through tsx (bin/dev.mjs, `npm run dev`: how every run went
 * before the build, ingest threads included), so one run gives the figures before and after; `--before DIR` adds
 * the entry `before`, another build of the project (a sibling of dist/, e.g. `cp -r dist dist-before` before a
 * change), run by a two-line entry point like bin/ingestor-sim.js:
 *   - `ingestor-sim --help` and each command's own help (`serve --help`, `load --help` ...) wall time: `node BIN
 *     ARGS` run as a user runs it, median of --runs (after one discarded round that warms the file cache), and
 *     the CPU it used (user + system); rounds interleaved over entries and commands;
 *   - resident memory (VmRSS of /proc/<pid>/status) of the real `serve` command, idle: after its banner, once RSS
 *     and thread count have stopped moving and it uses no CPU (the ingest threads load the catalog after the server
 *     listens);
 *   - resident memory of each ingest thread. Linux keeps no per-thread RSS (threads share one address space), so
 *     it is measured the honest way: RSS of `serve --ingest-workers N` minus RSS of `serve --ingest-workers 0`
 *     (requests handled in the event loop), divided by N, for each N of --workers;
 *   - the same after a short bounded load (--load, 100-event `mixed` batches from our load generator over
 *     loopback), because a thread's heap grows once it has parsed and classified requests.
 * Each configuration starts --rounds times, rounds interleaved; figures are medians. The default store (event log +
 * SQLite index) goes to a temp dir; `serve` listens on 127.0.0.1 port 0.
 * Options: --json  --runs 21  --rounds 3  --workers 1,2,4  --load 2s (0 = none)  --entries dist,dev  --before DIR
 *   --help-only (the help timings alone, no serve)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { devTokenFor } from '../src/config/config.ts';
import { loadRegions, servedRegions } from '../src/service/region/regions.ts';
import { buildPayloads } from '../src/tools/loadgen/payloads.ts';
import { parseDuration, parseIntIn, resolveTarget } from '../src/tools/loadgen/parse.ts';
import { runLoad } from '../src/tools/loadgen/runner.ts';
import { NODE_FLAGS } from '../src/tools/cli/node-flags.ts';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const asJson = process.argv.includes('--json');
const runs = parseIntIn(flag('runs', '21'), '--runs', 1, 101);
const helpOnly = process.argv.includes('--help-only');
const rounds = parseIntIn(flag('rounds', '3'), '--rounds', 1, 20);
const workerCounts = flag('workers', '1,2,4').split(',').map((x) => parseIntIn(x.trim(), '--workers', 1, 16));
const loadFlag = flag('load', '2s');
const loadMs = loadFlag === '0' ? 0 : parseDuration(loadFlag, '--load');
const log = (s: string) => { if (!asJson) process.stdout.write(s); };
const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);

const root = fileURLToPath(new URL('..', import.meta.url));
const ENTRIES: Record<string, string> = { dist: join(root, 'bin', 'ingestor-sim.js'), dev: join(root, 'bin', 'dev.mjs') };
type Entry = string;
const entries = flag('entries', 'dist,dev').split(',').map((x) => x.trim());
for (const e of entries) if (!(e in ENTRIES)) throw new Error(`--entries: '${e}' is not one of ${Object.keys(ENTRIES).join(', ')}`);
const beforeDir = flag('before', '');
const scratch = mkdtempSync(join(tmpdir(), 'bench-footprint-bin-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
if (beforeDir) {
  // the other build's entry point, as bin/ingestor-sim.js is dist's: its modules find node_modules, schemas/ and
  // regions/ from where the build lies, so the entry point itself may lie anywhere
  const cli = join(resolve(root, beforeDir), 'tools', 'cli', 'index.js');
  if (!existsSync(cli)) throw new Error(`--before ${beforeDir}: no ${cli} (a build of the project, a sibling of dist/)`);
  ENTRIES.before = join(scratch, 'before.mjs');
  writeFileSync(ENTRIES.before, `const { main } = await import(${JSON.stringify(pathToFileURL(cli).href)});\nprocess.exitCode = await main(process.argv);\n`);
  entries.unshift('before');
}
if (entries.includes('dist')) {
  const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) throw new Error('scripts/build.mjs failed');
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ). */
const clockTicks = (() => {
  try { return Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100; } catch { return 100; }
})();

/** Fields of /proc/<pid>/stat after the command name, as numbers (proc(5) field k is index k - 3). */
function statFields(pid: number | 'self'): number[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
  } catch {
    return null;
  }
}
/** CPU ms of the children this process has waited for (cutime + cstime), or null off Linux. */
const childrenCpuMs = () => { const f = statFields('self'); return f ? ((f[13] + f[14]) * 1000) / clockTicks : null; };
/** CPU ms of a process (utime + stime, all threads), or null. */
const cpuMsOf = (pid: number) => { const f = statFields(pid); return f ? ((f[11] + f[12]) * 1000) / clockTicks : null; };

// ---- ingestor-sim --help and each command's help ----
/** The top-level help, then each command's own (which loads that command's module). */
const HELPS: ReadonlyArray<{ name: string; args: string[]; shows: string }> = [
  { name: '--help', args: ['--help'], shows: 'Usage: ingestor-sim [options] [command]' },
  ...['serve', 'load', 'verify', 'report', 'ca', 'classify'].map((c) => ({ name: `${c} --help`, args: [c, '--help'], shows: `Usage: ingestor-sim ${c} ` })),
];
interface HelpRun { wallMs: number; cpuMs: number | null }
function helpOnce(bin: string, h: (typeof HELPS)[number]): HelpRun {
  const c0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...NODE_FLAGS, bin, ...h.args], { cwd: root, encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  const c1 = childrenCpuMs();
  if (r.status !== 0 || !r.stdout.includes(h.shows)) throw new Error(`ingestor-sim ${h.args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
  return { wallMs, cpuMs: c0 === null || c1 === null ? null : c1 - c0 };
}
function summarize(xs: HelpRun[]) {
  const ms = xs.map((x) => x.wallMs);
  // CPU (user + system of the child, from this process's cutime + cstime, 10 ms ticks) moves less with the machine's load than wall time
  const cpu = xs.every((x) => x.cpuMs !== null) ? round(median(xs.map((x) => x.cpuMs!))) : null;
  return { medianMs: round(median(ms)), minMs: round(Math.min(...ms)), maxMs: round(Math.max(...ms)), cpuMedianMs: cpu, runs: xs.length };
}
type HelpSummary = ReturnType<typeof summarize>;
/** Wall and CPU time of every help of every entry: one discarded round, then --runs rounds, each over entries and helps in turn. */
function measureHelps(): Map<Entry, Map<string, HelpSummary>> {
  log(`help: ${HELPS.length} commands x ${entries.join(', ')}, ${runs} rounds after 1 discarded ...\n`);
  const seen = new Map(entries.map((e) => [e, new Map(HELPS.map((h) => [h.name, [] as HelpRun[]]))]));
  for (let r = -1; r < runs; r++) {
    for (const e of entries) {
      for (const h of HELPS) {
        const x = helpOnce(ENTRIES[e], h);
        if (r >= 0) seen.get(e)!.get(h.name)!.push(x);
      }
    }
  }
  return new Map([...seen].map(([e, m]) => [e, new Map([...m].map(([n, xs]) => [n, summarize(xs)]))]));
}
const helpTimes = measureHelps();
const helps = new Map(entries.map((e) => [e, helpTimes.get(e)!.get('--help')!]));
const commandHelps = new Map(entries.map((e) => [e, Object.fromEntries([...helpTimes.get(e)!].filter(([n]) => n !== '--help'))]));
/** The helps' medians, entries side by side. */
function helpTable(): string {
  const w = 18;
  const lines = [`${`wall ms (CPU ms), median of ${runs}`.padEnd(34)}${entries.map((e) => e.padStart(w)).join('')}`];
  for (const h of HELPS) {
    lines.push(`${`ingestor-sim ${h.name}`.padEnd(34)}${entries.map((e) => { const x = helpTimes.get(e)!.get(h.name)!; return `${x.medianMs} (${x.cpuMedianMs ?? 'n/a'})`.padStart(w); }).join('')}`);
  }
  return `${lines.join('\n')}\n`;
}

// ---- serve, idle and after a short load ----
function status(pid: number): { rssKb: number; threads: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(text);
    const th = /^Threads:\s+(\d+)/m.exec(text);
    return rss && th ? { rssKb: Number(rss[1]), threads: Number(th[1]) } : null;
  } catch {
    return null;
  }
}

/**
 * Waits until serve is idle: over the last 2 s its RSS moved less than 1 MB, its thread count not at all, and it
 * used under 5 % of a core (the ingest threads have loaded the catalog). At least 3 s; at most 60 s, then it throws.
 */
async function settled(pid: number): Promise<{ rssKb: number; threads: number; waitedMs: number }> {
  const t0 = performance.now();
  const seen: Array<{ rssKb: number; threads: number; cpuMs: number; at: number }> = [];
  for (;;) {
    await sleep(250);
    const s = status(pid);
    const cpu = cpuMsOf(pid);
    if (!s || cpu === null) throw new Error(`serve (pid ${pid}) is gone`);
    const at = performance.now();
    seen.push({ ...s, cpuMs: cpu, at });
    const last = seen.slice(-9);
    const waited = at - t0;
    const span = last[last.length - 1].at - last[0].at;
    const steady = last.length === 9 && Math.max(...last.map((x) => x.rssKb)) - Math.min(...last.map((x) => x.rssKb)) < 1024
      && last.every((x) => x.threads === last[0].threads) && (last[last.length - 1].cpuMs - last[0].cpuMs) < 0.05 * span;
    if (steady && waited >= 3000) return { rssKb: s.rssKb, threads: s.threads, waitedMs: Math.round(waited) };
    if (waited >= 60_000) throw new Error(`serve (pid ${pid}) did not settle in 60 s (RSS or threads still moving, or busy)`);
  }
}

const regions = servedRegions(loadRegions());
const us = regions.findIndex((r) => r.id === 'us');
const token = devTokenFor(us);
const hostHeader = regions[us].ingestorHost!;
const payloads = buildPayloads({ profile: 'mixed', seed: 1, batch: 100, gzip: false, pool: 64 });

function startServe(bin: string, args: string[], dataDir: string): Promise<{ child: ChildProcess; url: string; banner: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, bin, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent', ...args], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr!.setEncoding('utf8');
    // serve says 'SIGTERM: closing' on stderr when stopped; kept for the error message, not printed
    child.stderr!.on('data', (d: string) => { err = (err + d).slice(-4000); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('serve did not start in 60 s')); }, 60_000);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/[^)\s]+)\)/.exec(out);
      // the banner is written at once; its 'ingest:' line says how many threads the default gave
      if (m && /\n {2}ingest: /.test(out)) { clearTimeout(timer); child.stdout!.removeAllListeners('data'); child.stdout!.resume(); resolve({ child, url: m[1], banner: out }); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with code ${code}: ${out}${err}`)); });
  });
}

function stopServe(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    child.kill('SIGTERM');
  });
}

interface Sample { ingestWorkers: number; idleRssKb: number; idleThreads: number; settleMs: number; loadedRssKb: number | null; loadEvents: number | null }

async function measure(entry: Entry, workers: number | null): Promise<Sample> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-footprint-'));
  let child: ChildProcess | undefined;
  try {
    const s = await startServe(ENTRIES[entry], workers === null ? [] : ['--ingest-workers', String(workers)], dataDir);
    child = s.child;
    const idle = await settled(child.pid!);
    let loadedRssKb: number | null = null;
    let loadEvents: number | null = null;
    if (loadMs > 0) {
      const out = await runLoad({
        target: resolveTarget(s.url), token, hostHeader, payloads, gzip: false, connections: 4, pipelining: 1,
        durationMs: loadMs, timeoutMs: 30_000, lateToleranceMs: 5, drainTimeoutMs: 10_000,
      });
      if (out.acc.errors > 0) throw new Error(`load against serve had ${out.acc.errors} errors`);
      loadEvents = out.acc.events;
      loadedRssKb = (await settled(child.pid!)).rssKb;
    }
    const w = /\n {2}ingest: (\d+) worker thread/.exec(s.banner);
    return { ingestWorkers: w ? Number(w[1]) : 0, idleRssKb: idle.rssKb, idleThreads: idle.threads, settleMs: idle.waitedMs, loadedRssKb, loadEvents };
  } finally {
    if (child) await stopServe(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// null = the default (no --ingest-workers flag): one thread per core, at most 4
const configs: Array<number | null> = helpOnly ? [] : [null, 0, ...workerCounts];
const name = (w: number | null) => (w === null ? 'default' : `--ingest-workers ${w}`);
const samples = new Map<string, Sample[]>();
const key = (e: Entry, c: number | null) => `${e}/${c}`;
// rounds interleaved over entries and configurations, so a change in the machine's load touches all alike
for (let r = 0; r < rounds; r++) {
  for (const e of entries) {
    for (const c of configs) {
      log(`  round ${r + 1}/${rounds}: ${e} serve ${name(c)} ...`);
      const s = await measure(e, c);
      samples.set(key(e, c), [...(samples.get(key(e, c)) ?? []), s]);
      log(` idle ${round(s.idleRssKb / 1024)} MB (${s.idleThreads} threads, settled in ${s.settleMs} ms)${s.loadedRssKb === null ? '' : `, after ${s.loadEvents} events ${round(s.loadedRssKb / 1024)} MB`}\n`);
    }
  }
}

const mb = (kb: number) => round(kb / 1024);
function serveSummary(entry: Entry) {
  const rows = configs.map((c) => {
    const ss = samples.get(key(entry, c))!;
    const loaded = ss.every((s) => s.loadedRssKb !== null) ? median(ss.map((s) => s.loadedRssKb!)) : null;
    return {
      config: name(c), workers: c, ingestWorkers: ss[0].ingestWorkers, idleRssMb: mb(median(ss.map((s) => s.idleRssKb))),
      idleRssMbRange: [mb(Math.min(...ss.map((s) => s.idleRssKb))), mb(Math.max(...ss.map((s) => s.idleRssKb)))] as [number, number],
      threads: median(ss.map((s) => s.idleThreads)), loadedRssMb: loaded === null ? null : mb(loaded),
    };
  });
  const zero = rows.find((r) => r.workers === 0)!;
  const perThread = rows.filter((r) => r.workers !== null && r.workers > 0).map((r) => ({
    workers: r.workers!,
    idleMbPerThread: round((r.idleRssMb - zero.idleRssMb) / r.workers!),
    loadedMbPerThread: r.loadedRssMb === null || zero.loadedRssMb === null ? null : round((r.loadedRssMb - zero.loadedRssMb) / r.workers!),
  }));
  const defaultRow = rows.find((r) => r.workers === null)!;
  return {
    idleServe: { rssMb: defaultRow.idleRssMb, threads: defaultRow.threads, ingestWorkers: defaultRow.ingestWorkers, config: 'serve, development default, default store, default ingest workers' },
    serve: rows,
    ingestThread: perThread,
  };
}
function summary(entry: Entry) {
  return {
    bin: entry === 'before' ? `${beforeDir}/tools/cli/index.js` : `bin/${ENTRIES[entry].split('/').pop()}`,
    help: helps.get(entry)!,
    commandHelp: commandHelps.get(entry)!,
    ...(helpOnly ? {} : serveSummary(entry)),
  };
}
const byEntry = Object.fromEntries(entries.map((e) => [e, summary(e)])) as Partial<Record<Entry, ReturnType<typeof summary>>>;
const result = {
  entries: byEntry,
  method: {
    entries: 'dist: bin/ingestor-sim.js, the compiled build (scripts/build.mjs runs first); dev: bin/dev.mjs, the sources through tsx in the main thread and in every worker thread; before: the build of --before, through an entry point like bin/ingestor-sim.js',
    rss: 'VmRSS of /proc/<pid>/status once, over 2 s, RSS moved < 1 MB, the thread count not at all, and serve used < 5 % of a core (at least 3 s after the banner)',
    perThread: 'RSS(serve --ingest-workers N) - RSS(serve --ingest-workers 0), divided by N; medians of the rounds',
    help: 'wall time of `node BIN --help` (help) and `node BIN COMMAND --help` (commandHelp) (spawnSync), median of the runs after one discarded round, rounds interleaved over entries and commands; CPU = user + system of the command and of any process it waited for (cutime + cstime of this process, 10 ms ticks)',
  },
  settings: { runs, rounds, workers: workerCounts, loadSec: loadMs / 1000, entries, helpOnly, node: process.version },
  machine: { cores: availableParallelism(), loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg().map((x) => round(x, 2)) },
};

if (asJson) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  for (const e of entries) {
    const { bin, serve: rows, ingestThread: perThread } = byEntry[e]!;
    if (!rows || !perThread) continue;
    log(`\n== ${e} (${bin})\n${'serve'.padEnd(22)} ${'idle RSS MB'.padStart(11)} ${'(range)'.padStart(15)} ${'threads'.padStart(7)} ${(loadMs ? `RSS MB after ${loadMs / 1000} s load` : 'no load (--load 0)').padStart(22)}\n`);
    for (const r of rows) {
      log(`${(r.workers === null ? `default (${r.ingestWorkers})` : r.config).padEnd(22)} ${String(r.idleRssMb).padStart(11)} ${`(${r.idleRssMbRange.join('-')})`.padStart(15)} ${String(r.threads).padStart(7)} ${String(r.loadedRssMb ?? 'n/a').padStart(22)}\n`);
    }
    log(`\nper ingest thread = (RSS with N threads - RSS with 0) / N\n`);
    log(`${'N'.padEnd(4)} ${'idle MB/thread'.padStart(14)} ${'after load MB/thread'.padStart(21)}\n`);
    for (const p of perThread) log(`${String(p.workers).padEnd(4)} ${String(p.idleMbPerThread).padStart(14)} ${String(p.loadedMbPerThread ?? 'n/a').padStart(21)}\n`);
  }
  log(`\n${helpTable()}`);
  for (const e of entries) {
    const help = helps.get(e)!;
    log(`ingestor-sim --help (${e}): median ${help.medianMs} ms over ${runs} runs (min ${help.minMs}, max ${help.maxMs})${e === 'dist' ? `; wall-time goal ≤ 150 ms: ${help.medianMs <= 150 ? 'met' : 'NOT MET'}` : ''}\n`);
  }
  log(`\nload average: ${loadAtStart.join(' ')} at start, ${result.machine.loadAverageAtEnd.join(' ')} at end (${availableParallelism()} cores)\n`);
}
