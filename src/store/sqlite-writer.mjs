// The writer of one region's SQLite file, in a worker thread of its own (started by sqlite.ts).
//
// Inserting rows and waiting for fsync then happen beside the event loop, not in it: the service goes on
// parsing and classifying while a commit is on its way to the disk. Group commit happens here: the parent
// sends each request's events as they come, and a commit takes every message that arrived while the previous
// one ran (fsync=batch and never; fsync=always commits each message alone). Plain JavaScript on purpose: it
// needs nothing but better-sqlite3, and so no TypeScript loader in the thread.
//
// workerData: { path, fsync, batchMs, batchEvents, checkpointBytes }
//        the file (created, migrated and checked by the parent), the mode, and fsync=batch's grouping: a
//        message that finds the writer idle waits batchMs for companions (0: none); a commit takes messages
//        up to batchEvents events (at least one message); a checkpoint runs once the WAL passes checkpointBytes
// in:  { seq, events, refs, texts, numbers, table, refsOf, text, lens, nums, ids, idCounts, classes }
//        a request's events, packed so that the message is a few values to copy, not fifteen per event:
//        table    the metadata strings the events use (tenant, module, host, ...: a request's events share them)
//        refsOf   Int32Array, per event and metadata column (REFS order): its index in table, -1 for NULL
//        text     the events' texts (TEXTS order: event JSON, envelope as received, fields JSON) one after the other
//        lens     Int32Array, per event and text column: its length in text, -1 for NULL
//        nums     Float64Array, per event and number column (NUMBERS order); NaN for NULL
//        ids      Int32Array, the classification id of every field of every event; idCounts: per event, how many
//        classes  [id, json, ...] classifications not yet known to be committed (ids chosen by the parent;
//                 sent again with every message until a commit holding them succeeded)
//        The writer makes each event's `classes` list and adds the per-item counts to item_stats.
//      { close: true }                   close the file (a checkpoint), exit
// out: { seqs, ok: true, checkpoints } once committed (on disk when fsync is always/batch), or
//      { seqs, ok: false, error, checkpoints }: one reply per commit, naming the messages it held;
//      checkpoints: how many this writer has made so far
import { fdatasync, fstatSync, openSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

// keep in step with sqlite.ts (REFS, TEXTS, NUMBERS)
const REFS = ['tenant', 'module', 'host', 'source', 'sourcetype', 'idx', 'endpoint'];
const TEXTS = ['event', 'envelope', 'fields'];
const NUMBERS = ['received_at', 'time', 'dropped', 'flagged'];

const { fsync, batchMs = 0, batchEvents = Infinity, checkpointBytes = 16 * 1024 * 1024 } = workerData;
const durable = fsync !== 'never';
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
// Durable modes (always, batch) make each commit durable by an fdatasync of the WAL file that this thread
// runs beside the next commit (below), where synchronous=FULL would stall the thread in every commit. SQLite
// then neither syncs nor checkpoints on its own: checkpoints run here, with synchronous=FULL for their span.
db.pragma('synchronous = OFF');
if (durable) db.pragma('wal_autocheckpoint = 0');
// After a complete checkpoint SQLite writes the WAL again from its start but does not shrink the file, so its
// size alone would ask for a checkpoint after every commit from then on (it did: 190 checkpoints a second
// under load). This limit truncates the file to checkpointBytes when it restarts: its size passes
// checkpointBytes again only once that much new has been written.
db.pragma(`journal_size_limit = ${checkpointBytes}`);
const WAL = `${workerData.path}-wal`;

const insertChunk = db.prepare('INSERT INTO chunks (first_event, events, body, meta) VALUES (?, ?, ?, ?)');
const insertChunkModule = db.prepare('INSERT OR IGNORE INTO chunk_modules (module, chunk) VALUES (?, ?)');
const upsertModule = db.prepare(`INSERT INTO module_stats (module, events, dropped, flagged) VALUES (?, ?, ?, ?)
  ON CONFLICT (module) DO UPDATE SET events = events + excluded.events, dropped = dropped + excluded.dropped, flagged = flagged + excluded.flagged`);
const insertClass = db.prepare('INSERT OR IGNORE INTO field_classes (id, json) VALUES (?, ?)');
const upsertItem = db.prepare(`INSERT INTO item_stats (module, item, kept, dropped, flagged) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (module, item) DO UPDATE SET kept = kept + excluded.kept, dropped = dropped + excluded.dropped, flagged = flagged + excluded.flagged`);
/** The id of the next event: events are numbered on across chunks. */
let nextEvent = db.prepare('SELECT COALESCE(MAX(first_event + events), 1) AS n FROM chunks').get().n;

/** What item_stats needs of each classification: [module, item, action], by id. */
const classInfo = [];
function learnClass(id, json) {
  const f = JSON.parse(json);
  classInfo[id] = [f.module ?? '', f.item ?? '', f.action];
}
for (const row of db.prepare('SELECT id, json FROM field_classes').iterate()) learnClass(row.id, row.json);

// positions in v (REFS, then TEXTS) and in an event's numbers (NUMBERS)
const TENANT = 0, MODULE = 1, HOST = 2, SOURCE = 3, SOURCETYPE = 4, IDX = 5, ENDPOINT = 6, EVENT = 7, ENVELOPE = 8, FIELDS = 9;
const RECEIVED = 0, TIME = 1, DROPPED = 2, FLAGGED = 3;

/** One message (a request's events) becomes one chunk: its events' texts in `body`, one meta entry per event. */
function insertMessage(msg, tally, modules) {
  const { classes, table, refsOf, text, lens, nums, ids, idCounts } = msg;
  for (let i = 0; i < classes.length; i += 2) {
    insertClass.run(classes[i], classes[i + 1]);
    if (classInfo[classes[i]] === undefined) learnClass(classes[i], classes[i + 1]);
  }
  const nr = REFS.length;
  const nt = TEXTS.length;
  const nn = NUMBERS.length;
  if (msg.refs !== nr || msg.texts !== nt || msg.numbers !== nn) {
    throw new Error(`the parent sends ${msg.refs}+${msg.texts}+${msg.numbers} columns per event; this writer takes ${nr}+${nt}+${nn}`);
  }
  const count = idCounts.length;
  const v = new Array(nr + nt);
  const metas = new Array(count);
  const chunkModules = new Set();
  let body = '';
  let at = 0;
  let k = 0;
  for (let e = 0, r = 0, s = 0, n = 0; e < count; e++, n += nn) {
    for (let c = 0; c < nr; c++, r++) {
      const i = refsOf[r];
      v[c] = i < 0 ? null : table[i];
    }
    for (let c = nr; c < nr + nt; c++, s++) {
      const len = lens[s];
      if (len < 0) v[c] = null;
      else {
        v[c] = text.slice(at, at + len);
        at += len;
      }
    }
    const whole = v[ENVELOPE] !== null;
    const own = whole ? v[ENVELOPE] : v[EVENT];
    body += own;
    let list = '';
    for (let i = 0, m = idCounts[e]; i < m; i++, k++) {
      const id = ids[k];
      list = i === 0 ? String(id) : `${list},${id}`;
      tally[id] = (tally[id] ?? 0) + 1;
    }
    const time = nums[n + TIME];
    const module = v[MODULE];
    const dropped = nums[n + DROPPED];
    const flagged = nums[n + FLAGGED];
    metas[e] = [own.length, whole ? 1 : 0, module, Number.isNaN(time) ? null : time, v[HOST], v[SOURCE], v[SOURCETYPE], v[IDX],
      dropped, flagged, v[FIELDS], list, nums[n + RECEIVED], v[TENANT], v[ENDPOINT]];
    const key = module ?? '';
    chunkModules.add(key);
    let st = modules.get(key);
    if (!st) modules.set(key, (st = [0, 0, 0]));
    st[0]++;
    st[1] += dropped;
    st[2] += flagged;
  }
  const chunk = insertChunk.run(nextEvent, count, body, JSON.stringify(metas)).lastInsertRowid;
  nextEvent += count;
  for (const m of chunkModules) insertChunkModule.run(m, chunk);
}

/** Adds a commit's per-classification counts to item_stats, per (module, item). */
function upsertItems(tally) {
  const items = new Map();
  tally.forEach((count, id) => {
    const [module, item, action] = classInfo[id];
    const key = `${module}\u0000${item}`;
    let st = items.get(key);
    if (!st) items.set(key, (st = [module, item, 0, 0, 0]));
    st[action === 'drop' ? 3 : action === 'flag' ? 4 : 2] += count;
  });
  for (const st of items.values()) upsertItem.run(st[0], st[1], st[2], st[3], st[4]);
}

const commit = db.transaction((group) => {
  const tally = [];
  const modules = new Map();
  const first = nextEvent;
  try {
    for (const msg of group) insertMessage(msg, tally, modules);
    upsertItems(tally);
    for (const [m, st] of modules) upsertModule.run(m, st[0], st[1], st[2]);
  } catch (err) {
    nextEvent = first; // rolled back: the ids are free again
    throw err;
  }
});

const waiting = [];
let scheduled = false;
let closing = false;
/** Commits made but not yet synced: arrays of message seqs. */
let unsynced = [];
let syncing = false;
let walFd = -1;

let checkpoints = 0;
function reply(seqs, err) {
  parentPort.postMessage(err ? { seqs, ok: false, error: err instanceof Error ? err.message : String(err), checkpoints } : { seqs, ok: true, checkpoints });
}

/** Syncs the WAL for every commit made so far; the replies of those commits go when it is on disk. */
function sync() {
  if (syncing || unsynced.length === 0) return maybeFinish();
  const done = unsynced;
  unsynced = [];
  syncing = true;
  // fdatasync syncs the file, whichever descriptor wrote it: SQLite's own writes to the WAL included
  if (walFd < 0) walFd = openSync(WAL, 'r');
  fdatasync(walFd, (err) => {
    syncing = false;
    for (const seqs of done) reply(seqs, err ? new Error(`fdatasync of ${WAL} failed: ${err.message}`) : null);
    // not only when idle: under steady load a commit is always waiting for the next sync, and the WAL would
    // grow without end. The checkpoint syncs the WAL first (synchronous=FULL), commits not yet synced included.
    if (!err && fstatSync(walFd).size > checkpointBytes) checkpoint();
    sync();
  });
}

function checkpoint() {
  db.pragma('synchronous = FULL'); // WAL synced before the copy, the database file after it
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    checkpoints++;
  } finally {
    db.pragma('synchronous = OFF');
  }
}

function maybeFinish() {
  if (!closing || syncing || unsynced.length > 0 || waiting.length > 0) return;
  try {
    db.pragma('synchronous = FULL'); // the checkpoint at close is durable too
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
    commit(group);
    if (durable) unsynced.push(seqs);
    else reply(seqs, null);
  } catch (err) {
    reply(seqs, err);
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
