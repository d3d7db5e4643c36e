// A region's event log (`<dataDir>/<region>/events.log`) and the SQLite index kept beside it (schema 6).
//
// The log is the truth: an append-only file of records, each a request's events (a chunk) or the
// classifications that later chunks name by id. A reply waits for the log's fdatasync, nothing else. The
// SQLite file is an index derived from the log: where each chunk is, which modules it holds, the running
// totals. It is written without syncing of its own (synchronous=NORMAL: never corrupt, but its newest
// commits may be lost with the power), and anything it lost is read again from the log when the file opens
// (`recover`). Writing each request once, to a file, is what made the default store fast enough: SQLite wrote
// each request's text twice (its WAL, then the database at a checkpoint) into B-tree pages.
//
// The writer thread (src/workers/store-writer.ts) and the parent's store (sqlite.ts) both use it.
//
// Record: a 16-byte header, then the payload.
//   header: 'ISL1' | payload length (u32 LE) | CRC-32 of the payload (u32 LE) | kind (u8) | 3 zero bytes
//   kind 1, classes: JSON [[id, classification JSON], ...]
//   kind 2, chunk:   a request's events as the writer received them (packed.ts), little-endian:
//                    first event id (f64) | events (u32) | fields (u32) | table bytes (u32) | text bytes (u32)
//                    | nums (f64 × 4 per event) | refsOf (i32 × 7 per event) | lens (i32 × 3 per event)
//                    | idCounts (i32 per event) | ids (i32 per field: classification ids)
//                    | table (JSON array of the metadata strings) | text (UTF-8: the events' texts)
//   kind 3, chunk with exact paths: u32 LE byte length of a JSON array [field index, path, ...] | 4 zero
//                    bytes | that JSON, padded with spaces to a multiple of 8 bytes | a kind 2 payload. The
//                    chunk's classifications keep a path's shape (array indexes and numeric segments folded,
//                    or the overflow bucket: paths.ts); the fields whose path differs from it are listed here.
//   kind 0, skip:    bytes recovery took out of the log (a damaged record, copied to the quarantine folder
//                    first): zeros, kept so that every record after them stays where the index says it is
//   Writing the packed columns as they are leaves the writer nothing to do per event but count.
//
// Recovery (recover) checks record by record (magic, length, CRC, a chunk's own lengths): a record cut short at
// the end (a write that never completed, so never answered) is cut off before anything new is appended; a
// damaged record with whole records after it is copied to `quarantine/` and overwritten by a skip record, and
// the records after it are read on (the next whole one is found by its header: magic, a length that fits, a
// CRC that matches). Nothing whole is ever cut off.
import { closeSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, writeSync, writevSync } from 'node:fs';
import { makeDir } from '../fs/make-dir.ts';
import { dirname, join } from 'node:path';
import { endianness } from 'node:os';
import { crc32 } from 'node:zlib';
import type BetterSqlite3 from 'better-sqlite3';
import type { PackedBatch } from './packed.ts';

export const LOG_FILE = 'events.log';
export const HEADER = 16;
/** Where paths past a store's cap are folded (paths.ts says why; here for the totals of the overflow bucket). */
export const OVERFLOW_PATH = '(more paths)';
/** meta key: fields counted in the overflow bucket, with the totals. */
export const PATH_OVERFLOW = 'path_overflow_fields';
export const KIND_SKIP = 0;
export const KIND_CLASSES = 1;
export const KIND_CHUNK = 2;
export const KIND_CHUNK_PATHS = 3;
/** A record of events (kind 2, or 3 with exact paths). */
export const isChunk = (kind: number): boolean => kind === KIND_CHUNK || kind === KIND_CHUNK_PATHS;
const MAGIC = Buffer.from('ISL1', 'latin1');
const MAX_PAYLOAD = 0xffff_ffff;

export interface EncodedRecord { buffers: Buffer[]; size: number }
/** A record read from the log: its kind, its payload, its size with the header. */
export interface LogRecord { kind: number; payload: Buffer; size: number }
/** Per module ('' = none): [events, dropped fields, flagged fields]. */
export type ModuleCounts = Map<string, [number, number, number]>;
/** A chunk's columns as the stores count them (a packed batch's, or a decoded record's). */
export type CountedColumns = Pick<PackedBatch, 'events' | 'table' | 'refsOf' | 'nums' | 'verdicts'>;
/** A chunk record's payload decoded: its first event id, its columns (views of the payload), and its texts as one string. */
export type DecodedChunk = Omit<PackedBatch, 'columns' | 'tail'> & { firstEvent: number; text: string };
/** A chunk record decoded, with `exact` ([field index, path, ...]). */
export type ParsedChunk = DecodedChunk & { exact: Array<number | string> };
/** A piece of the log recovery took out, and the file of the region's quarantine folder that holds its bytes. */
export interface Quarantined { offset: number; length: number; reason: 'damaged' | 'torn'; file: string }
export interface Recovered { replayed: number; truncated: number; rebuilt: boolean; quarantined: Quarantined[] }
type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement<unknown[]>;

