// The writer of one region's store, in a worker thread of its own (started by sqlite.ts): it appends each
// request's events to the region's log (event-log.mjs) and indexes them in the SQLite file.
//
// Writing and waiting for fsync then happen beside the event loop, not in it: the service goes on parsing and
// classifying while a commit is on its way to the disk. Group commit happens here: the parent sends each
// request's events as they come, and a commit takes every message that arrived while the previous one ran
// (fsync=batch and never; fsync=always commits each message alone). A commit is one write of its records to
// the log and one SQLite transaction of their index rows; its replies go once an fdatasync of the log covers
// it (fsync=always/batch). Plain JavaScript on purpose: it needs nothing but better-sqlite3 and event-log.mjs,
// and so no TypeScript loader in the thread.
//
// workerData: { path, log, fsync, batchMs, batchEvents, totalsMs }
//        the index file and the log (created, migrated and recovered by the parent), the mode, and
//        fsync=batch's grouping: a message that finds the writer idle waits batchMs for companions (0: none);
//        a commit takes messages up to batchEvents events (at least one message); the totals are stored
//        every totalsMs
// in:  { seq, events, table, refsOf, text, lens, nums, verdicts, idCounts, classes }
//        a request's events, packed so that the message is a few values to copy, not fifteen per event:
//        table    the metadata strings the events use (tenant, module, host, ...: a request's events share them)
//        refsOf   Int32Array, per event and metadata column (REFS order): its index in table, -1 for NULL
//        text     the events' texts (TEXTS order: event JSON, envelope as received, fields JSON) one after the other
//        lens     Int32Array, per event and text column: its length in text, -1 for NULL
//        nums     Float64Array, per event and number column (NUMBERS order); NaN for NULL
//        verdicts Int32Array, the classification id of every field of every event; idCounts: per event, how many
//        classes  [id, json, ...] classifications not yet known to be committed (ids chosen by the parent;
//                 sent again with every message until a commit holding them succeeded)
//        exact    [field index, path, ...]: the fields whose path is not their classification's (a folded shape,
//                 paths.ts); when any, the chunk is a kind 3 record that carries them
//        The writer writes these columns to the log as they are (event-log.mjs) and adds the counts to the totals.
//      { close: true }                   sync the log, close the index (a checkpoint), exit
// out: { seqs, ok: true } once committed (on disk when fsync is always/batch), or
//      { seqs, ok: false, error }: one reply per commit, naming the messages it held
import { fdatasync, fdatasyncSync, fstatSync, ftruncateSync, openSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { addModules, chunkRecord, classesRecord, countChunk, LogIndex, writeAll } from '../store/event-log.mjs';

const { fsync, batchMs = 0, batchEvents = Infinity } = workerData;
const durable = fsync !== 'never';
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
// The index needs no sync of its own: the log is synced, and what the index loses with the power is read
// again from the log when the file opens. NORMAL keeps the file whole (never corrupt); SQLite checkpoints on
// its own (every 1000 pages of WAL).
db.pragma('synchronous = NORMAL');
const index = new LogIndex(db);
const logFd = openSync(workerData.log, 'a');
/** Where the next record goes: the log's size (the parent cut off anything after the last whole record). */
let logEnd = fstatSync(logFd).size;
/** The log offset up to which an fdatasync has completed (the parent synced what it found). */
let synced = logEnd;
/** The id of the next event: events are numbered on across chunks. */
let nextEvent = Math.max(
  db.prepare('SELECT COALESCE(MAX(first_event + events), 1) AS n FROM chunks').get().n,
  Number(db.prepare("SELECT value FROM meta WHERE key = 'next_event'").get()?.value ?? 1), // above chunks recovery lost
);

/**
 * One message (a request's events) becomes one chunk record, its columns written as they came. Returns
 * { firstEvent, count, record, modules } and adds to the commit's totals.
 */
function chunkOf(msg, tally, modules) {
  const count = msg.events;
  const own = countChunk(msg, tally, modules);
  const firstEvent = nextEvent;
  nextEvent += count;
  return { firstEvent, count, record: chunkRecord(firstEvent, msg), modules: own };
}

/** Classification ids whose classes record is in the log (every row of field_classes is). */
const logged = new Set();
for (const row of db.prepare('SELECT id FROM field_classes').iterate()) logged.add(row.id);

/** The index rows of one commit. */
const indexCommit = db.transaction((classes, chunks) => {
  if (classes.length > 0) index.addClasses(classes);
  for (const c of chunks) index.addChunk(c.firstEvent, c.count, c.offset, c.record.size, c.modules);
});

/**
 * The totals (item_stats, module_stats) are written once every totalsMs, not in each commit: upserting a
 * commit's hundred (module, item) rows was a third of this thread's time. What they do not count yet is counted
 * again from the log when the store opens (totals_through); the parent keeps the live totals from each commit's
 * reply. The offset known to be synced goes with them.
 */
const totalsMs = workerData.totalsMs ?? 1000;
let pendingTally = [];
let pendingModules = new Map();
let totalsTimer = null;
const writeTotals = db.transaction(() => {
  index.addTotals(pendingTally, pendingModules);
  index.setTotalsThrough(logEnd);
  index.setSynced(synced);
});
function flushTotals() {
  if (totalsTimer !== null) clearTimeout(totalsTimer);
  totalsTimer = null;
  try {
    writeTotals();
    pendingTally = [];
    pendingModules = new Map();
  } catch {
    // kept for the next try; the log still has what they count
    totalsTimer = setTimeout(flushTotals, totalsMs);
  }
}
function addPending(tally, modules) {
  tally.forEach((n, id) => { pendingTally[id] = (pendingTally[id] ?? 0) + n; });
  addModules(pendingModules, modules);
  totalsTimer ??= setTimeout(flushTotals, totalsMs);
}

/** What a commit adds to the totals, for the parent: [id, fields, ...] and [[module, events, dropped, flagged], ...]. */
function deltaOf(tally, modules) {
  const ids = [];
  tally.forEach((n, id) => { ids.push(id, n); });
  return { tally: ids, modules: [...modules].map(([m, st]) => [m, st[0], st[1], st[2]]) };
}

/**
 * One commit: the group's records appended to the log in one write (a classes record first when the group
 * names classifications the log does not hold yet), then their index rows in one transaction. On failure the
 * log is cut back to where it was, so that no record of a failed (500) request is read again at the next open.
 */
function commit(group) {
  const first = nextEvent;
  const start = logEnd;
  const fresh = [];
  try {
    const seen = new Set();
    for (const msg of group) {
      const c = msg.classes;
      for (let i = 0; i < c.length; i += 2) {
        if (!logged.has(c[i]) && !seen.has(c[i])) seen.add(c[i]), fresh.push([c[i], c[i + 1]]);
      }
    }
    const buffers = [];
    let at = start;
    if (fresh.length > 0) {
      const r = classesRecord(fresh);
      buffers.push(...r.buffers);
      at += r.size;
    }
    const tally = [];
    const modules = new Map();
    const chunks = group.map((msg) => {
      const c = chunkOf(msg, tally, modules);
      c.offset = at;
      at += c.record.size;
      buffers.push(...c.record.buffers);
      return c;
    });
    writeAll(logFd, buffers);
    logEnd = at;
    indexCommit(fresh, chunks);
    for (const [id] of fresh) logged.add(id);
    addPending(tally, modules);
    return deltaOf(tally, modules);
  } catch (err) {
    nextEvent = first; // rolled back: the ids are free again
    if (logEnd !== start || fstatSync(logFd).size !== start) {
      try {
        ftruncateSync(logFd, start);
        logEnd = start;
      } catch (cut) {
        // the log holds records the index does not and cannot be cut back: stop rather than write after them
        throw Object.assign(new Error(`${err.message}; and cutting the log back failed: ${cut.message}`), { fatal: true, code: err.code });
      }
    }
    throw err;
  }
}

const waiting = [];
let scheduled = false;
let closing = false;
/** Commits made but not yet synced: { seqs, delta }. */
let unsynced = [];
let syncing = false;

/** A commit's reply; `delta`, what it added to the totals, goes with it even when its sync failed (it is stored). */
function reply(seqs, err, delta = null) {
  // the error's code (ENOSPC, SQLITE_FULL...) goes with it: the parent tells a full disk from a fault
  parentPort.postMessage(err ? { seqs, ok: false, error: err instanceof Error ? err.message : String(err), code: err?.code, delta } : { seqs, ok: true, delta });
}

/** Syncs the log for every commit made so far; the replies of those commits go when it is on disk. */
function sync() {
  if (syncing || unsynced.length === 0) return maybeFinish();
  const done = unsynced;
  const end = logEnd;
  unsynced = [];
  syncing = true;
  fdatasync(logFd, (err) => {
    syncing = false;
    if (!err) synced = end;
    for (const c of done) reply(c.seqs, err ? Object.assign(new Error(`fdatasync of ${workerData.log} failed: ${err.message}`), { code: err.code }) : null, c.delta);
    sync();
  });
}

function maybeFinish() {
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
    parentPort.close();
  }
}

