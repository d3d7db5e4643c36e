/**
 * Where a target's CPU goes, every thread of it (`node --import tsx bench/http-profile.ts none [workers] [seconds]`):
 * starts one bench/http-target.ts (the compiled build) under `--cpu-prof`, with its threads inheriting the flag
 * (SIM_THREADS_INHERIT_PROFILING, src/workers/spawn.ts), drives it with our load generator (10 connections,
 * 100-event mixed batches, as bench:http), closes it, and prints per profile (one per thread) its sampled time
 * and the functions with the most self time. The profiles stay in the directory printed, for a closer look
 * (Chrome DevTools, or speedscope).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { devTokenFor } from '../src/config/config.ts';
import { loadRegions, servedRegions } from '../src/service/region/regions.ts';
import { buildPayloads } from '../src/tools/loadgen/payloads.ts';
import { resolveTarget } from '../src/tools/loadgen/parse.ts';
import { runLoad } from '../src/tools/loadgen/runner.ts';
import { NODE_FLAGS } from '../src/tools/cli/node-flags.ts';

const kind = process.argv[2] ?? 'none';
const workers = process.argv[3] ?? '';
const seconds = Number(process.argv[4] ?? '10');
const top = Number(process.env.TOP ?? '25');
execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build.mjs', import.meta.url)), '--quiet'], { stdio: 'inherit' });
const dir = mkdtempSync(join(tmpdir(), `prof-${kind}-`));
const regions = servedRegions(loadRegions());
const us = regions.findIndex((r) => r.id === 'us');
const payloads = buildPayloads({ profile: 'mixed', seed: 1, batch: 100, gzip: false, pool: 64 });

const profiling = process.env.NOPROF !== '1';
const child = fork(fileURLToPath(new URL('./http-target.ts', import.meta.url)), [kind, workers], {
  execArgv: ['--import', 'tsx', ...(kind === 'bare' ? [] : NODE_FLAGS), ...(profiling ? ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200'] : [])],
  env: { ...process.env, SIM_THREADS_INHERIT_PROFILING: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
const load = (ms: number) => runLoad({
  target: resolveTarget(`http://127.0.0.1:${port}`), token: devTokenFor(us), hostHeader: regions[us].ingestorHost!, payloads, gzip: false,
  connections: 10, pipelining: 1, durationMs: ms, timeoutMs: 30_000, lateToleranceMs: 5, drainTimeoutMs: 10_000,
});
await load(1000);
const cpu = () => new Promise<NodeJS.CpuUsage>((resolve) => { child.once('message', (m: { cpu: NodeJS.CpuUsage }) => resolve(m.cpu)); child.send('cpu'); });
/** Per thread of the target (Linux): name and utime + stime in µs, from /proc/<pid>/task/<tid>/stat. */
function threads(): Map<string, { name: string; us: number }> {
  const out = new Map<string, { name: string; us: number }>();
  try {
    for (const tid of readdirSync(`/proc/${child.pid}/task`)) {
      const t = readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8');
      const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name: t.slice(t.indexOf('(') + 1, t.lastIndexOf(')')), us: (Number(f[11]) + Number(f[12])) * 10_000 });
    }
  } catch { /* not Linux */ }
  return out;
}
const t0 = threads();
const c0 = await cpu();
const out = await load(seconds * 1000);
const c1 = await cpu();
const t1 = threads();
const us1 = c1.user + c1.system - c0.user - c0.system;
process.stdout.write(`${kind} workers=${workers || 'default'}: ${Math.round(out.acc.events / out.durationSec)} events/s, ${(us1 / out.acc.events).toFixed(2)} µs CPU/event (user ${((c1.user - c0.user) / out.acc.events).toFixed(2)}, system ${((c1.system - c0.system) / out.acc.events).toFixed(2)})\n`);
// per thread: CPU µs per event over the load (the main thread is the process's own pid)
const byName = new Map<string, number>();
for (const [tid, b] of t1) {
  const d = b.us - (t0.get(tid)?.us ?? 0);
  const name = tid === String(child.pid) ? 'main' : `${b.name} ${tid}`;
  byName.set(name, (byName.get(name) ?? 0) + d);
}
for (const [name, d] of [...byName].sort((a, b) => b[1] - a[1])) if (d > 0) process.stdout.write(`  ${name.padEnd(18)} ${(d / out.acc.events).toFixed(2)} µs/event\n`);
await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.send('close'); });

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }
for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')).sort()) {
  const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i])!;
    const dt = p.timeDeltas[i + 1] ?? 0;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') { idle += dt; continue; }
    total += dt;
    const url = n.callFrame.url.replace(/^.*\/(node_modules|dist|src|bench)\//, '$1/');
    const key = `${name} ${url}:${n.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  process.stdout.write(`\n${f}: ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle (${((p.endTime - p.startTime) / 1000).toFixed(0)} ms profiled)\n`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`  ${(v / 1000).toFixed(0).padStart(6)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}\n`);
  }
}
process.stdout.write(`\nprofiles: ${dir}\n`);