/** The index's tables besides `chunks` (schema 4 had them too): totals, verdicts. */
export const TOTALS_DDL = `
CREATE TABLE IF NOT EXISTS module_stats (
  module TEXT PRIMARY KEY,
  events INTEGER NOT NULL DEFAULT 0,
  dropped INTEGER NOT NULL DEFAULT 0,
  flagged INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS field_classes (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS item_stats (
  module TEXT NOT NULL,
  item TEXT NOT NULL,
  grp TEXT NOT NULL DEFAULT '',
  kept INTEGER NOT NULL DEFAULT 0,
  dropped INTEGER NOT NULL DEFAULT 0,
  flagged INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (module, item, grp)
) WITHOUT ROWID;
`;

export const INDEX_DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY,
  first_event INTEGER NOT NULL,
  events INTEGER NOT NULL,
  log_offset INTEGER NOT NULL,
  log_length INTEGER NOT NULL,
  modules TEXT NOT NULL DEFAULT ''
);
${TOTALS_DDL}`;

/**
 * A chunk row's `modules`: each module of its events followed by a newline ('' for events of no module:
 * a lone newline). Kept in the chunk's own row, not in a table keyed by module, so that a commit's index rows
 * are appended to one page at the tail of `chunks`: a (module, chunk) key put each commit's rows on as many
 * pages as it had modules, each rewritten into the WAL at every commit (schema 6).
 */
export function modulesColumn(modules: Iterable<string>): string {
  let s = '';
  for (const m of modules) s += `${m}\n`;
  return s;
}

/** The WHERE clause that picks the chunks holding module `?` (modulesColumn): newest first, by a scan of `chunks`. */
export const HOLDS_MODULE = "instr(char(10) || modules, char(10) || ? || char(10)) > 0";

// A packed batch's columns per event (packed.ts re-exports them: one layout for the batches and the log):
// refsOf tenant, module, host, source, sourcetype, index, endpoint; lens event JSON, envelope, fields JSON;
// nums receivedAt, time, dropped, flagged
export const REFS = 7, TEXTS = 3, NUMBERS = 4;
export const REF_MODULE = 1, NUM_DROPPED = 2, NUM_FLAGGED = 3;
/** A chunk payload's head: first event id (f64), events, fields, table bytes, text bytes (u32 each). */
export const CHUNK_HEAD = 24;

/** The bytes of a chunk payload's head and columns. */
const columnsSize = (events: number, fields: number): number => CHUNK_HEAD + events * (NUMBERS * 8 + (REFS + TEXTS + 1) * 4) + fields * 4;

/**
 * A new chunk payload's head and columns: one zeroed ArrayBuffer (the head holds `events` and `fields`; the
 * rest is for the caller to fill) and the typed arrays that view its columns.
 */
export function chunkColumns(events: number, fields: number): { bytes: ArrayBuffer; nums: Float64Array; refsOf: Int32Array; lens: Int32Array; idCounts: Int32Array; verdicts: Int32Array } {
  const bytes = new ArrayBuffer(columnsSize(events, fields));
  const head = new DataView(bytes, 0, CHUNK_HEAD);
  head.setUint32(8, events, true);
  head.setUint32(12, fields, true);
  let at = CHUNK_HEAD;
  const nums = new Float64Array(bytes, at, events * NUMBERS);
  at += nums.byteLength;
  const refsOf = new Int32Array(bytes, at, events * REFS);
  at += refsOf.byteLength;
  const lens = new Int32Array(bytes, at, events * TEXTS);
  at += lens.byteLength;
  const idCounts = new Int32Array(bytes, at, events);
  at += idCounts.byteLength;
  const verdicts = new Int32Array(bytes, at, fields);
  return { bytes, nums, refsOf, lens, idCounts, verdicts };
}

/** The buffers of one record (header first) and its size in the log. */
function record(kind: number, parts: Buffer[]): EncodedRecord {
  let length = 0;
  let crc = 0;
  for (const p of parts) {
    length += p.length;
    // an empty part is skipped: Node 20's crc32 of an empty view of an empty ArrayBuffer is 0, not `crc`
    if (p.length > 0) crc = crc32(p, crc);
  }
  if (length > MAX_PAYLOAD) throw new Error(`a log record of ${length} bytes is over the limit of ${MAX_PAYLOAD}`);
  const head = Buffer.alloc(HEADER);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(length, 4);
  head.writeUInt32LE(crc, 8);
  head[12] = kind;
  return { buffers: [head, ...parts], size: HEADER + length };
}

/** A classes record: [[id, json], ...]. */
export function classesRecord(pairs: ReadonlyArray<readonly [number, string]>): EncodedRecord {
  return record(KIND_CLASSES, [Buffer.from(JSON.stringify(pairs), 'utf8')]);
}

const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/**
 * A chunk record of a packed batch (packed.ts) whose ids column (`verdicts`) holds classification ids, as chunk
 * `firstEvent` (written into the batch's head: the record's bytes are the batch's own, not a copy). `exact`:
 * [field index, path, ...] of the fields whose path differs from their class's (a kind 3 record when any).
 */
export function chunkRecord(firstEvent: number, b: Pick<PackedBatch, 'columns' | 'tail'>, exact?: ReadonlyArray<number | string>): EncodedRecord {
  const columns = bytes(b.columns);
  columns.writeDoubleLE(firstEvent, 0);
  const tableBytes = columns.readUInt32LE(16);
  const textBytes = columns.readUInt32LE(20);
  const tail = bytes(b.tail);
  if (tail.length !== tableBytes + textBytes) throw new Error(`a chunk's texts and table take ${tail.length} bytes, its head says ${textBytes} + ${tableBytes}`);
  // the log holds the table before the texts
  const parts = [columns, tail.subarray(textBytes), tail.subarray(0, textBytes)];
  if (!exact || exact.length === 0) return record(KIND_CHUNK, parts);
  const json = JSON.stringify(exact);
  const pad = (8 - (Buffer.byteLength(json) % 8)) % 8;
  const paths = Buffer.from(json + ' '.repeat(pad), 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt32LE(paths.length, 0);
  return record(KIND_CHUNK_PATHS, [head, paths, ...parts]);
}

