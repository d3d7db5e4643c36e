/**
 * End-to-end HTTP benchmark (`npm run bench:http`, `npm run bench:http -- --json`).
 * In one run: a bare Fastify endpoint that JSON.parses each batch and discards it (the baseline), the emulator
 * with store none, and the emulator with the default store (SQLite, temp dir), each in its own process and each
 * driven by our load generator and by autocannon with the same 100-event batches. Prints the figures and the
 * ratios against the goals: emulator (none) ≥ 0.7 × bare events/s, default store ≥ 0.5 × bare, and our load
 * generator ≥ 0.9 × autocannon's request rate on the same target.
 * Options: --json  --duration 5s  --warmup 1s  --connections 10  --pipelining 1  --batch 100  --profile mixed  --seed 1
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { devTokenFor } from '../src/config/config.ts';
import { loadRegions, servedRegions } from '../src/region/regions.ts';
import { isProfile } from '../src/gen/index.ts';
import { buildPayloads } from '../src/loadgen/payloads.ts';
import { parseDuration, parseIntIn, resolveTarget } from '../src/loadgen/parse.ts';
import { runLoad } from '../src/loadgen/runner.ts';

type Kind = 'bare' | 'none' | 'store';
const KINDS: Kind[] = ['bare', 'none', 'store'];

interface Cell {
  eventsPerSec: number;
  p99Ms: number;
  requestsPerSec: number;
  errors: number;
  segments: number;
  requestsPerSecRange: [number, number];
  autocannon: { requestsPerSec: number; eventsPerSec: number; p99Ms: number; errors: number; requestsPerSecRange: [number, number] };
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
const log = (s: string) => { if (!asJson) process.stdout.write(s); };

const regions = servedRegions(loadRegions());
const us = regions.findIndex((r) => r.id === 'us');
const token = devTokenFor(us);
const hostHeader = regions[us].ingestorHost!;
const payloads = buildPayloads({ profile, seed, batch, gzip: false, pool: 64 });

function startTarget(kind: Kind): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./http-target.ts', import.meta.url)), [kind], {
      execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${kind} target did not start in 30 s`)); }, 30_000);
    child.once('message', (m: { port: number }) => { clearTimeout(timer); resolve({ child, port: m.port }); });
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

async function ours(url: string, ms: number) {
  const out = await runLoad({
    target: resolveTarget(url), token, hostHeader, payloads, gzip: false, connections, pipelining,
    durationMs: ms, timeoutMs: 30_000, lateToleranceMs: 5, drainTimeoutMs: 10_000,
  });
  const d = out.durationSec;
  return { requestsPerSec: out.acc.requests / d, eventsPerSec: out.acc.events / d, p99Ms: out.acc.latency.getValueAtPercentile(99) / 1000, errors: out.acc.errors };
}

interface Segment { requestsPerSec: number; eventsPerSec: number; p99Ms: number; errors: number }

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
  return { requestsPerSec: r.requests.total / r.duration, eventsPerSec: (ok * batch) / r.duration, p99Ms: r.latency.p99, errors: r.errors + r.non2xx };
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const cells: Partial<Record<Kind, Cell | { error: string }>> = {};
log(`bench:http — ${connections} connection(s), pipelining ${pipelining}, ${batch}-event ${profile} batches, ${durationMs / 1000} s per tool and target (1 s turns A B B A ..., medians; +${warmupMs / 1000} s warm-up)\n`);
for (const kind of KINDS) {
  let target: { child: ChildProcess; port: number } | undefined;
  try {
    target = await startTarget(kind);
    const url = `http://127.0.0.1:${target.port}`;
    await ours(url, warmupMs);
    // the tools take turns in 1 s segments, A B B A A B B A ..., and each reports the median segment: drift
    // (JIT, SQLite growth) and bursts from other processes on a shared machine then favour neither
    const n = Math.max(2, Math.round(durationMs / 1000));
    const seg = durationMs / n;
    const as: Segment[] = [];
    const bs: Segment[] = [];
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) {
        as.push(await ours(url, seg));
        bs.push(await theirs(url, seg));
      } else {
        bs.push(await theirs(url, seg));
        as.push(await ours(url, seg));
      }
    }
    const a = combine(as);
    const b = combine(bs);
    const cell: Cell = {
      eventsPerSec: round(a.eventsPerSec), p99Ms: round(a.p99Ms, 2), requestsPerSec: round(a.requestsPerSec), errors: a.errors,
      segments: a.segments, requestsPerSecRange: [round(a.spread.min), round(a.spread.max)],
      autocannon: { requestsPerSec: round(b.requestsPerSec), eventsPerSec: round(b.eventsPerSec), p99Ms: round(b.p99Ms, 2), errors: b.errors, requestsPerSecRange: [round(b.spread.min), round(b.spread.max)] },
    };
    cells[kind] = cell;
    log(`  ${kind.padEnd(6)} loadgen    ${String(cell.eventsPerSec).padStart(9)} events/s ${String(cell.requestsPerSec).padStart(8)} req/s (${cell.requestsPerSecRange.join('-')}) p99 ${cell.p99Ms} ms errors ${cell.errors}\n`);
    log(`  ${''.padEnd(6)} autocannon ${String(cell.autocannon.eventsPerSec).padStart(9)} events/s ${String(cell.autocannon.requestsPerSec).padStart(8)} req/s (${cell.autocannon.requestsPerSecRange.join('-')}) p99 ${cell.autocannon.p99Ms} ms errors ${cell.autocannon.errors}\n`);
  } catch (err) {
    cells[kind] = { error: (err as Error).message };
    log(`  ${kind.padEnd(6)} failed: ${(err as Error).message}\n`);
  } finally {
    if (target) await stopTarget(target.child);
  }
}

const ok = (k: Kind): Cell | undefined => { const c = cells[k]; return c && !('error' in c) ? c : undefined; };
const bare = ok('bare');
const ratio = (x: number | undefined, y: number | undefined) => (x !== undefined && y ? round(x / y, 3) : null);
const ratios = {
  noneVsBare: ratio(ok('none')?.eventsPerSec, bare?.eventsPerSec),
  storeVsBare: ratio(ok('store')?.eventsPerSec, bare?.eventsPerSec),
  loadgenVsAutocannon: ratio(bare?.requestsPerSec, bare?.autocannon.requestsPerSec),
  loadgenVsAutocannonByTarget: Object.fromEntries(KINDS.map((k) => [k, ratio(ok(k)?.requestsPerSec, ok(k)?.autocannon.requestsPerSec)])),
};
const goals = { noneVsBare: 0.7, storeVsBare: 0.5, loadgenVsAutocannon: 0.9 };
const met = {
  noneVsBare: ratios.noneVsBare !== null && ratios.noneVsBare >= goals.noneVsBare,
  storeVsBare: ratios.storeVsBare !== null && ratios.storeVsBare >= goals.storeVsBare,
  loadgenVsAutocannon: ratios.loadgenVsAutocannon !== null && ratios.loadgenVsAutocannon >= goals.loadgenVsAutocannon,
};
const result = {
  bare: cells.bare, none: cells.none, store: cells.store,
  autocannon: { requestsPerSec: bare?.autocannon.requestsPerSec ?? null, target: 'bare' },
  loadgen: { requestsPerSec: bare?.requestsPerSec ?? null, target: 'bare' },
  ratios, goals, met,
  settings: { connections, pipelining, batch, profile, seed, durationSec: durationMs / 1000, warmupSec: warmupMs / 1000, node: process.version },
};
if (asJson) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  const line = (name: string, r: number | null, goal: number) => `  ${name.padEnd(34)} ${r === null ? 'n/a' : r.toFixed(3)}  (goal ≥ ${goal})  ${r === null ? 'NOT MEASURED' : r >= goal ? 'met' : 'NOT MET'}\n`;
  log('ratios:\n');
  log(line('emulator (store none) / bare', ratios.noneVsBare, goals.noneVsBare));
  log(line('emulator (default store) / bare', ratios.storeVsBare, goals.storeVsBare));
  log(line('loadgen / autocannon req/s (bare)', ratios.loadgenVsAutocannon, goals.loadgenVsAutocannon));
  log(`  loadgen / autocannon by target: ${KINDS.map((k) => `${k} ${ratios.loadgenVsAutocannonByTarget[k] ?? 'n/a'}`).join(', ')}\n`);
}
