import type { Verdict } from '../pipeline/classify/types.ts';
import type { StoreRecord } from './types.ts';
import { CHUNK_HEAD, chunkColumns, REFS } from './event-log.ts';

/**
 * A request's records packed into a few values: what an ingest worker sends to its store, and what the SQLite
 * writer thread writes to the log as it is. Copying a message between threads costs per value and per byte, so
 * the records travel as two byte buffers that move to the writer without a copy (transferOf): the chunk
 * record's head and columns (the typed arrays below are views of it), and the events' texts as UTF-8 followed
 * by the table of their metadata strings as JSON; beside them the table itself (the stores count by module
 * without reading JSON), and per field the number of its verdict in its producer's list for this destination
 * (verdicts.ts: each verdict's JSON goes once, with the first batch that uses it).
 *
 * Columns (event-log.ts defines them: the log's records hold these batches as they are):
 *   refsOf  per event, REFS columns: tenant, module, host, source, sourcetype, index, endpoint (-1 = null)
 *   lens    per event, TEXTS columns: event JSON, envelope as received, indexed fields JSON (-1 = null), in
 *           UTF-16 code units; an event stored whole has only its envelope's text (no second serialization),
 *           else its JSON
 *   nums    per event, NUMBERS columns: receivedAt, time (NaN = null), dropped, flagged
 */
export { countModules, eventsOf, moduleCountsOf, moduleRows, NUM_DROPPED, NUM_FLAGGED, NUMBERS, REF_MODULE, REFS, TEXTS, type ModuleCounts, type ModuleRows } from './event-log.ts';

export interface PackedBatch {
  events: number;
  table: string[];
  refsOf: Int32Array;
  lens: Int32Array;
  nums: Float64Array;
  /** Per field of every event, in order: its verdict's index (what `verdictIndex` gave when packing). */
  verdicts: Int32Array;
  /** Per event: how many of `verdicts` are its fields'. */
  idCounts: Int32Array;
  /**
   * The chunk payload's head and columns (event-log.ts), one ArrayBuffer of its own: the head's first event id
   * is 0 until the writer gives the chunk its ids, and its ids column is `verdicts` (the writer turns the
   * producer's numbers into class ids there, once the batch is its own).
   */
  columns: Uint8Array;
  /**
   * The events' texts (UTF-8; the head says how many bytes), then the table as JSON: one ArrayBuffer of its own.
   * The log has the table first; chunkRecord writes the two in the log's order. Empty for a store that keeps
   * no texts (packRecords with `texts` false).
   */
  tail: Uint8Array;
}

/** The buffers a batch's postMessage moves instead of copying (each once: the columns share one). */
export function transferOf(b: PackedBatch): ArrayBuffer[] {
  return [b.columns.buffer as ArrayBuffer, b.tail.buffer as ArrayBuffer];
}

/** A batch's table of metadata strings, and `ref`: a string's index in it (added when new), -1 for null. */
export function stringTable(): { table: string[]; ref: (v: string | null) => number } {
  const table: string[] = [];
  const inTable = new Map<string, number>();
  const ref = (v: string | null): number => {
    if (v === null) return -1;
    let i = inTable.get(v);
    if (i === undefined) inTable.set(v, (i = table.push(v) - 1));
    return i;
  };
  return { table, ref };
}

/**
 * Where a batch is built: its columns (views of one buffer, sized for `events` events and `fields` fields at
 * the start), and its texts, written as UTF-8 straight into a buffer that grows (no string concatenation, no
 * copy of the texts as one string). `done(table)` appends the table and gives the batch.
 */
export class ChunkBuilder {
  readonly columns: Uint8Array;
  readonly refsOf: Int32Array;
  readonly lens: Int32Array;
  readonly nums: Float64Array;
  readonly verdicts: Int32Array;
  readonly idCounts: Int32Array;
  private buf: Buffer;
  private at = 0;

  /** `textGuess`: the bytes the texts will likely take (the buffer grows past it). */
  constructor(readonly events: number, fields: number, textGuess: number) {
    const c = chunkColumns(events, fields);
    this.columns = new Uint8Array(c.bytes);
    this.nums = c.nums;
    this.refsOf = c.refsOf;
    this.lens = c.lens;
    this.idCounts = c.idCounts;
    this.verdicts = c.verdicts;
    this.buf = Buffer.allocUnsafeSlow(Math.max(64, textGuess)); // its own ArrayBuffer (not the pool's: it moves); only what is written is read
  }