/**
 * Decodes a chunk record of either kind: parseChunk's fields and `exact`, [field index, path, ...] of the
 * fields whose path is not their classification's (empty for kind 2).
 */
export function parseRecordChunk(kind: number, payload: Buffer): ParsedChunk {
  if (kind === KIND_CHUNK) return Object.assign(parseChunk(payload), { exact: [] });
  if (kind !== KIND_CHUNK_PATHS) throw new Error(`a record of kind ${kind} is not a chunk`);
  if (payload.length < 8) throw new Error('a chunk record with paths is shorter than its head');
  const n = payload.readUInt32LE(0);
  if (8 + n > payload.length) throw new Error(`a chunk record of ${payload.length} bytes says its paths take ${n}`);
  const exact = JSON.parse(payload.toString('utf8', 8, 8 + n)) as unknown;
  if (!Array.isArray(exact)) throw new Error('the paths of a chunk record are not a list');
  return Object.assign(parseChunk(payload.subarray(8 + n)), { exact });
}

/** `n` values of a typed array type at `at` in `buf`: a view when aligned, else a copy. */
function column<T extends Int32Array | Float64Array>(Type: { new (b: ArrayBufferLike, at: number, n: number): T; new (b: ArrayBufferLike): T; BYTES_PER_ELEMENT: number }, buf: Buffer, at: number, n: number): T {
  const start = buf.byteOffset + at;
  if (start % Type.BYTES_PER_ELEMENT === 0) return new Type(buf.buffer, start, n);
  return new Type(buf.buffer.slice(start, start + n * Type.BYTES_PER_ELEMENT));
}

/** Decodes a chunk record's payload: { firstEvent, events, table, refsOf, lens, nums, verdicts, idCounts, text }. */
export function parseChunk(payload: Buffer): DecodedChunk {
  if (payload.length < CHUNK_HEAD) throw new Error(`a chunk record of ${payload.length} bytes is shorter than its head`);
  const firstEvent = payload.readDoubleLE(0);
  const events = payload.readUInt32LE(8);
  const fields = payload.readUInt32LE(12);
  const tableBytes = payload.readUInt32LE(16);
  const textBytes = payload.readUInt32LE(20);
  const want = columnsSize(events, fields) + tableBytes + textBytes;
  if (want !== payload.length) throw new Error(`a chunk record of ${payload.length} bytes says it holds ${want}`);
  let at = CHUNK_HEAD;
  const nums = column(Float64Array, payload, at, events * NUMBERS);
  at += events * NUMBERS * 8;
  const refsOf = column(Int32Array, payload, at, events * REFS);
  at += events * REFS * 4;
  const lens = column(Int32Array, payload, at, events * TEXTS);
  at += events * TEXTS * 4;
  const idCounts = column(Int32Array, payload, at, events);
  at += events * 4;
  const verdicts = column(Int32Array, payload, at, fields);
  at += fields * 4;
  const table = JSON.parse(payload.toString('utf8', at, at + tableBytes)) as string[];
  at += tableBytes;
  const text = payload.toString('utf8', at, at + textBytes);
  return { firstEvent, events, table, refsOf, lens, nums, verdicts, idCounts, text };
}

