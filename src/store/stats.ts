import { addItemCount, addModules, classInfo, countModules, itemKey, moduleRows, type ClassInfo, type ItemCounts, type ModuleCounts, type ModuleRows } from './event-log.ts';
import type { Batch } from './packed.ts';
import type { ItemStat, RegionStats } from './types.ts';
import { grown } from './typed-arrays.ts';
import { VerdictTable } from './verdicts.ts';
import type { Verdict } from '../pipeline/classify/types.ts';

export { itemKey } from './event-log.ts';

/**
 * Per-(module, item, group) counts as a flat list, [module, item, group, kept, dropped, flagged, ...] ('' for
 * null): what the SQLite writer sends the event loop per commit.
 */
export type ItemRows = Array<string | number>;

export function itemRows(items: ItemCounts): ItemRows {
  const out: ItemRows = [];
  for (const st of items.values()) out.push(...st);
  return out;
}

/** Running totals in memory (the `none` store keeps only these; the SQLite store's live copy). */
export class StatsCounter {
  events = 0;
  droppedFields = 0;
  flaggedFields = 0;
  readonly modules = new Map<string, { events: number; droppedFields: number; flaggedFields: number }>();
  readonly items = new Map<string, ItemStat>();

  /** Counts a batch: its modules, and its fields per verdict, by `table` (its producer's verdicts, ClassInfo). */
  addBatch(b: Batch, table: VerdictTable<ClassInfo>): void {
    this.addModules(countModules(b, new Map()));
    const infos = table.take(b);
    const counts = new Int32Array(infos.length);
    const vs = b.verdicts;
    for (let k = 0; k < vs.length; k++) counts[vs[k]]++;
    const items: ItemCounts = new Map();
    for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) addItemCount(items, infos[i], counts[i]);
    this.addRows(itemRows(items));
  }

  addModules(modules: ModuleCounts): void {
    for (const [key, [n, dropped, flagged]] of modules) this.addEvents(key, n, dropped, flagged);
  }

  /** The same, from ModuleRows (what crosses threads). */
  addModuleRows(rows: ModuleRows): void {
    for (let i = 0; i < rows.length; i += 4) this.addEvents(rows[i] as string, rows[i + 1] as number, rows[i + 2] as number, rows[i + 3] as number);
  }

  /** Adds ItemRows ('' = null). */
  addRows(rows: ItemRows): void {
    for (let i = 0; i < rows.length; i += 6) {
      const [module, item, group] = [rows[i] as string, rows[i + 1] as string, rows[i + 2] as string];
      this.addItem({ module: module === '' ? null : module, item: item === '' ? null : item, ...(group === '' ? {} : { group }),
        kept: rows[i + 3] as number, dropped: rows[i + 4] as number, flagged: rows[i + 5] as number });
    }
  }

  /** Adds one (module, item, group) entry's counts: a group's aggregate, or the SQLite store's totals read at open. */
  addItem(s: ItemStat): void {
    const key = itemKey(s.module, s.item, s.group ?? null);
    const t = this.items.get(key);
    if (!t) this.items.set(key, { ...s });
    else {
      t.kept += s.kept;
      t.dropped += s.dropped;
      t.flagged += s.flagged;
    }
  }

  addEvents(module: string, n: number, dropped: number, flagged: number): void {
    this.events += n;
    this.droppedFields += dropped;
    this.flaggedFields += flagged;
    let m = this.modules.get(module);
    if (!m) this.modules.set(module, (m = { events: 0, droppedFields: 0, flaggedFields: 0 }));
    m.events += n;
    m.droppedFields += dropped;
    m.flaggedFields += flagged;
  }

  snapshot(): RegionStats {
    return {
      events: this.events,
      droppedFields: this.droppedFields,
      flaggedFields: this.flaggedFields,
      modules: Object.fromEntries([...this.modules].map(([k, v]) => [k, { ...v }])),
      items: sortItems([...this.items.values()].map((s) => ({ ...s }))),
    };
  }
}

/** A table of one producer's verdicts as the totals count them. */
export const countingTable = (): VerdictTable<ClassInfo> => new VerdictTable(classInfo);

