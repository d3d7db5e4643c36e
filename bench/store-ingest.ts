/**
 * Events/s of the default store (SQLite) in each fsync mode vs the `none` store, over loopback HTTP.
 * Each configuration runs the real CLI (`serve` in a child process, dev default) and a simple undici loop
 * here: fixed concurrency, pre-built gzip-free batches, bounded by duration AND request count.
 *
 * The stores run in turn, `--rounds` times (interleaved, so machine noise hits all of them); the median counts.
 *
 *   node --import tsx bench/store-ingest.ts [--seconds 5] [--rounds 3] [--batch 100] [--concurrency 8]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { projectRoot } from '../src/config/schema.ts';
import { devTokenFor } from '../src/config/config.ts';

const { values } = parseArgs({ options: {
  seconds: { type: 'string', default: '5' }, batch: { type: 'string', default: '100' }, concurrency: { type: 'string', default: '8' },
  'max-requests': { type: 'string', default: '200000' }, rounds: { type: 'string', default: '3' },
} });
const seconds = Number(values.seconds), batch = Number(values.batch), concurrency = Number(values.concurrency), maxRequests = Number(values['max-requests']);

function body(seed: number): string {
  const lines: string[] = [];
  for (let i = 0; i < batch; i++) {
    const n = seed * batch + i;
    lines.push(JSON.stringify({
      time: 1_700_000_000 + n / 1000, sourcetype: 'pan:traffic', host: 'fw01',
      event: { action: 'allowed', src_ip: `10.0.${(n >> 8) & 255}.${n & 255}`, dest_ip: '203.0.113.10', src_port: 40000 + (n % 2000), dest_port: 443, user: `user${n % 50}`, app: 'ssl', bytes_in: n % 9000, bytes_out: 1200, rule: 'allow-web' },
    }));
  }
  return lines.join('\n');
}
const bodies = Array.from({ length: 32 }, (_, i) => body(i));

async function startServe(args: string[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'ingestor-sim.js'), 'serve', '--port', '0', '--log-level', 'warn', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /serving \d+ regions on .*listening on ([^\s)]+)\)/.exec(out);
      if (m) { clearTimeout(t); resolve(m[1]); }
    });
    child.on('exit', (c) => reject(new Error(`serve exited ${c}: ${out}`)));
  });
  return { url, stop: () => new Promise((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }) };
}

async function measure(label: string, args: string[]): Promise<{ label: string; eventsPerSec: number; requests: number; errors: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sim-bench-'));
  const srv = await startServe([...args, '--data-dir', dir]);
  const pool = new Pool(srv.url, { connections: concurrency, pipelining: 1 });
  const headers = { host: 'ingestor-us.xdr.trendmicro.com', authorization: `Splunk ${devTokenFor(0)}` };
  let requests = 0, errors = 0, i = 0;
  const run = async (until: number, count: boolean) => {
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (Date.now() < until && requests < maxRequests) {
        const r = await pool.request({ path: '/services/collector/event', method: 'POST', headers, body: bodies[i++ % bodies.length] });
        const t = await r.body.text();
        if (!count) continue;
        if (r.statusCode === 200) requests++;
        else { errors++; if (errors < 3) console.error(label, r.statusCode, t); }
      }
    }));
  };
  await run(Date.now() + 1000, false); // warm-up
  const t0 = process.hrtime.bigint();
  await run(Date.now() + seconds * 1000, true);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await pool.close();
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
  return { label, eventsPerSec: (requests * batch) / s, requests, errors };
}

const configs: Array<[string, string[]]> = [
  ['none', ['--store', 'none']],
  ['sqlite fsync=batch (default)', ['--store', 'sqlite', '--fsync', 'batch']],
  ['sqlite fsync=always', ['--store', 'sqlite', '--fsync', 'always']],
  ['sqlite fsync=never', ['--store', 'sqlite', '--fsync', 'never']],
];
const rounds = Number(values.rounds);
const runs = new Map<string, Array<Awaited<ReturnType<typeof measure>>>>();
for (let round = 0; round < rounds; round++) {
  for (const [label, args] of configs) {
    const r = await measure(label, args);
    runs.set(label, [...(runs.get(label) ?? []), r]);
  }
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const base = median(runs.get('none')!.map((r) => r.eventsPerSec));
console.log(`batch ${batch} events/request, ${concurrency} connections, ${seconds} s per run (after 1 s warm-up), ${rounds} interleaved rounds, loopback, node ${process.version}`);
for (const [label, rs] of runs) {
  const m = median(rs.map((r) => r.eventsPerSec));
  const errors = rs.reduce((a, r) => a + r.errors, 0);
  console.log(`${label.padEnd(30)} median ${Math.round(m).toString().padStart(7)} events/s  ${(m / base).toFixed(2)} x none  runs: ${rs.map((r) => Math.round(r.eventsPerSec)).join(' / ')}  errors: ${errors}`);
}
