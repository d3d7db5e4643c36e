import { chmodSync, closeSync, existsSync, fdatasyncSync, openSync } from 'node:fs';
import { makeDir } from '../fs/make-dir.ts';
import { join } from 'node:path';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { FsyncMode } from '../config/config.ts';
import { SimError } from '../errors/sim-error.ts';
import type { Verdict } from '../pipeline/classify/types.ts';
import { ChunkBuilder, NUM_DROPPED, NUM_FLAGGED, NUMBERS, REF_MODULE, REFS, stringTable, TEXTS, transferOf, type Batch, type PackedBatch } from './packed.ts';
import { itemRows, StatsCounter } from './stats.ts';
import { DIR_MODE, FILE_MODE, lockDir } from './dir-lock.ts';
import { addItemCount, chunkRecord, classesRecord, HOLDS_MODULE, INDEX_DDL, isChunk, LOG_FILE, PATH_OVERFLOW, TOTALS_DDL, parseRecordChunk, readRecord, recover, writeAll, type ClassInfo, type ItemCounts, type Recovered } from './event-log.ts';
import { DEFAULT_MAX_FIELD_PATHS, foldPath, OVERFLOW_PATH as OVERFLOW } from './paths.ts';
import { grown } from './typed-arrays.ts';
import type { Committed, ListQuery, RegionStats, RegionStore, StoreCondition, StoredEvent, StorePort } from './types.ts';
import { ConditionTracker } from './condition.ts';
import { CommitTracker } from './commits.ts';
import { spawnWorker } from '../workers/spawn.ts';
import type { WriterInit, WriterReply } from '../workers/store-writer.ts';

const SCHEMA_VERSION = '7';

/**
 * Schema 7: the events are in the region's log (event-log.ts), a record per request (a chunk): the request's
 * packed batch (packed.ts) with classification ids. This file is the index (INDEX_DDL): `chunks`
 * says where each chunk's record is and which modules its events have (`modules`, modulesColumn: a module's
 * chunks are found newest first by a scan of `chunks`); `module_stats` and `item_stats` are the running totals
 * (stored once a second; `totals_through` in `meta`), per module and per (module, item, group).
 *
 * Schema 6 kept the modules in `chunk_modules (module, chunk)`: opening one moves them to `chunks.modules`.
 *
 * Schema 5 counted item_stats per (module, item): opening one recounts the totals from the log (the log and
 * the chunk rows are the same).
 *
 * Schema 4 kept the same chunks in this file (`body`, `meta` columns): opening one moves them to the log.
 */
/** Schemas 4 to 6: the modules of each chunk, a row per (module, chunk). */
const CHUNK_MODULES_6 = 'CREATE TABLE IF NOT EXISTS chunk_modules (module TEXT NOT NULL, chunk INTEGER NOT NULL, PRIMARY KEY (module, chunk)) WITHOUT ROWID;';

const DDL_4 = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY,
  first_event INTEGER NOT NULL UNIQUE,
  events INTEGER NOT NULL,
  body TEXT NOT NULL,
  meta TEXT NOT NULL
);
${CHUNK_MODULES_6}
${TOTALS_DDL}`;

/**
 * One event of a schema 4 chunk: [length of its text in body (-1: all of it), 1 if the text is the envelope as received
 * else 0 (the event's JSON), module, time, host, source, sourcetype, index, dropped, flagged, indexed fields as
 * JSON text or null, classification ids "1,2,3", receivedAt, tenant, endpoint].
 */
type EventMeta = [number, 0 | 1, string | null, number | null, string, string, string, string, number, number, string | null, string, number, string, 'event' | 'raw'];

/**
 * Schemas 2 and 3 kept a row per event (3 added the envelope column): each row becomes a chunk of one event,
 * with the same event id.
 */
const MIGRATE_TO_4 = (envelope: boolean) => `
${DDL_4}
INSERT INTO chunks (id, first_event, events, body, meta)
  SELECT id, id, 1, ${envelope ? 'COALESCE(envelope, event)' : 'event'},
    json_array(json_array(-1, ${envelope ? 'envelope IS NOT NULL' : '0'}, module, time, host, source, sourcetype, idx, dropped, flagged,
      fields, classes, received_at, tenant, endpoint))
  FROM events;
