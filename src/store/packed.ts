import type { FilteredField } from '../pipeline/classify/types.ts';
import type { StoreRecord } from './types.ts';
import { NUMBERS, REFS, TEXTS } from './event-log.ts';

/**
 * A request's records packed into a few values: what an ingest worker sends to the event loop, and what the
 * SQLite writer thread takes. Copying a message between threads costs per value, so the records travel as a
 * table of their metadata strings (a request's events share them) with references into it, one string of
 * the events' texts with their lengths, typed arrays of numbers, and per field the number of its verdict in
 * its producer's list for this destination (verdicts.ts: each verdict's JSON goes once, with the first batch
 * that uses it).
 *
 * Columns (event-log.ts defines them: the log's records hold these batches as they are):
 *   refsOf  per event, REFS columns: tenant, module, host, source, sourcetype, index, endpoint (-1 = null)
 *   lens    per event, TEXTS columns: event JSON, envelope as received, indexed fields JSON (-1 = null);
 *           an event stored whole has only its envelope's text (no second serialization), else its JSON
 *   nums    per event, NUMBERS columns: receivedAt, time (NaN = null), dropped, flagged
 */
export { countModules, NUM_DROPPED, NUM_FLAGGED, NUMBERS, REF_MODULE, REFS, TEXTS, type ModuleCounts } from './event-log.ts';

export interface PackedBatch {
  events: number;
  table: string[];
  refsOf: Int32Array;
  text: string;
  lens: Int32Array;
  nums: Float64Array;
  /** Per field of every event, in order: its verdict's index (what `verdictIndex` gave when packing). */
  verdicts: Int32Array;
  /** Per event: how many of `verdicts` are its fields'. */
  idCounts: Int32Array;
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
 * Packs records; `verdictIndex` numbers each field's verdict (a class id, or a number in a verdict list).
 * `texts` false: the events' texts are left out (every length -1), for a store that only counts.
 */
export function packRecords(records: readonly StoreRecord[], verdictIndex: (f: FilteredField) => number, texts = true): PackedBatch {
  let fieldCount = 0;
  for (const r of records) fieldCount += r.classification.length;
  const { table, ref } = stringTable();
  const refsOf = new Int32Array(records.length * REFS);
  const lens = new Int32Array(records.length * TEXTS);
  const nums = new Float64Array(records.length * NUMBERS);
  const verdicts = new Int32Array(fieldCount);
  const idCounts = new Int32Array(records.length);
  let text = '';
  let t = 0;
  let s = 0;
  let n = 0;
  let k = 0;
  for (let e = 0; e < records.length; e++) {
    const r = records[e];
    const cls = r.classification;
    for (let i = 0; i < cls.length; i++) verdicts[k++] = verdictIndex(cls[i]);
    idCounts[e] = cls.length;
    refsOf[t++] = ref(r.tenant); refsOf[t++] = ref(r.module); refsOf[t++] = ref(r.host); refsOf[t++] = ref(r.source);
    refsOf[t++] = ref(r.sourcetype); refsOf[t++] = ref(r.index); refsOf[t++] = ref(r.endpoint);
    const env = r.envelope;
    if (!texts) {
      lens[s++] = -1; lens[s++] = -1; lens[s++] = -1;
    } else if (env === undefined) {
      const json = JSON.stringify(r.event);
      text += json;
      lens[s++] = json.length;
      lens[s++] = -1;
      if (r.fields === null) lens[s++] = -1;
      else {
        const f = JSON.stringify(r.fields);
        text += f;
        lens[s++] = f.length;
      }
    } else {
      lens[s++] = -1;
      text += env;
      lens[s++] = env.length;
      lens[s++] = -1;
    }
    nums[n++] = r.receivedAt; nums[n++] = r.time ?? NaN; nums[n++] = r.dropped; nums[n++] = r.flagged;
  }
  return { events: records.length, table, refsOf, text, lens, nums, verdicts, idCounts };
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
