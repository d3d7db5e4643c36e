/**
 * What distinct field names cost the SQLite store (issue 13 item 5): N events, each with a field name never
 * seen before (`u<i>_name`, plus `tags[i]` array indexes and numeric segments `x.<i>.y`), classified and
 * filtered by the catalog's classifier, written to a region store in requests of --batch events. Prints heap
 * and RSS growth (after a GC), the region folder's size, the rows of field_classes, then closes and times a
 * reopen (and its heap). Bounded: N events, no network.
 *
 *   node --expose-gc --import tsx scripts/store-cardinality.ts [--names 100000] [--batch 1000] [--max-paths N]
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { defaultClassifier } from '../src/ingest/classifier.ts';
import { toRecord, type RecordContext } from '../src/ingest/pipeline.ts';
import { SqliteBackend } from '../src/store/sqlite.ts';

const { values } = parseArgs({ options: {
  names: { type: 'string', default: '100000' }, batch: { type: 'string', default: '1000' }, 'max-paths': { type: 'string' },
} });
const N = Number(values.names), batch = Number(values.batch);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => { throw new Error('run with node --expose-gc'); });
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
  const s = new SqliteBackend('us', dir, options);
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
    await s.insert(records);
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
  const again = new SqliteBackend('us', dir, options);
  const openMs = performance.now() - t0;
  const reopened = mem();
  const sample = again.list({ limit: 3 }).map((e) => e.classification.map((f) => f.path).join(','));
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