export function sortItems(items: ItemStat[]): ItemStat[] {
  return items.sort((a, b) => (a.module ?? '').localeCompare(b.module ?? '') || (a.item ?? '').localeCompare(b.item ?? '') || (a.group ?? '').localeCompare(b.group ?? ''));
}

/**
 * What a producer sends a store that only counts (the none store) for one request, instead of a packed batch:
 * the request's number, its events, per-module counts, and its fields counted per (module, item, group) and
 * action. Made by a FieldTally (the producer's, toward that store), taken by ItemTotals. Small and cheap to
 * copy between threads: a few strings, one typed array.
 */
export interface Counts {
  /** The request's number in its store (RegionStore.admit); 0 for the event loop's own. */
  seq: number;
  events: number;
  /** Per module (ModuleRows). */
  modules: ModuleRows;
  /** [slot, module, item, group, ...] ('' = null): the (module, item, group) slots this batch is the first to use. */
  fresh: Array<number | string>;
  /** The producer's slots started again from 0 with this batch (they are bounded: MAX_SLOTS). */
  reset: boolean;
  /** [cell, fields, ...]: cell = slot × 3 + column (0 kept, 1 dropped, 2 flagged), fields > 0. */
  cells: Int32Array;
}

/** A producer's slots (distinct (module, item, group) it counted) before it starts them again. */
export const MAX_SLOTS = 50_000;

/** The counts a tally's cell adds to: kept, dropped or flagged, by the field's action. */
const column = (action: string): number => (action === 'drop' ? 1 : action === 'flag' ? 2 : 0);

/**
 * A producer's running count toward one store that only counts (an ingest thread's, or the event loop's):
 * events and their fields' verdicts in, Counts out, without packing. Fields are counted in a typed array by slot, one per (module, item,
 * group) the producer has seen, found by the filter's verdict number (a lookup in an Int32Array) or, for a
 * verdict the filter did not make, by its key; a slot's strings go to the store once, with the first Counts
 * that uses it. Each Counts holds everything counted since the last one, so the store sees a slot's strings
 * before any count of it whatever order a producer's requests finish in.
 */
export class FieldTally {
  /** Per verdict number: its cell (slot × 3 + the column of its action) + 1, 0 when not seen. */
  private byNumber = new Int32Array(1024);
  private byKey = new Map<string, number>();
  private slots = 0;
  private fresh: Array<number | string> = [];
  private reset = true;
  /** Per cell: fields counted since the last Counts; `touched`: the cells that are not 0. */
  private pending = new Int32Array(3 * 256);
  private touched: number[] = [];
  private events = 0;
  private readonly modules: ModuleCounts = new Map();
  /** The current request's own per-module counts (begin … end). */
  private own: ModuleCounts = new Map();

  /** Starts counting one request's events (addEvent, addVerdict), whose own per-module counts end() returns. */
  begin(): void {
    this.own = new Map();
  }

  /** Counts one event of the request begun: its module ('' for none) and its dropped and flagged fields. */
  addEvent(module: string, dropped: number, flagged: number): void {
    let m = this.own.get(module);
    if (m === undefined) this.own.set(module, (m = [0, 0, 0]));
    m[0]++;
    m[1] += dropped;
    m[2] += flagged;
  }

  /**
   * Counts one field by its verdict's item and action (the filter's VerdictSink: applyPolicy hands each verdict
   * over with its number as it reads it). `n`: the verdict's number, its cell found by it (an Int32Array load);
   * -1 for a verdict the filter did not make, found by its key.
   */
  addVerdict(v: Verdict, n: number): void {
    const byNumber = this.byNumber;
    const known = n >= 0 && n < byNumber.length ? byNumber[n] : 0;
    const cell = known !== 0 ? known - 1 : this.cellOf(v, n);
    if (this.pending[cell]++ === 0) this.touched.push(cell);
  }

  /** Ends the request begun: its own per-module counts, [module ('' = none), events, dropped fields, flagged fields, ...]. */
  end(): ModuleRows {
    const out = moduleRows(this.own);
    for (const m of this.own.values()) this.events += m[0];
    addModules(this.modules, this.own);
    this.own = new Map();
    return out;
  }