/** Commits one group of what waits, then yields (so that sync callbacks run) and comes back for the rest. */
function flush() {
  scheduled = false;
  waitingEvents = 0; // counts what arrives as 'message' events from here on (the rest is taken below)
  for (let m; (m = receiveMessageOnPort(parentPort)) !== undefined;) waiting.push(m.message);
  if (waiting.length === 0) return;
  if (waiting[0].close) {
    waiting.shift();
    closing = true;
    return maybeFinish();
  }
  let n = 1;
  let events = waiting[0].events;
  if (fsync !== 'always') {
    while (n < waiting.length && !waiting[n].close && events + waiting[n].events <= batchEvents) events += waiting[n++].events;
  }
  const group = waiting.splice(0, n);
  const seqs = group.map((m) => m.seq);
  try {
    const delta = commit(group);
    if (durable) unsynced.push({ seqs, delta });
    else reply(seqs, null, delta);
  } catch (err) {
    reply(seqs, err);
    if (err.fatal) throw err; // the thread ends: the parent fails every write from here on
  }
  if (durable) sync();
  if (waiting.length > 0 && !scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

let waitingEvents = 0;
let timer = null;
parentPort.on('message', (msg) => {
  waiting.push(msg);
  waitingEvents += msg.events ?? 0;
  if (timer !== null && (waitingEvents >= batchEvents || msg.close)) {
    // enough to fill a commit, or closing: stop waiting for companions
    clearTimeout(timer);
    timer = null;
    setImmediate(flush);
    return;
  }
  if (scheduled) return;
  scheduled = true;
  if (fsync === 'batch' && batchMs > 0 && waitingEvents < batchEvents && !msg.close) {
    timer = setTimeout(() => {
      timer = null;
      flush();
    }, batchMs);
  } else setImmediate(flush);
});