/** Adds a packed batch's events to `modules`: per module ('' = none) [events, dropped, flagged]. */
export function countModules(b: Pick<CountedColumns, 'events' | 'table' | 'refsOf' | 'nums'>, modules: ModuleCounts): ModuleCounts {
  for (let e = 0; e < b.events; e++) {
    const i = b.refsOf[e * REFS + REF_MODULE];
    const key = i < 0 ? '' : b.table[i];
    let st = modules.get(key);
    if (!st) modules.set(key, (st = [0, 0, 0]));
    st[0]++;
    st[1] += b.nums[e * NUMBERS + NUM_DROPPED];
    st[2] += b.nums[e * NUMBERS + NUM_FLAGGED];
  }
  return modules;
}

/**
 * Adds a packed batch's counts to a commit's totals: tally[classification id] += fields, and its modules'
 * counts to `modules`. Returns the batch's own modules (for its chunk row's `modules`).
 */
export function countChunk(b: CountedColumns, tally: number[], modules: ModuleCounts): string[] {
  const ids = b.verdicts;
  for (let k = 0; k < ids.length; k++) tally[ids[k]] = (tally[ids[k]] ?? 0) + 1;
  const own = countModules(b, new Map());
  addModules(modules, own);
  return [...own.keys()];
}

/**
 * Per-module counts as one flat list, [module ('' = none), events, dropped fields, flagged fields, ...]: how they
 * cross threads (an ingest thread's reply, a writer's commit delta, a none store's Counts) without a Map.
 */
export type ModuleRows = Array<string | number>;

export function moduleRows(modules: ModuleCounts): ModuleRows {
  const rows: ModuleRows = [];
  for (const [m, st] of modules) rows.push(m, st[0], st[1], st[2]);
  return rows;
}

/** The events ModuleRows count, all modules together. */
export function eventsOf(rows: ModuleRows): number {
  let n = 0;
  for (let i = 1; i < rows.length; i += 4) n += rows[i] as number;
  return n;
}

export function moduleCountsOf(rows: ModuleRows): ModuleCounts {
  const modules: ModuleCounts = new Map();
  for (let i = 0; i < rows.length; i += 4) modules.set(rows[i] as string, [rows[i + 1] as number, rows[i + 2] as number, rows[i + 3] as number]);
  return modules;
}

/** Adds per-module counts ([events, dropped, flagged] by module) to `into`. */
export function addModules(into: ModuleCounts, from: ModuleCounts): void {
  for (const [key, st] of from) {
    const t = into.get(key);
    if (t) { t[0] += st[0]; t[1] += st[1]; t[2] += st[2]; } else into.set(key, [...st]);
  }
}

/**
 * The CRC that versions before this one wrote for a chunk of events without fields (an empty `ids` column):
 * Node 20's crc32 of that empty part was 0, and the CRC went on from there over the table and the text. -1
 * for any other chunk.
 */
function legacyCrc(payload: Buffer): number {
  if (payload.length < CHUNK_HEAD || payload.readUInt32LE(12) !== 0) return -1;
  const start = CHUNK_HEAD + payload.readUInt32LE(8) * (NUMBERS * 8 + (REFS + TEXTS + 1) * 4);
  return start <= payload.length ? crc32(payload.subarray(start)) : -1;
}

/**
 * The record at `offset` as { kind, payload, size }, or null when there is none whole there: past the end (or
 * past `end`, when given: a damaged length is not read), cut short, not a record header, or a payload whose
 * CRC does not match.
 */
export function readRecord(fd: number, offset: number, end = Infinity): LogRecord | null {
  const head = Buffer.alloc(HEADER);
  if (readSync(fd, head, 0, HEADER, offset) !== HEADER) return null;
  if (!head.subarray(0, 4).equals(MAGIC)) return null;
  const length = head.readUInt32LE(4);
  if (offset + HEADER + length > end) return null;
  const payload = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, payload, got, length - got, offset + HEADER + got);
    if (n === 0) return null;
    got += n;
  }
  const crc = head.readUInt32LE(8);
  if (crc32(payload) !== crc && !(head[12] === KIND_CHUNK && legacyCrc(payload) === crc)) return null;
  return { kind: head[12], payload, size: HEADER + length };
}

