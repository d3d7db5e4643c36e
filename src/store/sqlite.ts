import { chmodSync, closeSync, existsSync, fdatasyncSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { FsyncMode } from '../config/config.ts';
import { SimError } from '../errors/sim-error.ts';
import type { FilteredField } from '../pipeline/classify/types.ts';
import { NUM_DROPPED, NUM_FLAGGED, NUMBERS, packRecords, REF_MODULE, REFS, stringTable, TEXTS, type PackedBatch } from './packed.ts';
import { StatsCounter } from './stats.ts';
import { VerdictIds } from './verdict-ids.ts';
import { DIR_MODE, FILE_MODE, lockDir } from './dir-lock.ts';
import { chunkRecord, classesRecord, INDEX_DDL, isChunk, LOG_FILE, PATH_OVERFLOW, TOTALS_DDL, parseRecordChunk, readRecord, recover, writeAll, type Recovered } from './event-log.mjs';
import { DEFAULT_MAX_FIELD_PATHS, foldPath, OVERFLOW_PATH, PathShapes } from './paths.ts';
import type { ItemStat, ListQuery, RegionStats, StoreBackend, StoreCondition, StoredEvent, StoreRecord } from './types.ts';
import { ConditionTracker } from './condition.ts';

const SCHEMA_VERSION = '5';

/**
 * Schema 5: the events are in the region's log (event-log.mjs), a record per request (a chunk): the request's
 * packed batch (packed.ts) with classification ids. This file is the index (INDEX_DDL): `chunks`
 * says where each chunk's record is, `chunk_modules` finds the chunks holding a module's events, newest first;
 * `module_stats` and `item_stats` are the running totals (stored once a second; `totals_through` in `meta`).
 *
 * Schema 4 kept the same chunks in this file (`body`, `meta` columns): opening one moves them to the log.
 */
const DDL_4 = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY,
  first_event INTEGER NOT NULL UNIQUE,
  events INTEGER NOT NULL,
  body TEXT NOT NULL,
  meta TEXT NOT NULL
);
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
  const refsOf = new Int32Array(n * REFS);
  const lens = new Int32Array(n * TEXTS);
  const nums = new Float64Array(n * NUMBERS);
  const idCounts = new Int32Array(n);
  const ids: number[] = [];
  let text = '';
  for (let e = 0, at = 0; e < n; e++) {
    const m = metas[e];
    const own = m[0] < 0 ? body : body.slice(at, at + m[0]);
    at += own.length;
    [m[13], m[2], m[4], m[5], m[6], m[7], m[14]].forEach((v, c) => { refsOf[e * REFS + c] = ref(v); });
    if (m[1] === 1) {
      lens.set([-1, own.length, -1], e * TEXTS);
      text += own;
    } else {
      lens.set([own.length, -1, m[10] === null ? -1 : m[10].length], e * TEXTS);
      text += own + (m[10] ?? '');
    }
    nums.set([m[12], m[3] ?? NaN, m[8], m[9]], e * NUMBERS);
    const list = m[11] === '' ? [] : m[11].split(',').map(Number);
    idCounts[e] = list.length;
    ids.push(...list);
  }
  return { events: n, table, refsOf, text, lens, nums, verdicts: Int32Array.from(ids), idCounts };
}

/** What a commit added to the totals: [class id, fields, ...], and [module, events, dropped, flagged] per module. */
interface Delta { tally: number[]; modules: Array<[string, number, number, number]> }

interface Pending { resolve: () => void; reject: (e: Error) => void; classes: number[] }

export interface SqliteOptions {
  fsync: FsyncMode;
  /** Group commit, fsync=batch (see StoreConfig). */
  batchMs?: number;
  batchEvents?: number;
  /** The writer stores the running totals in the index this often (default 1000 ms; at close in any case). */
  totalsMs?: number;
  /** Distinct path shapes kept (store.maxFieldPaths, paths.ts); past them, paths go to the overflow bucket. */
  maxPaths?: number;
}

