import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FsyncMode } from '../config/config.ts';
import { SimError } from '../errors/sim-error.ts';
import type { FilteredField } from '../classify/types.ts';
import { sortItems } from './stats.ts';
import type { ItemStat, ListQuery, RegionStats, StoreBackend, StoredEvent, StoreRecord } from './types.ts';

const SCHEMA_VERSION = '2';

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  received_at INTEGER NOT NULL,
  tenant TEXT NOT NULL,
  module TEXT,
  time REAL,
  host TEXT NOT NULL,
  source TEXT NOT NULL,
  sourcetype TEXT NOT NULL,
  idx TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  event TEXT NOT NULL,
  fields TEXT,
  classes TEXT NOT NULL,
  dropped INTEGER NOT NULL,
  flagged INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_module ON events (module, id);
CREATE TABLE IF NOT EXISTS field_classes (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS item_stats (
  module TEXT NOT NULL,
  item TEXT NOT NULL,
  kept INTEGER NOT NULL DEFAULT 0,
  dropped INTEGER NOT NULL DEFAULT 0,
  flagged INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (module, item)
) WITHOUT ROWID;
`;

interface EventRow {
  id: number; received_at: number; tenant: string; module: string | null; time: number | null; host: string;
  source: string; sourcetype: string; idx: string; endpoint: 'event' | 'raw'; event: string; fields: string | null;
  classes: string; dropped: number; flagged: number;
}

/**
 * One region's SQLite file (`<dataDir>/<region>/events.sqlite`), WAL journal.
 * fsync always/batch: synchronous=FULL (every commit is on disk when it returns); never: synchronous=OFF.
 */
export class SqliteBackend implements StoreBackend {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  private readonly db: Database.Database;
  private readonly insertEvent: Database.Statement;
  private readonly upsertItem: Database.Statement;
  private readonly insertTx: (records: readonly StoreRecord[]) => void;
  private readonly insertClass: Database.Statement;
  /**
   * Per-field classifications are interned: the classifier and filter hand out shared objects (one per
   * distinct verdict), so each is stored once in field_classes and an event keeps a list of ids.
   */
  private classById: FilteredField[] = [];
  private classByJson = new Map<string, number>();
  private classByObj = new WeakMap<object, number>();

  constructor(readonly region: string, dataDir: string, fsync: FsyncMode) {
    const dir = join(dataDir, region);
    this.path = join(dir, 'events.sqlite');
    try {
      mkdirSync(dir, { recursive: true });
      this.db = new Database(this.path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${fsync === 'never' ? 'OFF' : 'FULL'}`);
      this.db.exec(DDL);
    } catch (err) {
      throw new SimError('SIM_ERR_STORE_OPEN', { detail: `${this.path}: ${(err as Error).message}`, cause: err });
    }
    const meta = this.db.prepare('SELECT value FROM meta WHERE key = ?');
    const storedRegion = (meta.get('region') as { value: string } | undefined)?.value;
    if (storedRegion !== undefined && storedRegion !== region) {
      this.db.close();
      throw new SimError('SIM_ERR_STORE_OPEN', { detail: `${this.path} holds region '${storedRegion}', not '${region}' (data residency: one file per region)` });
    }
    const storedSchema = (meta.get('schema') as { value: string } | undefined)?.value;
    if (storedSchema !== undefined && storedSchema !== SCHEMA_VERSION) {
      this.db.close();
      throw new SimError('SIM_ERR_STORE_OPEN', { detail: `${this.path} has store schema ${storedSchema}; this version writes schema ${SCHEMA_VERSION}: move the folder away` });
    }
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?), (?, ?)').run('region', region, 'schema', SCHEMA_VERSION);
    this.insertClass = this.db.prepare('INSERT INTO field_classes (json) VALUES (?)');
    this.loadClasses();
    this.insertEvent = this.db.prepare(`INSERT INTO events
      (received_at, tenant, module, time, host, source, sourcetype, idx, endpoint, event, fields, classes, dropped, flagged)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.upsertItem = this.db.prepare(`INSERT INTO item_stats (module, item, kept, dropped, flagged) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (module, item) DO UPDATE SET kept = kept + excluded.kept, dropped = dropped + excluded.dropped, flagged = flagged + excluded.flagged`);
    this.insertTx = this.db.transaction((records: readonly StoreRecord[]) => {
      const perClass = new Map<number, number>();
      for (const r of records) {
        let ids = '';
        for (const f of r.classification) {
          const id = this.classId(f);
          ids = ids === '' ? String(id) : `${ids},${id}`;
          perClass.set(id, (perClass.get(id) ?? 0) + 1);
        }
        this.insertEvent.run(
          r.receivedAt, r.tenant, r.module, r.time, r.host, r.source, r.sourcetype, r.index, r.endpoint,
          JSON.stringify(r.event), r.fields === null ? null : JSON.stringify(r.fields), ids,
          r.dropped, r.flagged,
        );
      }
      const items = new Map<string, ItemStat>();
      for (const [id, n] of perClass) {
        const f = this.classById[id];
        const key = `${f.module ?? ''}\u0000${f.item ?? ''}`;
        let st = items.get(key);
        if (!st) items.set(key, (st = { module: f.module, item: f.item, kept: 0, dropped: 0, flagged: 0 }));
        if (f.action === 'drop') st.dropped += n;
        else if (f.action === 'flag') st.flagged += n;
        else st.kept += n;
      }
      for (const st of items.values()) {
        this.upsertItem.run(st.module ?? '', st.item ?? '', st.kept, st.dropped, st.flagged);
      }
    });
  }

  private loadClasses(): void {
    this.classById = [];
    this.classByJson = new Map();
    this.classByObj = new WeakMap();
    for (const row of this.db.prepare('SELECT id, json FROM field_classes').iterate() as Iterable<{ id: number; json: string }>) {
      this.classById[row.id] = JSON.parse(row.json) as FilteredField;
      this.classByJson.set(row.json, row.id);
    }
  }

  /** The id of a classification, stored on first sight (inside the caller's transaction). */
  private classId(f: FilteredField): number {
    let id = this.classByObj.get(f);
    if (id !== undefined) return id;
    const json = JSON.stringify(f);
    id = this.classByJson.get(json);
    if (id === undefined) {
      id = Number(this.insertClass.run(json).lastInsertRowid);
      this.classById[id] = JSON.parse(json) as FilteredField;
      this.classByJson.set(json, id);
    }
    this.classByObj.set(f, id);
    return id;
  }

  insert(records: readonly StoreRecord[]): void {
    try {
      this.insertTx(records);
    } catch (err) {
      this.loadClasses(); // the transaction rolled back: forget ids it made
      throw err;
    }
  }

  list(q: ListQuery): StoredEvent[] {
    const limit = Math.max(0, Math.floor(q.limit));
    const rows = (q.module === undefined
      ? this.db.prepare('SELECT * FROM events ORDER BY id DESC LIMIT ?').all(limit)
      : q.module === null
        ? this.db.prepare('SELECT * FROM events WHERE module IS NULL ORDER BY id DESC LIMIT ?').all(limit)
        : this.db.prepare('SELECT * FROM events WHERE module = ? ORDER BY id DESC LIMIT ?').all(q.module, limit)) as EventRow[];
    return rows.map((r) => ({
      id: r.id, region: this.region, receivedAt: r.received_at, tenant: r.tenant, module: r.module, time: r.time,
      host: r.host, source: r.source, sourcetype: r.sourcetype, index: r.idx, endpoint: r.endpoint,
      event: JSON.parse(r.event), fields: r.fields === null ? null : JSON.parse(r.fields),
      classification: r.classes === '' ? [] : r.classes.split(',').map((id) => this.classById[Number(id)]),
      dropped: r.dropped, flagged: r.flagged,
    }));
  }

  stats(): RegionStats {
    const mods = this.db.prepare(`SELECT module, COUNT(*) AS events, SUM(dropped) AS d, SUM(flagged) AS f FROM events GROUP BY module`)
      .all() as Array<{ module: string | null; events: number; d: number; f: number }>;
    const modules: RegionStats['modules'] = {};
    let events = 0, droppedFields = 0, flaggedFields = 0;
    for (const m of mods) {
      modules[m.module ?? ''] = { events: m.events, droppedFields: m.d, flaggedFields: m.f };
      events += m.events;
      droppedFields += m.d;
      flaggedFields += m.f;
    }
    const items = (this.db.prepare('SELECT module, item, kept, dropped, flagged FROM item_stats').all() as ItemStat[])
      .map((s) => ({ ...s, module: s.module === '' ? null : s.module, item: s.item === '' ? null : s.item }));
    return { events, droppedFields, flaggedFields, modules, items: sortItems(items) };
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