/** Writes every buffer at the end of the append-mode `fd`; throws unless all of them were written. */
export function writeAll(fd: number, buffers: readonly Buffer[]): void {
  for (let i = 0; i < buffers.length;) {
    const batch = buffers.slice(i, i + 256); // well under IOV_MAX
    let want = 0;
    for (const b of batch) want += b.length;
    let done = writevSync(fd, batch);
    if (done < want) {
      // a short write (a full disk is the usual cause) leaves the rest to write one by one, or throws
      const rest = Buffer.concat(batch).subarray(done);
      for (let at = 0; at < rest.length;) {
        const n = writeSync(fd, rest, at);
        if (n <= 0) throw new Error(`the log took ${done + at} of ${want} bytes`);
        at += n;
      }
      done = want;
    }
    i += batch.length;
  }
}

/** The classification stored for an id whose classes record was damaged and quarantined. */
export function lostClass(id: number): string {
  return JSON.stringify({
    path: '', item: null, module: null, category: 'non-personal', by: 'none', kind: null, action: 'keep',
    reason: `classification ${id} was in a damaged log record (moved to the quarantine folder)`,
  });
}

/** [module, item, group, action, in the overflow bucket] of a classification: what the totals count it under. */
export type ClassInfo = [module: string, item: string, group: string, action: string, overflow: boolean];

/** What the totals count a classification (its JSON) under. */
export function classInfo(json: string): ClassInfo {
  const f = JSON.parse(json) as { module?: string | null; item?: string | null; group?: string | null; action: string; path: string };
  return [f.module ?? '', f.item ?? '', f.group ?? '', f.action, f.path === OVERFLOW_PATH];
}

/** The key of a (module, item, group) entry in per-item totals: `module \u0000 item \u0000 group`, '' for null. */
export function itemKey(module: string | null, item: string | null, group: string | null = null): string {
  return `${module ?? ''}\u0000${item ?? ''}\u0000${group ?? ''}`;
}

/** Per-(module, item, group) counts: key itemKey → [module, item, group, kept, dropped, flagged]. */
export type ItemCounts = Map<string, [string, string, string, number, number, number]>;

/** Adds `count` fields of a classification to `items`, by its action. */
export function addItemCount(items: ItemCounts, info: ClassInfo, count: number): void {
  const key = itemKey(info[0], info[1], info[2]);
  let st = items.get(key);
  if (!st) items.set(key, (st = [info[0], info[1], info[2], 0, 0, 0]));
  st[info[3] === 'drop' ? 4 : info[3] === 'flag' ? 5 : 3] += count;
}

/**
 * The index statements of one SQLite connection, shared by the writer thread (new chunks) and the parent
 * (recovery, migration): classes, chunk rows and the running totals.
 */
export class LogIndex {
  private readonly insertChunk: Statement;
  private readonly upsertModule: Statement;
  private readonly insertClass: Statement;
  private readonly upsertItem: Statement;
  readonly setMeta: Statement;
  private readonly addMeta: Statement;
  private readonly classJson: Statement;
  /** What item_stats needs of each classification, by id; read when first counted. */
  classInfo: ClassInfo[] = [];
  /** Recovery: a classification whose classes record was quarantined gets a row that says so (lostClass). */
  lostClasses = false;