/**
 * One region's store: its events in a log (`<dataDir>/<region>/events.log`, event-log.mjs), a record per
 * request, and an SQLite index beside it (`events.sqlite`, WAL journal). fsync always/batch: `insert` resolves
 * once its record is on disk (the writer's fdatasync of the log); never: once written and indexed, no syncing.
 *
 * Two SQLite connections: this thread's makes and checks the schema, brings the index in step with the log
 * when the file opens (recover), and answers reads (list, stats, count); a worker thread's
 * (sqlite-writer.mjs) does every write, so writes and fsync never stall the event loop. WAL lets the reader
 * see each commit as soon as it is made. `insert` resolves once the writer committed.
 */
export class SqliteBackend implements StoreBackend {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  readonly logPath: string;
  private readonly db: Database.Database;
  /** Releases the region folder's lock (dir-lock.ts). */
  private readonly unlock: () => void;
  /** The log, open for reading (list). */
  private readonly logFd: number;
  private writer: Worker | null = null;
  private readonly writerData: { path: string; log: string; fsync: FsyncMode; batchMs: number; batchEvents: number; totalsMs: number };
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  /** Set when the writer died: every later insert fails with it. */
  private broken: Error | null = null;
  private exited: Promise<void> = Promise.resolve();
  /**
   * Per-field classifications are interned: the classifier and filter hand out shared objects (one per
   * distinct verdict), so each is stored once in field_classes and an event keeps a list of ids. Ids are
   * chosen here; a new one's row goes with every insert until a commit holding it succeeded (`unconfirmed`).
   */
  private readonly classById: FilteredField[] = [];
  /** Classifications given an id whose row no commit has stored yet: sent with every insert until one does. */
  private readonly unconfirmed = new Map<number, string>();
  private readonly classIds = new VerdictIds(1, (id, json) => {
    this.classById[id] = JSON.parse(json) as FilteredField;
    this.unconfirmed.set(id, json);
  }, (f) => ({ ...f, path: this.shapes.of(f.path) }), 100_000);
  /**
   * The distinct path shapes (paths.ts): a classification is stored per shape, not per field name, up to
   * maxPaths shapes (then the overflow bucket); each field's exact path goes to the log with its chunk.
   */
  private readonly shapes: PathShapes;
  /**
   * The running totals (stats, count): read from the index at open, then each commit's reply adds its counts.
   * The writer stores them in the index once a second, and recovery counts from the log what it missed.
   */
  private readonly live = new StatsCounter();
  /** Commits made by the writer since the file was opened (a commit holds one chunk per request it took). */
  commits = 0;
  /**
   * What opening found: chunks read again from the log into the index, bytes cut off its end, a rebuilt index,
   * and the pieces of the log taken out to the quarantine folder (event-log.mjs, recover).
   */
  readonly recovered: Recovered;
  /** Log offsets of records the index names that list() could not read (damaged since the store opened). */
  readonly unreadable: number[] = [];
  /** Whether writes succeed (disk full: 503 code 9 and health degraded until one does again). */
  private readonly health = new ConditionTracker(() => ({
    recovery: this.recovered, unreadable: [...this.unreadable],
    paths: { distinct: this.shapes.distinct, cap: this.shapes.cap, overflowFields: this.shapes.overflowFields },
  }));
  readonly groups = true;