INSERT INTO chunk_modules (module, chunk) SELECT COALESCE(module, ''), id FROM events;
INSERT INTO module_stats (module, events, dropped, flagged)
  SELECT COALESCE(module, ''), COUNT(*), SUM(dropped), SUM(flagged) FROM events GROUP BY COALESCE(module, '');
DROP INDEX IF EXISTS events_module;
DROP TABLE events;
`;

/** A schema 4 chunk (its EventMeta list and body) as the packed batch a schema 5 log record holds. */
function packSchema4(metas: EventMeta[], body: string): PackedBatch {
  const { table, ref } = stringTable();
  const n = metas.length;
  const ids = metas.map((m) => (m[11] === '' ? [] : m[11].split(',').map(Number)));
  const out = new ChunkBuilder(n, ids.reduce((a, l) => a + l.length, 0), body.length + 256);
  const { refsOf, lens, nums, idCounts, verdicts } = out;
  for (let e = 0, at = 0, k = 0; e < n; e++) {
    const m = metas[e];
    const own = m[0] < 0 ? body : body.slice(at, at + m[0]);
    at += own.length;
    [m[13], m[2], m[4], m[5], m[6], m[7], m[14]].forEach((v, c) => { refsOf[e * REFS + c] = ref(v); });
    if (m[1] === 1) lens.set([-1, out.text(own), -1], e * TEXTS);
    else lens.set([out.text(own), -1, m[10] === null ? -1 : out.text(m[10])], e * TEXTS);
    nums.set([m[12], m[3] ?? NaN, m[8], m[9]], e * NUMBERS);
    idCounts[e] = ids[e].length;
    verdicts.set(ids[e], k);
    k += ids[e].length;
  }
  return out.done(table);
}

export interface SqliteOptions {
  fsync: FsyncMode;
  /** Group commit, fsync=batch (see StoreConfig). */
  batchMs?: number;
  batchEvents?: number;
  /** The writer stores the running totals in the index this often (default 1000 ms; at close in any case). */
  totalsMs?: number;
  /** Distinct path shapes kept (store.maxFieldPaths, paths.ts); past them, paths go to the overflow bucket. */
  maxPaths?: number;
  /** Events accepted and not yet committed, at most (store.maxQueuedEvents): past it, 503 code 9. */
  maxQueuedEvents?: number;
}

/**
 * One region's store: its events in a log (`<dataDir>/<region>/events.log`, event-log.ts), a record per
 * request, and an SQLite index beside it (`events.sqlite`, WAL journal). fsync always/batch: a request's commit
 * resolves once its record is on disk (the writer's fdatasync of the log); never: once written and indexed.
 *
 * Two SQLite connections: this thread's makes and checks the schema, brings the index in step with the log
 * when the file opens (recover), and answers reads (list, stats, count); the writer thread's
 * (src/workers/store-writer.ts) does every write, so writes and fsync never stall the event loop. WAL lets the
 * reader see each commit as soon as it is made. Batches go to the writer straight from the thread that made
 * them: the event loop's on the writer's own port (append), each ingest thread's on a port of its own
 * (connect). The writer gives classifications their ids and counts; this thread hears per commit only the
 * requests' numbers and what the commit added to the totals.
 */
export class SqliteStore implements RegionStore {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  readonly logPath: string;
  private readonly db: Database.Database;
  /** Releases the region folder's lock (dir-lock.ts). */
  private readonly unlock: () => void;
  /** The log, open for reading (list). */
  private readonly logFd: number;
  private writer: Worker | null = null;
  private readonly writerData: Omit<WriterInit, 'ports'>;
  /** Producers' ports made before the writer started: given to it when it starts. */
  private readonly ports: MessagePort[] = [];
  private readonly tracker: CommitTracker;
  /** Set when the writer died: every later write fails with it. */
  private broken: Error | null = null;
  private exited: Promise<void> = Promise.resolve();
  /** Classifications by id, read from field_classes as list() meets them (the writer stores them). */
  private readonly classById: Verdict[] = [];
  private readonly classJson: Database.Statement<[number], string>;
  /** Path shapes (paths.ts): distinct ones (the writer's count, from its replies), the cap, fields past it. */
  private readonly paths: { distinct: number; cap: number; overflowFields: number };
  /**
   * The running totals (stats, count): read from the index at open, then each commit's reply adds its counts.
   * The writer stores them in the index once a second, and recovery counts from the log what it missed.
   */
  private readonly live = new StatsCounter();
  /**
   * Fields per class id the writer's replies counted and `live` does not hold yet (stats() adds them: a reply
   * costs a few additions, not a row per item), the ids among them, and what each id is counted under.
   */
  private fieldsOf = new Float64Array(1024);
  private readonly counted: number[] = [];
  private readonly infos: ClassInfo[] = [];
  /** Commits made by the writer since the file was opened (a commit holds one chunk per request it took). */
  commits = 0;
  /**
   * What opening found: chunks read again from the log into the index, bytes cut off its end, a rebuilt index,
   * and the pieces of the log taken out to the quarantine folder (event-log.ts, recover).
   */
  readonly recovered: Recovered;
  /** Log offsets of records the index names that list() could not read (damaged since the store opened). */
  readonly unreadable: number[] = [];
  /** Whether writes succeed (disk full: 503 code 9 and health degraded until one does again). */
  private readonly health = new ConditionTracker(() => ({
    recovery: this.recovered, unreadable: [...this.unreadable], paths: { ...this.paths },
  }));

  constructor(readonly region: string, dataDir: string, options: FsyncMode | SqliteOptions) {
    const { fsync, batchMs = 0, batchEvents = 5_000, totalsMs = 1_000, maxPaths = DEFAULT_MAX_FIELD_PATHS, maxQueuedEvents = 100_000 } = typeof options === 'string' ? { fsync: options } : options;
    this.paths = { distinct: 0, cap: maxPaths, overflowFields: 0 };
    this.tracker = new CommitTracker(region, maxQueuedEvents);
    const dir = join(dataDir, region);
    this.path = join(dir, 'events.sqlite');
    this.logPath = join(dir, LOG_FILE);
    try {
      // what the folder holds is what clients sent (personal data): its owner alone reads it, folders 700 and
      // files 600, tightened on open when an older version left them readable
      makeDir(dir, DIR_MODE);
      chmodSync(dir, DIR_MODE);
    } catch (err) {
      throw new SimError('SIM_ERR_STORE_OPEN', { detail: `${this.path}: ${(err as Error).message}`, cause: err });
    }
    try {
      this.unlock = lockDir(dir);
    } catch (err) {
      throw new SimError('SIM_ERR_STORE_OPEN', { detail: (err as Error).message, cause: err });
    }
    try {
      try {
        for (const f of [this.path, this.logPath]) {
          if (existsSync(f)) chmodSync(f, FILE_MODE);
          else closeSync(openSync(f, 'a', FILE_MODE)); // SQLite gives its -wal and -shm files the mode of this one
        }
        for (const f of [`${this.path}-wal`, `${this.path}-shm`]) if (existsSync(f)) chmodSync(f, FILE_MODE);
        this.db = new Database(this.path);
        // a new file only: the index's rows are small (the events are in the log)
        this.db.pragma('page_size = 4096');
        this.db.pragma('journal_mode = WAL');
        // the log is what is synced; the index is read again from it when it lost commits (event-log.ts)
        this.db.pragma('synchronous = NORMAL');
        this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
      } catch (err) {
        throw new SimError('SIM_ERR_STORE_OPEN', { detail: `${this.path}: ${(err as Error).message}`, cause: err });
      }
      const meta = this.db.prepare('SELECT value FROM meta WHERE key = ?');
      const storedRegion = (meta.get('region') as { value: string } | undefined)?.value;
      if (storedRegion !== undefined && storedRegion !== region) {
        this.db.close();
        throw new SimError('SIM_ERR_STORE_OPEN', { detail: `${this.path} holds region '${storedRegion}', not '${region}' (data residency: one file per region)` });
      }
      let storedSchema = (meta.get('schema') as { value: string } | undefined)?.value;
      if (storedSchema !== undefined && !['2', '3', '4', '5', '6', SCHEMA_VERSION].includes(storedSchema)) {
        this.db.close();
        throw new SimError('SIM_ERR_STORE_OPEN', { detail: `${this.path} has store schema ${storedSchema}; this version writes schema ${SCHEMA_VERSION}: move the folder away` });
      }
      try {
        if (storedSchema === '2' || storedSchema === '3') {
          this.db.transaction(() => this.db.exec(MIGRATE_TO_4(storedSchema === '3')))();
          storedSchema = '4';
        }
        if (storedSchema === '4') {
          this.migrateTo5();
          storedSchema = '5';
        }
        if (storedSchema === '5') {
          this.migrateTo6();
          storedSchema = '6';
        }
        if (storedSchema === '6') this.migrateTo7();
        this.db.exec(INDEX_DDL);
        this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?), (?, ?)').run('region', region, 'schema', SCHEMA_VERSION);
        this.recovered = recover(this.db, this.logPath);
        this.logFd = openSync(this.logPath, 'r');
      } catch (err) {
        this.db.close();
        throw new SimError('SIM_ERR_STORE_OPEN', { detail: `${this.logPath}: ${(err as Error).message}`, cause: err });
      }
      this.classJson = this.db.prepare<[number], string>('SELECT json FROM field_classes WHERE id = ?').pluck();
      this.loadShapes();
      this.loadTotals();
    } catch (err) {
      this.unlock();
      throw err;
    }

    this.writerData = { path: this.path, log: this.logPath, fsync, batchMs, batchEvents, totalsMs, maxPaths };
  }

  /**
   * Schema 6 → 7: each chunk's modules move from `chunk_modules` rows into the chunk's own row (modulesColumn).
   * The log is unchanged; the totals are kept.
   */
  private migrateTo7(): void {
    const has = (this.db.prepare('PRAGMA table_info(chunks)').all() as Array<{ name: string }>).some((c) => c.name === 'modules');
    this.db.transaction(() => {
      // (a file whose chunks has the column already was labelled with an older schema: its rows are kept)
      if (!has) {
        this.db.exec(`${CHUNK_MODULES_6}
          ALTER TABLE chunks ADD COLUMN modules TEXT NOT NULL DEFAULT '';
          UPDATE chunks SET modules = COALESCE((SELECT group_concat(module || char(10), '') FROM chunk_modules WHERE chunk = chunks.id), '');`);
      }
      this.db.exec('DROP TABLE IF EXISTS chunk_modules');
      this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('schema', '7');
    })();
  }

  /**
   * Schema 5 → 6: item_stats gains the item's group (its key is module, item, group). The totals are counted
   * again from the log by recover (totals_through 0): the per-group counts exist only there.
   */
  private migrateTo6(): void {
    this.db.transaction(() => {
      this.db.exec('DROP TABLE IF EXISTS item_stats; DELETE FROM module_stats;');
      this.db.prepare('DELETE FROM meta WHERE key = ?').run(PATH_OVERFLOW);
      this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?), (?, ?)').run('totals_through', '0', 'schema', '6');
    })();
  }

  /**
   * Schema 4 → 5: every chunk's body and meta become a record of a new log (written whole and synced before
   * the index changes: a migration cut short starts again from the schema 4 file), then the columns go.
   */
  private migrateTo5(): void {
    const fd = openSync(this.logPath, 'w', FILE_MODE);
    const places: Array<[number, number, number]> = [];
    let at = 0;
    try {
      const classes = (this.db.prepare('SELECT id, json FROM field_classes ORDER BY id').all() as Array<{ id: number; json: string }>)
        .map((r) => [r.id, r.json] as const);
      if (classes.length > 0) {
        const r = classesRecord(classes);
        writeAll(fd, r.buffers);
        at += r.size;
      }
      for (const row of this.db.prepare('SELECT id, first_event, body, meta FROM chunks ORDER BY id').iterate() as Iterable<{ id: number; first_event: number; body: string; meta: string }>) {
        const r = chunkRecord(row.first_event, packSchema4(JSON.parse(row.meta) as EventMeta[], row.body));
        writeAll(fd, r.buffers);
        places.push([row.id, at, r.size]);
        at += r.size;
      }
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.db.transaction(() => {
      this.db.exec(`CREATE TABLE chunks_5 (id INTEGER PRIMARY KEY, first_event INTEGER NOT NULL, events INTEGER NOT NULL,
        log_offset INTEGER NOT NULL, log_length INTEGER NOT NULL)`);
      const move = this.db.prepare('INSERT INTO chunks_5 (id, first_event, events, log_offset, log_length) SELECT id, first_event, events, ?, ? FROM chunks WHERE id = ?');
      for (const [id, offset, size] of places) move.run(offset, size, id);
      this.db.exec('DROP TABLE chunks; ALTER TABLE chunks_5 RENAME TO chunks;');
      this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?), (?, ?)').run('schema', '5', 'log_synced', String(at));
    })();
    this.db.exec('VACUUM'); // the texts' pages, free now
  }

  /** The writer thread, started by the first request: a region that never receives an event costs no thread. */
  private startWriter(): Worker {
    const ports = this.ports.splice(0);
    const writer = spawnWorker('../workers/store-writer', import.meta.url, { workerData: { ...this.writerData, ports } satisfies WriterInit, transferList: ports });
    writer.on('message', (m: WriterReply) => this.onReply(m));
    this.exited = new Promise((resolve) => {
      writer.on('error', (err) => this.fail(err));
      writer.on('exit', (code) => {
        this.fail(new Error(`the writer thread of ${this.path} exited (code ${code})`));
        resolve();
      });
    });
    return writer;
  }

  /** A commit's reply: the totals, the condition, and each request it held. */
  private onReply(m: WriterReply): void {
    const failure = m.ok ? null : SimError.fromWire(m.error!);
    if (failure === null) {
      this.commits++;
      this.health.ok();
    } else this.health.failed(failure);
    this.paths.distinct = m.paths;
    const d = m.delta;
    if (d !== null) {
      this.live.addModuleRows(d.modules);
      const c = d.classes;
      for (let i = 0; i < c.length; i += 6) this.infos[c[i] as number] = [c[i + 1] as string, c[i + 2] as string, c[i + 3] as string, c[i + 4] as string, c[i + 5] === 1];
      for (let i = 0; i < d.ids.length; i++) {
        const id = d.ids[i];
        this.fieldsOf = grown(this.fieldsOf, id);
        if (this.fieldsOf[id] === 0) this.counted.push(id);
        this.fieldsOf[id] += d.counts[i];
        if (this.infos[id][4]) this.paths.overflowFields += d.counts[i];
      }
    }
    for (let i = 0; i < m.seqs.length; i++) {
      if (failure === null) this.tracker.commit(m.seqs[i], { seq: m.seqs[i], firstEvent: m.firsts[i], events: m.counts[i] });
      else this.tracker.fail(m.seqs[i], failure);
    }
  }

  private fail(err: Error): void {
    this.broken ??= err;
    this.tracker.failAll(err);
  }

  private get running(): Worker {
    if (this.broken) throw this.broken;
    return (this.writer ??= this.startWriter());
  }

  append(batch: Omit<Batch, 'seq'>): Promise<Committed> {
    let seq = 0;
    try {
      seq = this.tracker.admit(batch.events); // refused first when closed or full
      if (batch.events === 0) return this.tracker.settle(seq, 0);
      const writer = this.running;
      const b: Batch = { ...batch, seq };
      writer.postMessage(b, transferOf(b));
    } catch (err) {
      this.tracker.abandon(seq);
      return Promise.reject(err);
    }
    return this.tracker.settle(seq, batch.events);
  }

  admit(): number {
    const seq = this.tracker.admit();
    try {
      void this.running; // started now: the producer's batch waits in its port until the writer takes it
    } catch (err) {
      this.tracker.abandon(seq);
      throw err;
    }
    return seq;
  }

  settle(seq: number, events: number): Promise<Committed> {
    return this.tracker.settle(seq, events);
  }

  abandon(seq: number): void {
    this.tracker.abandon(seq);
  }

  /** A producer thread's port: its batches wait in it until the writer (started by the first request) takes them. */
  connect(): StorePort {
    const { port1, port2 } = new MessageChannel();
    if (this.writer === null) this.ports.push(port2);
    else this.writer.postMessage({ port: port2 }, [port2]);
    return { port: port1, text: true };
  }

  queueDepth(): number {
    return this.tracker.queueDepth();
  }

  isFull(): boolean {
    return this.tracker.isFull();
  }

  /** The totals as the index holds them (recover brought them up to the end of the log). */
  private loadTotals(): void {
    this.paths.overflowFields = Number((this.db.prepare('SELECT value FROM meta WHERE key = ?').get(PATH_OVERFLOW) as { value: string } | undefined)?.value ?? 0);
    for (const m of this.db.prepare('SELECT module, events, dropped, flagged FROM module_stats').all() as Array<{ module: string; events: number; dropped: number; flagged: number }>) {
      this.live.addEvents(m.module, m.events, m.dropped, m.flagged);
    }
    const rows = this.db.prepare('SELECT module, item, grp, kept, dropped, flagged FROM item_stats').raw().all() as Array<[string, string, string, number, number, number]>;
    this.live.addRows(rows.flat());
  }

  /** The distinct path shapes the classes hold (the writer keeps them from here on). */
  private loadShapes(): void {
    const known = new Set<string>();
    for (const json of this.db.prepare('SELECT json FROM field_classes').pluck().iterate() as Iterable<string>) {
      const shape = foldPath((JSON.parse(json) as Verdict).path); // a store written before shapes has exact paths here
      if (shape !== OVERFLOW) known.add(shape);
    }
    this.paths.distinct = known.size;
  }

  /** Classification `id` (stored by the writer before the chunk that names it was indexed). */
  private classOf(id: number): Verdict {
    let f = this.classById[id];
    if (f === undefined) {
      const json = this.classJson.get(id);
      if (json === undefined) throw new Error(`classification ${id} is not in ${this.path}`);
      this.classById[id] = f = JSON.parse(json) as Verdict;
    }
    return f;
  }

  list(q: ListQuery): StoredEvent[] {
    const limit = Math.max(0, Math.floor(q.limit));
    const out: StoredEvent[] = [];
    if (limit === 0) return out;
    const want = q.module === undefined ? undefined : (q.module ?? '');
    const chunks = (want === undefined
      ? this.db.prepare('SELECT log_offset FROM chunks ORDER BY id DESC').iterate()
      : this.db.prepare(`SELECT log_offset FROM chunks WHERE ${HOLDS_MODULE} ORDER BY id DESC`).iterate(want)) as Iterable<{ log_offset: number }>;
    for (const row of chunks) {
      const r = readRecord(this.logFd, row.log_offset);
      if (r === null || !isChunk(r.kind)) {
        // damaged on disk since the store opened: skipped and reported (health), quarantined at the next open
        if (!this.unreadable.includes(row.log_offset)) this.unreadable.push(row.log_offset);
        continue;
      }
      const c = parseRecordChunk(r.kind, r.payload);
      let exactOf: Map<number, string> | null = null;
      if (c.exact.length > 0) {
        exactOf = new Map();
        for (let i = 0; i < c.exact.length; i += 2) exactOf.set(c.exact[i] as number, c.exact[i + 1] as string);
      }
      // where each event's texts and classification ids start; then the events newest first
      const starts = new Array<number>(c.events);
      const idStarts = new Array<number>(c.events);
      for (let e = 0, at = 0, k = 0; e < c.events; e++) {
        starts[e] = at;
        idStarts[e] = k;
        k += c.idCounts[e];
        for (let t = 0; t < TEXTS; t++) at += Math.max(0, c.lens[e * TEXTS + t]);
      }
      const ref = (e: number, col: number): string | null => {
        const i = c.refsOf[e * REFS + col];
        return i < 0 ? null : c.table[i];
      };
      for (let e = c.events - 1; e >= 0 && out.length < limit; e--) {
        const module = ref(e, REF_MODULE);
        if (want !== undefined && (module ?? '') !== want) continue;
        const texts: Array<string | null> = [];
        for (let t = 0, at = starts[e]; t < TEXTS; t++) {
          const len = c.lens[e * TEXTS + t];
          texts.push(len < 0 ? null : c.text.slice(at, at + len));
          at += Math.max(0, len);
        }
        const [eventText, envelope, fieldsText] = texts;
        let event: unknown;
        let fields: Record<string, unknown> | null;
        if (envelope !== null) {
          const env = JSON.parse(envelope) as { event: unknown; fields?: Record<string, unknown> | null };
          event = env.event;
          fields = env.fields ?? null;
        } else {
          event = JSON.parse(eventText ?? 'null');
          fields = fieldsText === null ? null : JSON.parse(fieldsText);
        }
        const verdicts: Verdict[] = [];
        for (let k = idStarts[e], end = k + c.idCounts[e]; k < end; k++) {
          const f = this.classOf(c.verdicts[k]);
          const path = exactOf?.get(k);
          verdicts.push(path === undefined ? f : { ...f, path });
        }
        const n = e * NUMBERS;
        const time = c.nums[n + 1];
        out.push({
          id: c.firstEvent + e, region: this.region, receivedAt: c.nums[n], tenant: ref(e, 0)!, module, time: Number.isNaN(time) ? null : time,
          host: ref(e, 2)!, source: ref(e, 3)!, sourcetype: ref(e, 4)!, index: ref(e, 5)!, endpoint: ref(e, 6) as 'event' | 'raw',
          event, fields, verdicts, dropped: c.nums[n + NUM_DROPPED], flagged: c.nums[n + NUM_FLAGGED],
        });
      }
      if (out.length >= limit) break;
    }
    return out;
  }

  stats(): RegionStats {
    // the fields counted per class id since the last read, added to the totals per (module, item, group) now
    if (this.counted.length > 0) {
      const items: ItemCounts = new Map();
      for (const id of this.counted) {
        addItemCount(items, this.infos[id], this.fieldsOf[id]);
        this.fieldsOf[id] = 0;
      }
      this.counted.length = 0;
      this.live.addRows(itemRows(items));
    }
    return this.live.snapshot();
  }

  condition(): StoreCondition {
    return this.health.get();
  }

  watch(listener: (c: StoreCondition) => void): void {
    this.health.watch(listener);
  }

  count(): number {
    return this.live.events;
  }

  /** Closes the writer (if one started) once it committed what it was sent, then the reader. */
  async close(): Promise<void> {
    const settled = this.tracker.close();
    // the writer commits everything its ports hold (a producer thread's batch posted before the pool closed too)
    if (this.writer !== null && this.broken === null) this.writer.postMessage({ close: true });
    await this.exited;
    await settled;
    for (const p of this.ports.splice(0)) p.close();
    if (this.db.open) {
      this.db.close();
      closeSync(this.logFd);
    }
    this.unlock();
  }
}