  constructor(db: Database) {
    this.insertChunk = db.prepare('INSERT INTO chunks (first_event, events, log_offset, log_length, modules) VALUES (?, ?, ?, ?, ?)');
    this.upsertModule = db.prepare(`INSERT INTO module_stats (module, events, dropped, flagged) VALUES (?, ?, ?, ?)
      ON CONFLICT (module) DO UPDATE SET events = events + excluded.events, dropped = dropped + excluded.dropped, flagged = flagged + excluded.flagged`);
    this.insertClass = db.prepare('INSERT OR IGNORE INTO field_classes (id, json) VALUES (?, ?)');
    this.upsertItem = db.prepare(`INSERT INTO item_stats (module, item, grp, kept, dropped, flagged) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (module, item, grp) DO UPDATE SET kept = kept + excluded.kept, dropped = dropped + excluded.dropped, flagged = flagged + excluded.flagged`);
    this.setMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    this.addMeta = db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?)
      ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + CAST(excluded.value AS INTEGER) AS TEXT)`);
    this.classJson = db.prepare('SELECT json FROM field_classes WHERE id = ?').pluck();
  }

  /** What classification `id` is counted under (stored by addClasses, in this transaction or before). */
  info(id: number): ClassInfo {
    let c = this.classInfo[id];
    if (c === undefined) {
      let json = this.classJson.get(id) as string | undefined;
      if (json === undefined && this.lostClasses) {
        // its classes record was damaged and quarantined (recover): the id keeps a row saying so, and is never
        // given to another classification
        json = lostClass(id);
        this.insertClass.run(id, json);
      }
      if (json === undefined) throw new Error(`classification ${id} is counted but not stored`);
      this.classInfo[id] = c = classInfo(json);
    }
    return c;
  }

  /** Stores classifications [[id, json], ...]. */
  addClasses(pairs: ReadonlyArray<readonly [number, string]>): void {
    for (const [id, json] of pairs) this.insertClass.run(id, json);
  }

  /** One chunk's row, with its modules (module ids, '' for none; modulesColumn). */
  addChunk(firstEvent: number, events: number, offset: number, size: number, modules: Iterable<string>): number | bigint {
    return this.insertChunk.run(firstEvent, events, offset, size, modulesColumn(modules)).lastInsertRowid;
  }

  /** Adds counts to the totals: tally[classification id] = fields, modules: Map module → [events, dropped, flagged]. */
  addTotals(tally: ArrayLike<number>, modules: ModuleCounts): void {
    const items: ItemCounts = new Map();
    let overflow = 0;
    for (let id = 0; id < tally.length; id++) {
      const count = tally[id];
      if (!count) continue;
      const info = this.info(id);
      if (info[4]) overflow += count;
      addItemCount(items, info, count);
    }
    for (const st of items.values()) this.upsertItem.run(st[0], st[1], st[2], st[3], st[4], st[5]);
    if (overflow > 0) this.addMeta.run(PATH_OVERFLOW, String(overflow));
    for (const [m, st] of modules) this.upsertModule.run(m, st[0], st[1], st[2]);
  }

  /** The log offset up to which every chunk row's record is known to be on disk. */
  setSynced(offset: number): void {
    this.setMeta.run('log_synced', String(offset));
  }

  /** The log offset up to which the totals count every chunk (they are written once a second, not per commit). */
  setTotalsThrough(offset: number): void {
    this.setMeta.run('totals_through', String(offset));
  }

  /** Counts one chunk record read back from the log (recovery) in the totals, and indexes it when `indexed`. */
  addChunkRecord(payload: Buffer, offset: number, size: number, indexed: boolean, kind = KIND_CHUNK, parsed: ParsedChunk | null = null): void {
    const c = parsed ?? parseRecordChunk(kind, payload);
    const tally: number[] = [];
    const modules: ModuleCounts = new Map();
    const own = countChunk(c, tally, modules);
    if (indexed) this.addChunk(c.firstEvent, c.events, offset, size, own);
    this.addTotals(tally, modules);
  }
}

/**
 * The record at `at` when it is whole and readable (a chunk's own lengths agree), else null; a chunk's decoded
 * form goes with it (`chunk`), so that it is decoded once.
 */
function wholeRecord(fd: number, at: number, end: number): (LogRecord & { chunk?: ParsedChunk }) | null {
  const r: (LogRecord & { chunk?: ParsedChunk }) | null = readRecord(fd, at, end);
  if (r === null) return null;
  if (isChunk(r.kind)) {
    try {
      r.chunk = parseRecordChunk(r.kind, r.payload);
    } catch {
      return null;
    }
  } else if (r.kind === KIND_CLASSES) {
    try {
      if (!Array.isArray(JSON.parse(r.payload.toString('utf8')))) return null;
    } catch {
      return null;
    }
  }
  return r;
}

/**
 * The offset of the first whole record after the damaged one at `at`, or -1 when none follows (a torn tail).
 * Its own header is tried first (a damaged payload whose length is right), then the log is searched for the
 * next magic whose header and CRC hold.
 */
export function resync(fd: number, at: number, end: number): number {
  const head = Buffer.alloc(HEADER);
  if (readSync(fd, head, 0, HEADER, at) === HEADER && head.subarray(0, 4).equals(MAGIC)) {
    const next = at + HEADER + head.readUInt32LE(4);
    if (next < end && wholeRecord(fd, next, end) !== null) return next;
  }
  const block = Buffer.allocUnsafe(1 << 20);
  for (let from = at + 1; from < end;) {
    const n = readSync(fd, block, 0, Math.min(block.length, end - from), from);
    if (n <= 0) break;
    for (let i = block.indexOf(MAGIC); i !== -1 && i < n; i = block.indexOf(MAGIC, i + 1)) {
      if (i + MAGIC.length > n && from + n < end) break; // cut by the block's end: read again with the next one
      if (wholeRecord(fd, from + i, end) !== null) return from + i;
    }
    if (from + n >= end) break;
    from += n - (MAGIC.length - 1); // a magic across two blocks is found in the second
  }
  return -1;
}

/** A skip record of `size` bytes (at least HEADER): zeros, with their CRC. */
function skipRecord(size: number): Buffer {
  const payload = Buffer.alloc(size - HEADER);
  const head = Buffer.alloc(HEADER);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(payload.length, 4);
  head.writeUInt32LE(crc32(payload), 8);
  head[12] = KIND_SKIP;
  return Buffer.concat([head, payload]);
}

/**
 * Copies `length` bytes of the log at `offset` to a file of the region's quarantine folder (synced before
 * the log changes), and returns its path.
 */
function quarantine(fd: number, logPath: string, offset: number, length: number, reason: 'damaged' | 'torn', stamp: string): string {
  const folder = join(dirname(logPath), 'quarantine');
  makeDir(folder, 0o700);
  const file = join(folder, `${stamp}-${reason}-at-${offset}-${length}.bin`);
  const out = openSync(file, 'w', 0o600);
  try {
    const buf = Buffer.allocUnsafe(Math.min(length, 1 << 20));
    for (let done = 0; done < length;) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, length - done), offset + done);
      if (n <= 0) break;
      writeAll(out, [buf.subarray(0, n)]);
      done += n;
    }
    fdatasyncSync(out);
  } finally {
    closeSync(out);
  }
  return file;
}

/**
 * Walks the log from `from` record by record, checking each (readRecord, wholeRecord), and calls `each(r, at)`
 * for every whole one. A damaged record followed by whole ones is quarantined and overwritten by a skip record
 * of the same size (a gap too small for a header: a copy of the log without it replaces the log, and the walk
 * stops there: `moved`, to be read again). Returns { end, damaged: [{ offset, length, reason, file }], moved }: `end` is where the last
 * whole record ends; what follows it (a torn tail) is not touched here.
 */
function walk(fd: number, logPath: string, from: number, size: number, each: (r: LogRecord & { chunk?: ParsedChunk }, at: number) => void, stamp: string):
  { end: number; damaged: Quarantined[]; moved: boolean; size: number } {
  const damaged: Quarantined[] = [];
  let at = from;
  while (at < size) {
    const r = wholeRecord(fd, at, size);
    if (r !== null) {
      each(r, at);
      at += r.size;
      continue;
    }
    const next = resync(fd, at, size);
    if (next === -1) break; // nothing whole after it: a torn tail
    const length = next - at;
    const file = quarantine(fd, logPath, at, length, 'damaged', stamp);
    damaged.push({ offset: at, length, reason: 'damaged', file });
    if (length < HEADER) {
      // too small to hold a header: a copy of the log without it replaces the log (every offset after it
      // changes: the caller reads the new file again from the start)
      compactInto(fd, logPath, at, next, size);
      return { end: at, damaged, moved: true, size: size - length };
    }
    writeSync(fd, skipRecord(length), 0, length, at);
    fdatasyncSync(fd);
  }
  return { end: at, damaged, moved: false, size };
}

/**
 * Writes the log without its bytes [from, to) to a new file, syncs it and renames it over the log (a crash
 * leaves the old log or the new one, never a mix).
 */
function compactInto(fd: number, logPath: string, from: number, to: number, size: number): void {
  const tmp = `${logPath}.compact`;
  const out = openSync(tmp, 'w', 0o600);
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (const [a, b] of [[0, from], [to, size]]) {
      for (let src = a; src < b;) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, b - src), src);
        if (n <= 0) throw new Error(`${logPath}: could not read at ${src}`);
        writeAll(out, [buf.subarray(0, n)]);
        src += n;
      }
    }
    fdatasyncSync(out);
  } finally {
    closeSync(out);
  }
  renameSync(tmp, logPath);
  const d = openSync(dirname(logPath), 'r');
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}

/**
 * Brings the index in step with the log, in the parent before the writer starts. Returns what it did:
 * { replayed, truncated, rebuilt, quarantined }.
 * - The index is checked against the log: chunk rows past `log_synced` (their record was not yet known to be
 *   on disk when the row was written), the last row, and the log's size. A row whose record is not whole
 *   means the power went or the file was damaged: the index is rebuilt from the whole log, every record
 *   checked.
 * - Records after the last indexed one (written, but the index commit was lost, or the process died between
 *   the two) are indexed (`replayed` counts them), and records after `totals_through` are counted in the totals.
 * - A damaged record with whole records after it is copied to `quarantine/` and replaced by a skip record
 *   (walk): the records after it are kept and indexed. Found below what the index held, the index is rebuilt.
 * - What follows the last whole record (a write that never completed, never answered) is copied to
 *   `quarantine/` and cut off (`truncated` bytes), before anything new is appended.
 * `quarantined` lists each piece taken out: { offset, length, reason: 'damaged' | 'torn', file }.
 */
export function recover(db: Database, logPath: string): Recovered {
  // the columns are written as the machine holds them
  if (endianness() !== 'LE') throw new Error('the event log is written little-endian, and this machine is big-endian');
  let fd = openSync(logPath, 'r+');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  try {
    const index = new LogIndex(db);
    index.lostClasses = true;
    const metaOf = (key: string): string | undefined => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
    const synced = Number(metaOf('log_synced') ?? 0);
    let size = fstatSync(fd).size;
    let rebuilt = false;
    const last = db.prepare('SELECT log_offset AS o, log_length AS n FROM chunks ORDER BY id DESC LIMIT 1').get() as { o: number; n: number } | undefined;
    if (last !== undefined && last.o + last.n > size) rebuilt = true;
    let newest = true;
    for (const row of rebuilt ? [] : db.prepare('SELECT log_offset AS o, log_length AS n FROM chunks ORDER BY id DESC').iterate() as Iterable<{ o: number; n: number }>) {
      if (!newest && row.o + row.n <= synced) break;
      newest = false;
      const r = readRecord(fd, row.o, size);
      if (r === null || !isChunk(r.kind) || r.size !== row.n) {
        rebuilt = true;
        break;
      }
    }
    const quarantined: Quarantined[] = [];
    let replayed = 0;
    let at = 0;
    const AGAIN = {}; // thrown to roll a pass back
    for (let pass = 0; ; pass++) {
      const indexedEnd = rebuilt ? 0 : (last ? last.o + last.n : 0);
      const countedEnd = rebuilt ? 0 : Math.min(indexedEnd, Number(metaOf('totals_through') ?? indexedEnd));
      replayed = 0;
      index.classInfo = []; // a pass rolled back may have cached rows that are gone
      let found: ReturnType<typeof walk> | null = null;
      try {
        db.transaction(() => {
          if (rebuilt) {
            // the ids of chunks known to have been synced (so maybe acked) are never given again, even when
            // damage took their records; a chunk past log_synced whose record the power took was never answered
            const high = (db.prepare('SELECT MAX(first_event + events) AS n FROM chunks WHERE log_offset + log_length <= ?').get(synced) as { n: number | null }).n;
            if (high !== null && high > Number(metaOf('next_event') ?? 0)) index.setMeta.run('next_event', String(high));
            db.exec('DELETE FROM chunks; DELETE FROM module_stats; DELETE FROM item_stats; DELETE FROM field_classes;');
            db.prepare('DELETE FROM meta WHERE key = ?').run(PATH_OVERFLOW);
          }
          const w = found = walk(fd, logPath, countedEnd, size, (r, offset) => {
            if (r.kind === KIND_CLASSES) index.addClasses(JSON.parse(r.payload.toString('utf8')) as Array<[number, string]>);
            else if (isChunk(r.kind)) {
              const indexed = offset >= indexedEnd;
              index.addChunkRecord(r.payload, offset, r.size, indexed, r.kind, r.chunk);
              if (indexed) replayed++;
            } else if (r.kind !== KIND_SKIP) throw new Error(`${logPath}: a record of kind ${r.kind} at ${offset}, unknown to this version`);
          }, stamp);
          // the log was replaced (moved), or damage below what the index holds: rows there name records that
          // are gone, or have moved
          if (w.moved || (!rebuilt && (w.end < indexedEnd || w.damaged.some((d) => d.offset < indexedEnd)))) throw AGAIN;
        })();
      } catch (err) {
        if (err !== AGAIN) throw err;
      }
      const w = found!;
      quarantined.push(...w.damaged);
      if (w.moved) {
        closeSync(fd);
        fd = openSync(logPath, 'r+');
        size = fstatSync(fd).size;
        rebuilt = true;
        if (pass > 1000) throw new Error(`${logPath}: recovery did not settle`);
        continue;
      }
      size = w.size;
      at = w.end;
      if (rebuilt) break;
      if (w.end < indexedEnd || w.damaged.some((d) => d.offset < indexedEnd)) rebuilt = true;
      else break;
    }
    const truncated = size - at;
    if (truncated > 0) {
      quarantined.push({ offset: at, length: truncated, reason: 'torn', file: quarantine(fd, logPath, at, truncated, 'torn', stamp) });
      ftruncateSync(fd, at);
    }
    // what was indexed here is on disk before the index says so
    fdatasyncSync(fd);
    db.transaction(() => {
      index.setSynced(at);
      index.setTotalsThrough(at);
    })();
    return { replayed, truncated, rebuilt, quarantined };
  } finally {
    closeSync(fd);
  }
}