  /** Appends a text (UTF-8) and returns its length in UTF-16 code units (what `lens` holds). */
  text(s: string): number {
    // ASCII and Latin-1 text takes at most 2 bytes a character, any text at most 3
    if (this.buf.length - this.at < s.length * 3) this.room(Buffer.byteLength(s, 'utf8'));
    this.at += this.buf.write(s, this.at, 'utf8');
    return s.length;
  }

  private room(n: number): void {
    if (this.buf.length - this.at >= n) return;
    const b = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.at + n + 1024));
    this.buf.copy(b, 0, 0, this.at);
    this.buf = b;
  }

  /** The batch: the table's JSON after the texts (none when `texts` is false), their sizes in the head. */
  done(table: string[], texts = true): PackedBatch {
    const textBytes = this.at;
    if (texts) this.text(JSON.stringify(table));
    const head = new DataView(this.columns.buffer, 0, CHUNK_HEAD);
    head.setUint32(16, this.at - textBytes, true);
    head.setUint32(20, textBytes, true);
    const { events, refsOf, lens, nums, verdicts, idCounts, columns } = this;
    return { events, table, refsOf, lens, nums, verdicts, idCounts, columns, tail: new Uint8Array(this.buf.buffer, 0, this.at) };
  }
}

/**
 * Packs records; `verdictIndex` numbers each field's verdict (a class id, or a number in a verdict list).
 * `texts` false: the events' texts are left out (every length -1), for a store that only counts.
 */
export function packRecords(records: readonly StoreRecord[], verdictIndex: (f: Verdict) => number, texts = true): PackedBatch {
  let fieldCount = 0;
  let chars = 0;
  for (const r of records) {
    fieldCount += r.verdicts.length;
    if (texts) chars += r.envelope !== undefined ? r.envelope.length : 512;
  }
  // room for ASCII envelopes, a little more, and the table: the buffer seldom grows (a copy)
  const guess = chars + (chars >> 4) + 4096;
  const { table, ref } = stringTable();
  // a request's events mostly share each column's value with the event before: that one's ref, without a lookup
  const lastValue: Array<string | null | undefined> = [undefined, undefined, undefined, undefined, undefined, undefined, undefined];
  const lastRef = new Int32Array(REFS);
  const col = (c: number, v: string | null): number => {
    if (v === lastValue[c]) return lastRef[c];
    lastValue[c] = v;
    return (lastRef[c] = ref(v));
  };
  const out = new ChunkBuilder(records.length, fieldCount, texts ? guess : 0);
  const { refsOf, lens, nums, verdicts, idCounts } = out;
  let t = 0;
  let s = 0;
  let n = 0;
  let k = 0;
  for (let e = 0; e < records.length; e++) {
    const r = records[e];
    const cls = r.verdicts;
    for (let i = 0; i < cls.length; i++) verdicts[k++] = verdictIndex(cls[i]);
    idCounts[e] = cls.length;
    refsOf[t++] = col(0, r.tenant); refsOf[t++] = col(1, r.module); refsOf[t++] = col(2, r.host); refsOf[t++] = col(3, r.source);
    refsOf[t++] = col(4, r.sourcetype); refsOf[t++] = col(5, r.index); refsOf[t++] = col(6, r.endpoint);
    const env = r.envelope;
    if (!texts) {
      lens[s++] = -1; lens[s++] = -1; lens[s++] = -1;
    } else if (env === undefined) {
      lens[s++] = out.text(JSON.stringify(r.event));
      lens[s++] = -1;
      lens[s++] = r.fields === null ? -1 : out.text(JSON.stringify(r.fields));
    } else {
      lens[s++] = -1;
      lens[s++] = out.text(env);
      lens[s++] = -1;
    }
    nums[n++] = r.receivedAt; nums[n++] = r.time ?? NaN; nums[n++] = r.dropped; nums[n++] = r.flagged;
  }
  return out.done(table, texts);
}

/**
 * A batch as a store takes it (RegionStore.append, or a producer thread's port): packed columns whose
 * `verdicts` are numbers in its producer's verdict list for this store, the JSON of the ones new to the store,
 * and the request's number in its store. Never changed once handed off: the store reads it, and keeps what it
 * needs (class ids, counts) apart.
 */
export interface Batch extends PackedBatch {
  /** The request's number in its store (RegionStore.admit): the store's answer names it. */
  seq: number;
  /** [number, verdict JSON, ...]: the verdicts this batch is the first to use toward its store. */
  fresh: Array<number | string>;
  /** The producer's list started again from 0 with this batch (it is bounded: verdicts.ts). */
  reset: boolean;
}
