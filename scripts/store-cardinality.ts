/**
 * What distinct field names cost the SQLite store (issue 13 item 5): N events, each with a field name never
 * seen before (`u<i>_name`, plus `tags[i]` array indexes and numeric segments `x.<i>.y`), classified and
 * filtered by the catalog's classifier, written to a region store in requests of --batch events. Prints heap
 * and RSS growth (after a GC), the region folder's size, the rows of field_classes, then closes and times a
 * reopen (and its heap). Bounded: N events, no network.
 *
 *   node --expose-gc --import tsx scripts/store-cardinality.ts [--names 100000] [--batch 1000] [--max-paths N]
 *
 * --serve: the same names sent over loopback HTTP to `ingestor-sim serve` (a child, development default,
 * --ingest-workers as given): the whole service's RSS and heap (/metrics) before and after, the data folder's
 * size, then a restart: time until it serves, and its RSS.
 *
 *   node --import tsx scripts/store-cardinality.ts --serve [--names 100000] [--batch 1000] [--ingest-workers 2]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { devTokenFor } from '../src/config/config.ts';
import { projectRoot } from '../src/config/schema.ts';
import { defaultClassifier } from '../src/pipeline/ingest/classifier.ts';
import { toRecord, type RecordContext } from '../src/pipeline/ingest/pipeline.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { batchOf } from '../src/store/verdicts.ts';

const put = (s: { append: (b: ReturnType<typeof batchOf>) => Promise<unknown> }, records: Parameters<typeof batchOf>[0]) => s.append(batchOf(records));

const { values } = parseArgs({ options: {
  names: { type: 'string', default: '100000' }, batch: { type: 'string', default: '1000' }, 'max-paths': { type: 'string' },
  serve: { type: 'boolean', default: false }, 'ingest-workers': { type: 'string', default: '2' },
} });
const N = Number(values.names), batch = Number(values.batch);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => { if (!values.serve) throw new Error('run with node --expose-gc'); });
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
function mem(): { heap: number; rss: number } {
  gc(); gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}
const du = (dir: string): number => readdirSync(dir, { recursive: true }).reduce((n, f) => {
  const s = statSync(join(dir, String(f)));
  return n + (s.isFile() ? s.size : 0);
}, 0);

/** The service over HTTP: RSS (/proc) and heap (/metrics) of the serving process, disk, restart time. */
async function serveRun(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sim-card-serve-'));
  const procRss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  const start = async () => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'ingestor-sim.js'), 'serve', '--port', '0', '--log-level', 'warn',
      '--data-dir', dir, '--ingest-workers', String(values['ingest-workers'])], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d) => { out += d; const m = /serving \d+ regions on (\S+)/.exec(out); if (m) resolve(m[1]); });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    return { child, url, startMs: performance.now() - t0, stop: () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }) };
  };
  const heapOf = async (url: string) => {
    const text = await (await request(`${url}/metrics`)).body.text();
    const m = /^(?:ingestor_sim_)?nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)/m.exec(text);
    return m ? Number(m[1]) : NaN;
  };
  const children: Array<{ kill: (s: NodeJS.Signals) => boolean }> = [];
  try {
    const a = await start();
    children.push(a.child);
    await new Promise((r) => setTimeout(r, 1500)); // the ingest threads load the catalog
    const rss0 = procRss(a.child.pid!), heap0 = await heapOf(a.url);
    const headers = { host: 'ingestor-us.xdr.trendmicro.com', authorization: `Splunk ${devTokenFor(0)}` };
    const t0 = performance.now();
    for (let from = 0; from < N; from += batch) {
      const lines: string[] = [];
      for (let i = from; i < Math.min(N, from + batch); i++) lines.push(JSON.stringify({ sourcetype: 'pan:traffic', event: { [`u${i}_name`]: 'v', src_ip: '10.0.0.1' } }));
      const res = await request(`${a.url}/services/collector/event`, { method: 'POST', headers, body: lines.join('\n') });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${text}`);
    }
    const sendMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 1500));
    const rss1 = procRss(a.child.pid!), heap1 = await heapOf(a.url);
    await a.stop();
    const disk = du(join(dir, 'us'));
    const b = await start();
    children.push(b.child);
    const rssB = procRss(b.child.pid!);
    await b.stop();
    console.log(JSON.stringify({
      names: N, batch, ingestWorkers: Number(values['ingest-workers']), sendMs: Math.round(sendMs),
      rssGrowth: mb(rss1 - rss0), heapGrowth: mb(heap1 - heap0), disk: mb(disk),
      restartMs: Math.round(b.startMs), rssAfterRestart: mb(rssB),
    }, null, 1));
  } finally {
    for (const c of children) c.kill('SIGKILL'); // after a failure: no server left behind
    rmSync(dir, { recursive: true, force: true });
  }
}
if (values.serve) {
  await serveRun();
  process.exit(0);
}

const c = defaultClassifier();
const policy = c.compilePolicy(c.matcher, { uploadPermission: {}, undeclared: 'keep' });
const ctx: RecordContext = {
  receivedAt: Date.now(), tenant: 't', tokenModule: null, endpoint: 'event',
  defaults: { host: 'h', source: 's', sourcetype: 'pan:traffic', index: 'main' }, matcher: c.matcher, policy, apply: c.applyPolicy,
};
const dir = mkdtempSync(join(tmpdir(), 'sim-card-'));
const options = { fsync: 'never' as const, ...(values['max-paths'] ? { maxPaths: Number(values['max-paths']) } : {}) };
try {
  const base = mem();
  const s = new SqliteStore('us', dir, options);
  let t0 = performance.now();
  for (let from = 0; from < N; from += batch) {
    const records = [];
    for (let i = from; i < Math.min(N, from + batch); i++) {
      // a third each: a new name, a new array index, a new numeric segment
      const event = i % 3 === 0 ? { [`u${i}_name`]: 'v', src_ip: '10.0.0.1' }
        : i % 3 === 1 ? { tags: Object.assign(new Array(i % 1000).fill(null), { [i % 1000]: 'x' }).slice(i % 1000 - 1 < 0 ? 0 : i % 1000 - 1), src_ip: '10.0.0.1', [`ids.${i}.user`]: 'a' }
          : { metrics: { [String(i)]: { value: 1 } }, src_ip: '10.0.0.1' };
      records.push(toRecord({ event } as never, ctx));
    }
    await put(s, records);
  }
  const writeMs = performance.now() - t0;
  const after = mem();
  const paths = s.condition().paths ?? null;
  await s.close();
  const disk = du(join(dir, 'us'));
  const db = new Database(join(dir, 'us', 'events.sqlite'), { readonly: true });
  const classes = (db.prepare('SELECT COUNT(*) AS n FROM field_classes').get() as { n: number }).n;
  db.close();
  const closed = mem();
  t0 = performance.now();
  const again = new SqliteStore('us', dir, options);
  const openMs = performance.now() - t0;
  const reopened = mem();
  const sample = again.list({ limit: 3 }).map((e) => e.verdicts.map((f) => f.path).join(','));
  await again.close();
  console.log(JSON.stringify({
    names: N, batch, writeMs: Math.round(writeMs),
    heapGrowth: mb(after.heap - base.heap), rssGrowth: mb(after.rss - base.rss),
    disk: mb(disk), fieldClasses: classes,
    reopenMs: Math.round(openMs), reopenHeapGrowth: mb(reopened.heap - closed.heap),
    sample,
    paths,
  }, null, 1));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