  /** Everything counted since the last call, as a store takes it. */
  take(seq: number): Counts {
    const cells = new Int32Array(this.touched.length * 2);
    for (let i = 0; i < this.touched.length; i++) {
      const c = this.touched[i];
      cells[2 * i] = c;
      cells[2 * i + 1] = this.pending[c];
      this.pending[c] = 0;
    }
    this.touched.length = 0;
    const modules = moduleRows(this.modules);
    this.modules.clear();
    const out: Counts = { seq, events: this.events, modules, fresh: this.fresh, reset: this.reset, cells };
    this.events = 0;
    this.fresh = [];
    this.reset = false;
    if (this.slots >= MAX_SLOTS) this.restart();
    return out;
  }

  /**
   * Starts the slots again (the next Counts says so): when they reach MAX_SLOTS, or when the last Counts taken
   * never reached the store (it must not be told of counts for slots it never heard of). Called right after
   * `take`, with nothing pending.
   */
  restart(): void {
    this.byNumber.fill(0);
    this.byKey = new Map();
    this.slots = 0;
    this.fresh = [];
    this.reset = true;
  }

  /** A field's cell, its slot named when new; remembered by its verdict's number `n` when it has one. */
  private cellOf(f: Verdict, n: number): number {
    const module = f.module ?? '';
    const item = f.item ?? '';
    const group = f.group ?? '';
    const key = itemKey(module, item, group);
    let s = this.byKey.get(key);
    if (s === undefined) {
      this.byKey.set(key, (s = this.slots++));
      this.fresh.push(s, module, item, group);
      this.pending = grown(this.pending, s * 3 + 2);
    }
    const cell = s * 3 + column(f.action);
    if (n >= 0) {
      this.byNumber = grown(this.byNumber, n);
      this.byNumber[n] = cell + 1;
    }
    return cell;
  }
}

/**
 * A counting store's per-item totals (the none store): one row of three counts (kept, dropped, flagged) per
 * (module, item, group), in a Float64Array, and per producer which of its slots is which row. Counts are
 * added as they arrive; the list of ItemStat is made only when read.
 */
export class ItemTotals {
  private readonly rowOf = new Map<string, number>();
  private readonly keys: Array<[string, string, string]> = [];
  private counts = new Float64Array(3 * 256);

  /** A producer's map from its slots to rows (one per producer: a thread's port, or the event loop). */
  producer(): number[] {
    return [];
  }

  /**
   * Adds one Counts of the producer whose slot map is `rows` (its Counts must arrive in the order they were
   * taken); throws, adding nothing of its fields, when it counts a slot the producer has not named yet.
   */
  add(c: Counts, rows: number[]): void {
    if (c.reset) rows.length = 0;
    const f = c.fresh;
    for (let i = 0; i < f.length; i += 4) rows[f[i] as number] = this.row(f[i + 1] as string, f[i + 2] as string, f[i + 3] as string);
    const cells = c.cells;
    for (let i = 0; i < cells.length; i += 2) {
      const slot = (cells[i] / 3) | 0;
      // a slot counted before its strings came: the producer handed its Counts over out of order
      if (rows[slot] === undefined) throw new Error(`Counts of request ${c.seq} count slot ${slot}, which its producer never named`);
    }
    const counts = this.counts;
    for (let i = 0; i < cells.length; i += 2) {
      const cell = cells[i];
      const slot = (cell / 3) | 0;
      counts[rows[slot] * 3 + (cell - slot * 3)] += cells[i + 1];
    }
  }

  /** The rows with any count, as ItemStat ('' read as null; no group when ''). */
  items(): ItemStat[] {
    const out: ItemStat[] = [];
    for (let r = 0; r < this.keys.length; r++) {
      const kept = this.counts[3 * r];
      const dropped = this.counts[3 * r + 1];
      const flagged = this.counts[3 * r + 2];
      if (kept + dropped + flagged === 0) continue;
      const [module, item, group] = this.keys[r];
      out.push({ module: module === '' ? null : module, item: item === '' ? null : item, ...(group === '' ? {} : { group }), kept, dropped, flagged });
    }
    return out;
  }

  private row(module: string, item: string, group: string): number {
    const key = itemKey(module, item, group);
    let r = this.rowOf.get(key);
    if (r === undefined) {
      this.rowOf.set(key, (r = this.keys.push([module, item, group]) - 1));
      this.counts = grown(this.counts, r * 3 + 2);
    }
    return r;
  }
}
