// The writer of one region's store, in a worker thread of its own (started by src/store/sqlite.ts): it appends
// each request's events to the region's log (src/store/event-log.ts) and indexes them in the SQLite file.
//
// Batches come straight from their producers: each ingest thread has a MessagePort to this thread (made by the
// event loop, one end given to each), and the event loop's own batches come on parentPort. Each batch's
// verdicts are numbers in its producer's list (src/store/verdicts.ts); this thread turns each new verdict's
// JSON into a class id (field_classes: one per verdict with its path folded to a shape, src/store/paths.ts),
// once per producer and verdict. Group commit happens here, and only here: a commit takes every batch that
// arrived while the previous one ran (fsync=batch and never; fsync=always commits each batch alone), one write
// of its records to the log and one SQLite transaction of their index rows; its reply goes once an fdatasync
// of the log covers it (fsync=always/batch). The reply to the event loop is all it needs to answer the
// requests: their numbers, the first event id of each, and what the commit added to the totals, per module
// and per (module, item, group); never a verdict.
//
// workerData: WriterInit (below). parentPort in: a Batch, { port } (a new producer's), { close: true } (sync
// the log, store the totals, close the index, exit). out: WriterReply, one per commit.
import { fdatasync, fdatasyncSync, fstatSync, ftruncateSync, openSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { addModules, chunkRecord, moduleRows, type ModuleRows, classesRecord, classInfo, countModules, LogIndex, writeAll, type ClassInfo, type ModuleCounts } from '../store/event-log.ts';
import type { Batch } from '../store/packed.ts';
import { foldPath, PathShapes } from '../store/paths.ts';
import { grown } from '../store/typed-arrays.ts';
import { VerdictTable } from '../store/verdicts.ts';
import type { FsyncMode } from '../config/config.ts';
import { SimError, type SimErrorWire } from '../errors/sim-error.ts';
import { isDiskFull } from '../store/condition.ts';

export interface WriterInit {
  /** The index file and the log (created, migrated and recovered by the parent). */
  path: string;
  log: string;
  fsync: FsyncMode;
  /** fsync=batch: a batch that finds the writer idle waits batchMs for companions (0: none). */
  batchMs: number;
  /** A commit takes batches up to this many events (at least one batch). */
  batchEvents: number;
  /** The totals are stored every totalsMs. */
  totalsMs: number;
  /** Distinct path shapes kept (store.maxFieldPaths). */
  maxPaths: number;
  /** Producers' ports made before the thread started. */
  ports: MessagePort[];
}

/**
 * What a commit added to the totals: per module [module, events, dropped, flagged, ...], and fields per class id
 * (`ids[i]` counted `counts[i]` times). `classes` tells what each class id is counted under the first time a
 * reply names it: [id, module, item, group, action, 1 if in the overflow bucket else 0, ...] (ClassInfo).
 */
export interface WriterDelta { modules: ModuleRows; ids: Int32Array; counts: Float64Array; classes: Array<string | number> }

/** A commit's reply: its requests, and what it added to the totals (even when its sync failed: it is stored). */
export interface WriterReply {
  seqs: number[];
  /** Per request: its first event id, and its events. */
  firsts: number[];
  counts: number[];
  ok: boolean;
  /** The error as SimError's wire form: SIM_ERR_STORE_DISK_FULL for a full disk (ENOSPC, EDQUOT, SQLITE_FULL), else internal; the OS error is its cause. */
  error?: SimErrorWire;
  delta: WriterDelta | null;
  /** Distinct path shapes known now. */
  paths: number;
}

const init = workerData as WriterInit;
const { fsync, batchMs = 0, batchEvents = Infinity, totalsMs = 1000 } = init;
const durable = fsync !== 'never';
const db = new Database(init.path);
db.pragma('journal_mode = WAL');
// The index needs no sync of its own: the log is synced, and what the index loses with the power is read
// again from the log when the file opens. NORMAL keeps the file whole (never corrupt); SQLite checkpoints on
// its own (every 1000 pages of WAL).
db.pragma('synchronous = NORMAL');
const index = new LogIndex(db);
const logFd = openSync(init.log, 'a');
/** Where the next record goes: the log's size (the parent cut off anything after the last whole record). */
let logEnd = fstatSync(logFd).size;
/** The log offset up to which an fdatasync has completed (the parent synced what it found). */
let synced = logEnd;
/** The id of the next event: events are numbered on across chunks. */
let nextEvent = Math.max(
  (db.prepare('SELECT COALESCE(MAX(first_event + events), 1) AS n FROM chunks').get() as { n: number }).n,
  Number((db.prepare("SELECT value FROM meta WHERE key = 'next_event'").get() as { value: string } | undefined)?.value ?? 1), // above chunks recovery lost
);

// ---- classes: a verdict's shape (its path folded) gets an id, stored once in field_classes and the log

const shapes = new PathShapes(init.maxPaths);
/** Class id by the JSON of its shaped verdict. */
const classIds = new Map<string, number>();
/** What the totals count each class id under. */
const infos: ClassInfo[] = [];
/** Class ids whose row and classes record are not committed yet (a failed commit leaves them here for the next). */
const unlogged = new Map<number, string>();
let nextClass = 1;
for (const row of db.prepare('SELECT id, json FROM field_classes').iterate() as Iterable<{ id: number; json: string }>) {
  classIds.set(row.json, row.id);
  infos[row.id] = classInfo(row.json);
  shapes.add(foldPath((JSON.parse(row.json) as { path: string }).path)); // a store written before shapes has exact paths here
  if (row.id >= nextClass) nextClass = row.id + 1;
}

/** What a producer's verdict is here: its class id, and its exact path when the class keeps a folded one. */
interface Entry { id: number; exact: string | null }
/** Entries by the verdict's JSON, for every producer (bounded: each distinct field name makes a verdict). */
let entries = new Map<string, Entry>();
function entryOf(json: string): Entry {
  let e = entries.get(json);
  if (e !== undefined) return e;
  const f = JSON.parse(json) as { path: string };
  const shape = shapes.of(f.path);
  const shaped = shape === f.path ? json : JSON.stringify({ ...f, path: shape });
  let id = classIds.get(shaped);
  if (id === undefined) {
    id = nextClass++;
    classIds.set(shaped, id);
    infos[id] = classInfo(shaped);
    unlogged.set(id, shaped);
  }
  e = { id, exact: shape === f.path ? null : f.path };
  if (entries.size >= 100_000) entries = new Map();
  entries.set(json, e);
  return e;
}

/** A batch taken: its ids column holds class ids now; its exact paths ([field index, path, ...]). */
interface Taken { b: Batch; exact: Array<number | string> }

/**
 * Takes a batch from a producer whose verdicts `table` holds (in arrival order: the table follows the batch's
 * fresh list). The batch's buffers moved here with it (transferOf: the producer no longer has them), so its
 * ids column, which held the producer's verdict numbers, takes the class ids in place: the chunk record is
 * written from those same bytes.
 */
function take(b: Batch, table: VerdictTable<Entry>): Taken {
  const es = table.take(b);
  const vs = b.verdicts;
  const exact: Array<number | string> = [];
  for (let k = 0; k < vs.length; k++) {
    const e = es[vs[k]];
    vs[k] = e.id;
    if (e.exact !== null) exact.push(k, e.exact);
  }
  return { b, exact };
}

// ---- totals: counted per class id in typed arrays, stored once every totalsMs

/** Fields per class id of the commit being made, and the ids it touched. */
let tally: Float64Array = new Float64Array(1024);
const touched: number[] = [];
/** What the index's totals do not count yet (stored by flushTotals). */
let pendingTally: Float64Array = new Float64Array(1024);
let pendingModules: ModuleCounts = new Map();
let totalsTimer: NodeJS.Timeout | null = null;

const writeTotals = db.transaction(() => {
  index.addTotals(pendingTally, pendingModules);
  index.setTotalsThrough(logEnd);
  index.setSynced(synced);
});
function flushTotals(): void {
  if (totalsTimer !== null) clearTimeout(totalsTimer);
  totalsTimer = null;
  try {
    writeTotals();
    pendingTally.fill(0);
    pendingModules = new Map();
  } catch {
    // kept for the next try; the log still has what they count
    totalsTimer = setTimeout(flushTotals, totalsMs);
  }
}

/** Class ids the event loop has been told about (WriterDelta.classes). */
let told = new Uint8Array(1024);

/** Adds the commit's tally to the pending totals and returns its delta for the event loop; clears the tally. */
function deltaOf(modules: ModuleCounts): WriterDelta {
  const ids = new Int32Array(touched.length);
  const counts = new Float64Array(touched.length);
  const classes: Array<string | number> = [];
  for (let i = 0; i < touched.length; i++) {
    const id = touched[i];
    const n = tally[id];
    tally[id] = 0;
    pendingTally = grown(pendingTally, id);
    pendingTally[id] += n;
    ids[i] = id;
    counts[i] = n;
    told = grown(told, id);
    if (told[id] === 0) {
      told[id] = 1;
      const info = infos[id];
      classes.push(id, info[0], info[1], info[2], info[3], info[4] ? 1 : 0);
    }
  }
  touched.length = 0;
  addModules(pendingModules, modules);
  totalsTimer ??= setTimeout(flushTotals, totalsMs);
  return { modules: moduleRows(modules), ids, counts, classes };
}

// ---- commits

/** The index rows of one commit. */
const indexCommit = db.transaction((classes: Array<[number, string]>, chunks: Array<{ first: number; events: number; offset: number; size: number; modules: string[] }>) => {
  if (classes.length > 0) index.addClasses(classes);
  for (const c of chunks) index.addChunk(c.first, c.events, c.offset, c.size, c.modules);
});

/**
 * One commit: the group's records appended to the log in one write (a classes record first when the group
 * names classes the log does not hold yet), then their index rows in one transaction. On failure the log is
 * cut back to where it was, so that no record of a failed (500) request is read again at the next open.
 */
function commit(group: Taken[]): { firsts: number[]; delta: WriterDelta } {
  const first = nextEvent;
  const start = logEnd;
  try {
    const fresh = [...unlogged];
    const buffers: Buffer[] = [];
    let at = start;
    if (fresh.length > 0) {
      const r = classesRecord(fresh);
      buffers.push(...r.buffers);
      at += r.size;
    }
    const modules: ModuleCounts = new Map();
    const firsts: number[] = [];
    const chunks = group.map(({ b, exact }) => {
      const ids = b.verdicts;
      for (let k = 0; k < ids.length; k++) {
        const id = ids[k];
        tally = grown(tally, id);
        if (tally[id]++ === 0) touched.push(id);
      }
      const own = countModules(b, new Map());
      addModules(modules, own);
      const firstEvent = nextEvent;
      nextEvent += b.events;
      firsts.push(firstEvent);
      const record = chunkRecord(firstEvent, b, exact);
      const c = { first: firstEvent, events: b.events, offset: at, size: record.size, modules: [...own.keys()] };
      at += record.size;
      buffers.push(...record.buffers);
      return c;
    });
    writeAll(logFd, buffers);
    logEnd = at;
    indexCommit(fresh, chunks);
    for (const [id] of fresh) unlogged.delete(id);
    return { firsts, delta: deltaOf(modules) };
  } catch (err) {
    nextEvent = first; // rolled back: the ids are free again
    for (const id of touched) tally[id] = 0;
    touched.length = 0;
    if (logEnd !== start || fstatSync(logFd).size !== start) {
      try {
        ftruncateSync(logFd, start);
        logEnd = start;
      } catch (cut) {
        // the log holds records the index does not and cannot be cut back: stop rather than write after them
        throw Object.assign(new Error(`${(err as Error).message}; and cutting the log back failed: ${(cut as Error).message}`), { fatal: true, code: (err as { code?: string }).code });
      }
    }
    throw err;
  }
}

const waiting: Taken[] = [];
let scheduled = false;
let closing = false;
/** Commits made but not yet synced. */
let unsynced: Array<Omit<WriterReply, 'ok' | 'error' | 'paths'>> = [];
let syncing = false;

function reply(r: Omit<WriterReply, 'ok' | 'error' | 'paths'>, err: unknown): void {
  const out: WriterReply = { ...r, ok: err === null, paths: shapes.distinct };
  if (err !== null) {
    const code = isDiskFull(err) ? 'SIM_ERR_STORE_DISK_FULL' : 'SIM_ERR_HEC_INTERNAL';
    out.error = new SimError(code, { detail: `${workerData.log}: ${err instanceof Error ? err.message : String(err)}`, cause: err }).toWire();
  }
  parentPort!.postMessage(out);
}

/** Syncs the log for every commit made so far; the replies of those commits go when it is on disk. */
function sync(): void {
  if (syncing || unsynced.length === 0) return maybeFinish();
  const done = unsynced;
  const end = logEnd;
  unsynced = [];
  syncing = true;
  fdatasync(logFd, (err) => {
    syncing = false;
    if (!err) synced = end;
    for (const c of done) reply(c, err ? Object.assign(new Error(`fdatasync of ${init.log} failed: ${err.message}`), { code: err.code }) : null);
    sync();
  });
}

function maybeFinish(): void {
  if (!closing || syncing || unsynced.length > 0 || waiting.length > 0) return;
  try {
    // the log on disk, and the index says so: the next open checks and counts nothing
    fdatasyncSync(logFd);
    synced = logEnd;
    if (totalsTimer !== null) clearTimeout(totalsTimer);
    totalsTimer = null;
    writeTotals();
    db.close();
  } finally {
    for (const p of ports.keys()) p.close();
    parentPort!.close();
  }
}

// ---- producers

/** Each producer's port and its verdict table; the event loop's batches have a table of their own. */
const ports = new Map<MessagePort, VerdictTable<Entry>>();
const own = new VerdictTable(entryOf);
let waitingEvents = 0;
let timer: NodeJS.Timeout | null = null;

/** Everything the ports hold now, taken in their order. */
function drain(): void {
  for (let m; (m = receiveMessageOnPort(parentPort!)) !== undefined;) onParent(m.message as ParentMessage, false);
  for (const [p, table] of ports) for (let m; (m = receiveMessageOnPort(p)) !== undefined;) onBatch(m.message as Batch, table, false);
}

/** Commits one group of what waits, then yields (so that sync callbacks run) and comes back for the rest. */
function flush(): void {
  scheduled = false;
  drain();
  waitingEvents = 0; // counts what arrives as 'message' events from here on (the rest was taken above)
  if (waiting.length === 0) return maybeFinish();
  let n = 1;
  let events = waiting[0].b.events;
  if (fsync !== 'always') {
    while (n < waiting.length && events + waiting[n].b.events <= batchEvents) events += waiting[n++].b.events;
  }
  const group = waiting.splice(0, n);
  const seqs = group.map((t) => t.b.seq);
  const counts = group.map((t) => t.b.events);
  try {
    const { firsts, delta } = commit(group);
    if (durable) unsynced.push({ seqs, firsts, counts, delta });
    else reply({ seqs, firsts, counts, delta }, null);
  } catch (err) {
    reply({ seqs, firsts: [], counts, delta: null }, err);
    if ((err as { fatal?: boolean }).fatal) throw err; // the thread ends: the parent fails every write from here on
  }
  if (durable) sync();
  else maybeFinish();
  if (waiting.length > 0 && !scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

function schedule(): void {
  if (timer !== null && (waitingEvents >= batchEvents || closing)) {
    // enough to fill a commit, or closing: stop waiting for companions
    clearTimeout(timer);
    timer = null;
    setImmediate(flush);
    return;
  }
  if (scheduled) return;
  scheduled = true;
  if (fsync === 'batch' && batchMs > 0 && waitingEvents < batchEvents && !closing) {
    timer = setTimeout(() => {
      timer = null;
      flush();
    }, batchMs);
  } else setImmediate(flush);
}

function onBatch(b: Batch, table: VerdictTable<Entry>, event: boolean): void {
  waiting.push(take(b, table));
  if (!event) return;
  waitingEvents += b.events;
  schedule();
}

type ParentMessage = Batch | { port: MessagePort } | { close: true };
function onParent(m: ParentMessage, event: boolean): void {
  if ('port' in m) return addPort(m.port);
  if ('close' in m) {
    closing = true;
    if (event) schedule();
    return;
  }
  onBatch(m, own, event);
}

function addPort(p: MessagePort): void {
  const table = new VerdictTable(entryOf);
  ports.set(p, table);
  p.on('message', (b: Batch) => onBatch(b, table, true));
  p.on('close', () => ports.delete(p));
}

for (const p of init.ports) addPort(p);
parentPort!.on('message', (m: ParentMessage) => onParent(m, true));
