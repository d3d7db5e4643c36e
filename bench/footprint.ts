/**
 * Size figures of issue 12 (`npm run bench:footprint`, `npm run bench:footprint -- --json`), for each entry of
 * --entries: `dist` is the compiled build a user runs (bin/ingestor-sim.js; built first, incrementally, by
 * scripts/build.mjs), `dev` the TypeScript sources through tsx (bin/dev.mjs, `npm run dev`: how every run went
 * before the build, ingest threads included), so one run gives the figures before and after:
 *   - `ingestor-sim --help` wall time: `node BIN --help` run as a user runs it, median of --runs
 *     (after one discarded run that warms the file cache), and the CPU it used (user + system);
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
 * Options: --json  --runs 11  --rounds 3  --workers 1,2,4  --load 2s (0 = none)  --entries dist,dev
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { devTokenFor } from '../src/config/config.ts';
import { loadRegions, servedRegions } from '../src/service/region/regions.ts';
import { buildPayloads } from '../src/tools/loadgen/payloads.ts';
import { parseDuration, parseIntIn, resolveTarget } from '../src/tools/loadgen/parse.ts';
import { runLoad } from '../src/tools/loadgen/runner.ts';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const asJson = process.argv.includes('--json');
const runs = parseIntIn(flag('runs', '11'), '--runs', 1, 101);
const rounds = parseIntIn(flag('rounds', '3'), '--rounds', 1, 20);
const workerCounts = flag('workers', '1,2,4').split(',').map((x) => parseIntIn(x.trim(), '--workers', 1, 16));
const loadFlag = flag('load', '2s');
const loadMs = loadFlag === '0' ? 0 : parseDuration(loadFlag, '--load');
const log = (s: string) => { if (!asJson) process.stdout.write(s); };
const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);

const root = fileURLToPath(new URL('..', import.meta.url));
const ENTRIES = { dist: join(root, 'bin', 'ingestor-sim.js'), dev: join(root, 'bin', 'dev.mjs') } as const;
type Entry = keyof typeof ENTRIES;
const entries = flag('entries', 'dist,dev').split(',').map((x) => x.trim()) as Entry[];
for (const e of entries) if (!(e in ENTRIES)) throw new Error(`--entries: '${e}' is not one of ${Object.keys(ENTRIES).join(', ')}`);
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

// ---- ingestor-sim --help ----
function helpOnce(bin: string): { wallMs: number; cpuMs: number | null } {
  const c0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, '--help'], { cwd: root, encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  const c1 = childrenCpuMs();
  if (r.status !== 0 || !r.stdout.includes('serve')) throw new Error(`ingestor-sim --help failed (exit ${r.status}): ${r.stderr}`);
  return { wallMs, cpuMs: c0 === null || c1 === null ? null : c1 - c0 };
}
function measureHelp(entry: Entry) {
  const bin = ENTRIES[entry];
  log(`ingestor-sim --help (${entry}): ${runs} runs after 1 discarded ...\n`);
  helpOnce(bin);
  const helpRuns = Array.from({ length: runs }, () => helpOnce(bin));
  const helpMs = helpRuns.map((x) => x.wallMs);
  const helpCpu = helpRuns.every((x) => x.cpuMs !== null) ? round(median(helpRuns.map((x) => x.cpuMs!))) : null;
  // CPU (user + system of the child, from this process's cutime + cstime, 10 ms ticks) moves less with the machine's load than wall time
  const help = { medianMs: round(median(helpMs)), minMs: round(Math.min(...helpMs)), maxMs: round(Math.max(...helpMs)), cpuMedianMs: helpCpu, runs };
  log(`  median ${help.medianMs} ms (min ${help.minMs}, max ${help.maxMs}); CPU median ${help.cpuMedianMs ?? 'n/a'} ms\n`);
  return help;
}
const helps = new Map(entries.map((e) => [e, measureHelp(e)]));

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
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent', ...args], {
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
const configs: Array<number | null> = [null, 0, ...workerCounts];
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
function summary(entry: Entry) {
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
    bin: `bin/${ENTRIES[entry].split('/').pop()}`,
    help: helps.get(entry)!,
    idleServe: { rssMb: defaultRow.idleRssMb, threads: defaultRow.threads, ingestWorkers: defaultRow.ingestWorkers, config: 'serve, development default, default store, default ingest workers' },
    serve: rows,
    ingestThread: perThread,
  };
}
const byEntry = Object.fromEntries(entries.map((e) => [e, summary(e)])) as Partial<Record<Entry, ReturnType<typeof summary>>>;
const result = {
  entries: byEntry,
  method: {
    entries: 'dist: bin/ingestor-sim.js, the compiled build (scripts/build.mjs runs first); dev: bin/dev.mjs, the sources through tsx in the main thread and in every worker thread',
    rss: 'VmRSS of /proc/<pid>/status once, over 2 s, RSS moved < 1 MB, the thread count not at all, and serve used < 5 % of a core (at least 3 s after the banner)',
    perThread: 'RSS(serve --ingest-workers N) - RSS(serve --ingest-workers 0), divided by N; medians of the rounds',
    help: 'wall time of `node BIN --help` (spawnSync), median of the runs after one discarded; CPU = user + system of the command and of any process it waited for (cutime + cstime of this process, 10 ms ticks)',
  },
  settings: { runs, rounds, workers: workerCounts, loadSec: loadMs / 1000, entries, node: process.version },
  machine: { cores: availableParallelism(), loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg().map((x) => round(x, 2)) },
};

if (asJson) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  for (const e of entries) {
    const { bin, help, serve: rows, ingestThread: perThread } = byEntry[e]!;
    log(`\n== ${e} (${bin})\n${'serve'.padEnd(22)} ${'idle RSS MB'.padStart(11)} ${'(range)'.padStart(15)} ${'threads'.padStart(7)} ${(loadMs ? `RSS MB after ${loadMs / 1000} s load` : 'no load (--load 0)').padStart(22)}\n`);
    for (const r of rows) {
      log(`${(r.workers === null ? `default (${r.ingestWorkers})` : r.config).padEnd(22)} ${String(r.idleRssMb).padStart(11)} ${`(${r.idleRssMbRange.join('-')})`.padStart(15)} ${String(r.threads).padStart(7)} ${String(r.loadedRssMb ?? 'n/a').padStart(22)}\n`);
    }
    log(`\nper ingest thread = (RSS with N threads - RSS with 0) / N\n`);
    log(`${'N'.padEnd(4)} ${'idle MB/thread'.padStart(14)} ${'after load MB/thread'.padStart(21)}\n`);
    for (const p of perThread) log(`${String(p.workers).padEnd(4)} ${String(p.idleMbPerThread).padStart(14)} ${String(p.loadedMbPerThread ?? 'n/a').padStart(21)}\n`);
    log(`\ningestor-sim --help: median ${help.medianMs} ms over ${runs} runs (min ${help.minMs}, max ${help.maxMs}; CPU median ${help.cpuMedianMs ?? 'n/a'} ms)${e === 'dist' ? `; wall-time goal ≤ 150 ms: ${help.medianMs <= 150 ? 'met' : 'NOT MET'}` : ''}\n`);
  }
  log(`\nload average: ${loadAtStart.join(' ')} at start, ${result.machine.loadAverageAtEnd.join(' ')} at end (${availableParallelism()} cores)\n`);
}