  constructor(readonly region: string, dataDir: string, options: FsyncMode | SqliteOptions) {
    const { fsync, batchMs = 0, batchEvents = 5_000, totalsMs = 1_000, maxPaths = DEFAULT_MAX_FIELD_PATHS } = typeof options === 'string' ? { fsync: options } : options;
    this.shapes = new PathShapes(maxPaths);
    const dir = join(dataDir, region);
    this.path = join(dir, 'events.sqlite');
    this.logPath = join(dir, LOG_FILE);
    try {
      // what the folder holds is what clients sent (personal data): its owner alone reads it, folders 700 and
      // files 600, tightened on open when an older version left them readable
      mkdirSync(dir, { recursive: true, mode: DIR_MODE });
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
        // the log is what is synced; the index is read again from it when it lost commits (event-log.mjs)
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
      if (storedSchema !== undefined && !['2', '3', '4', SCHEMA_VERSION].includes(storedSchema)) {
        this.db.close();
        throw new SimError('SIM_ERR_STORE_OPEN', { detail: `${this.path} has store schema ${storedSchema}; this version writes schema ${SCHEMA_VERSION}: move the folder away` });
      }
      try {
        if (storedSchema === '2' || storedSchema === '3') {
          this.db.transaction(() => this.db.exec(MIGRATE_TO_4(storedSchema === '3')))();
          storedSchema = '4';
        }
        if (storedSchema === '4') this.migrateTo5();
        this.db.exec(INDEX_DDL);
        this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?), (?, ?)').run('region', region, 'schema', SCHEMA_VERSION);
        this.recovered = recover(this.db, this.logPath);
        this.logFd = openSync(this.logPath, 'r');
      } catch (err) {
        this.db.close();
        throw new SimError('SIM_ERR_STORE_OPEN', { detail: `${this.logPath}: ${(err as Error).message}`, cause: err });
      }
      this.loadClasses();
      this.loadTotals();
    } catch (err) {
      this.unlock();
      throw err;
    }

    this.writerData = { path: this.path, log: this.logPath, fsync, batchMs, batchEvents, totalsMs };
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
      this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?), (?, ?)').run('schema', SCHEMA_VERSION, 'log_synced', String(at));
    })();
    this.db.exec('VACUUM'); // the texts' pages, free now
  }

  /** The writer thread, started by the first insert: a region that never receives an event costs no thread. */
  private startWriter(): Worker {
    // plain JavaScript: no loader flags of the parent (tsx) needed in the thread
    const writer = new Worker(new URL('../workers/store-writer.mjs', import.meta.url), { workerData: this.writerData, execArgv: [] });
    writer.on('message', (m: { seqs: number[]; ok: boolean; error?: string; code?: string; delta: Delta | null }) => {
      const failure = m.ok ? null : Object.assign(new Error(m.error), { code: m.code });
      if (failure === null) {
        this.commits++;
        this.health.ok();
      } else this.health.failed(failure);
      if (m.delta) this.addDelta(m.delta);
      for (const seq of m.seqs) {
        const p = this.pending.get(seq);
        if (!p) continue;
        this.pending.delete(seq);
        if (m.ok) {
          for (const id of p.classes) this.unconfirmed.delete(id);
          p.resolve();
        } else {
          p.reject(failure!); // its new classifications stay unconfirmed: the next insert sends them again
        }
      }
    });
    this.exited = new Promise((resolve) => {
      writer.on('error', (err) => this.fail(err));
      writer.on('exit', (code) => {
        this.fail(new Error(`the writer thread of ${this.path} exited (code ${code})`));
        resolve();
      });
    });
    return writer;
  }

  private fail(err: Error): void {
    this.broken ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Adds a commit's counts to the live totals. */
  private addDelta(d: Delta): void {
    for (let i = 0; i < d.tally.length; i += 2) {
      const f = this.classById[d.tally[i]];
      this.live.addVerdictCount(f, d.tally[i + 1]);
      if (f.path === OVERFLOW_PATH) this.shapes.overflowFields += d.tally[i + 1];
    }
    for (const [m, events, dropped, flagged] of d.modules) this.live.addEvents(m, events, dropped, flagged);
  }

  /** The totals as the index holds them (recover brought them up to the end of the log). */
  private loadTotals(): void {
    this.shapes.overflowFields = Number((this.db.prepare('SELECT value FROM meta WHERE key = ?').get(PATH_OVERFLOW) as { value: string } | undefined)?.value ?? 0);
    for (const m of this.db.prepare('SELECT module, events, dropped, flagged FROM module_stats').all() as Array<{ module: string; events: number; dropped: number; flagged: number }>) {
      this.live.addEvents(m.module, m.events, m.dropped, m.flagged);
    }
    for (const s of this.db.prepare('SELECT module, item, kept, dropped, flagged FROM item_stats').all() as ItemStat[]) {
      this.live.addItem({ ...s, module: s.module === '' ? null : s.module, item: s.item === '' ? null : s.item });
    }
  }

  private loadClasses(): void {
    for (const row of this.db.prepare('SELECT id, json FROM field_classes').iterate() as Iterable<{ id: number; json: string }>) {
      const f = this.classById[row.id] = JSON.parse(row.json) as FilteredField;
      this.classIds.preset(row.json, row.id);
      this.shapes.add(foldPath(f.path)); // a store written before this version has exact paths here
    }
  }

  insert(records: readonly StoreRecord[]): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    const b = packRecords(records, (f) => this.classIds.of(f));
    const exact: Array<number | string> = [];
    let k = 0;
    for (const r of records) {
      for (const f of r.classification) {
        if (this.classById[b.verdicts[k]].path !== f.path) exact.push(k, f.path);
        k++;
      }
    }
    return this.send(b, exact);
  }

  /** A batch an ingest worker packed: its verdict indices (into `verdicts`) become class ids here. */
  insertPacked(batch: PackedBatch, verdicts: readonly FilteredField[]): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    const ids = batch.verdicts;
    const exact: Array<number | string> = [];
    for (let k = 0; k < ids.length; k++) {
      const v = verdicts[ids[k]];
      const id = ids[k] = this.classIds.of(v);
      if (this.classById[id].path !== v.path) exact.push(k, v.path); // folded: the exact path goes with the chunk
    }
    return this.send(batch, exact);
  }

  /** Posts a packed batch whose `verdicts` are class ids to the writer; resolves once committed. */
  private send(b: PackedBatch, exact: Array<number | string>): Promise<void> {
    const classes: Array<number | string> = [];
    const carried: number[] = [];
    for (const [id, json] of this.unconfirmed) classes.push(id, json), carried.push(id);
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, classes: carried });
      (this.writer ??= this.startWriter()).postMessage(
        { seq, events: b.events, table: b.table, refsOf: b.refsOf, text: b.text, lens: b.lens, nums: b.nums, verdicts: b.verdicts, idCounts: b.idCounts, classes, exact },
        [b.refsOf.buffer, b.lens.buffer, b.nums.buffer, b.verdicts.buffer, b.idCounts.buffer] as ArrayBuffer[],
      );
    });
  }

  list(q: ListQuery): StoredEvent[] {
    const limit = Math.max(0, Math.floor(q.limit));
    const out: StoredEvent[] = [];
    if (limit === 0) return out;
    const want = q.module === undefined ? undefined : (q.module ?? '');
    const chunks = (want === undefined
      ? this.db.prepare('SELECT log_offset FROM chunks ORDER BY id DESC').iterate()
      : this.db.prepare(`SELECT c.log_offset FROM chunk_modules m JOIN chunks c ON c.id = m.chunk
          WHERE m.module = ? ORDER BY m.chunk DESC`).iterate(want)) as Iterable<{ log_offset: number }>;
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
        const classification: FilteredField[] = [];
        for (let k = idStarts[e], end = k + c.idCounts[e]; k < end; k++) {
          const f = this.classById[c.verdicts[k]];
          const path = exactOf?.get(k);
          classification.push(path === undefined ? f : { ...f, path });
        }
        const n = e * NUMBERS;
        const time = c.nums[n + 1];
        out.push({
          id: c.firstEvent + e, region: this.region, receivedAt: c.nums[n], tenant: ref(e, 0)!, module, time: Number.isNaN(time) ? null : time,
          host: ref(e, 2)!, source: ref(e, 3)!, sourcetype: ref(e, 4)!, index: ref(e, 5)!, endpoint: ref(e, 6) as 'event' | 'raw',
          event, fields, classification, dropped: c.nums[n + NUM_DROPPED], flagged: c.nums[n + NUM_FLAGGED],
        });
      }
      if (out.length >= limit) break;
    }
    return out;
  }

  stats(): RegionStats {
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

  /** Closes the writer (if one started) once what was sent is committed (the write queue waits for that), then the reader. */
  async close(): Promise<void> {
    if (this.writer !== null && this.broken === null) this.writer.postMessage({ close: true });
    await this.exited;
    if (this.db.open) {
      this.db.close();
      closeSync(this.logFd);
    }
    this.unlock();
  }
}
