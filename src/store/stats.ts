import type { FilteredField } from '../pipeline/classify/types.ts';
import * as filter from '../pipeline/filter/index.ts';
import { packedModules, type PackedBatch } from './packed.ts';
import type { ItemStat, RegionStats, StoreRecord } from './types.ts';

/** Adds up per-(module, item, action) field counts of a group of records; key = itemKey(module, item). */
export function aggregateItems(records: readonly StoreRecord[]): Map<string, ItemStat> {
  // Verdicts are shared objects (one per distinct field classification and policy), so count by identity
  // first and build the key once per distinct verdict, not once per field.
  const counts = new Map<FilteredField, number>();
  for (const r of records) {
    const fields = r.classification;
    for (let i = 0; i < fields.length; i++) counts.set(fields[i], (counts.get(fields[i]) ?? 0) + 1);
  }
  const out = new Map<string, ItemStat>();
  for (const [f, n] of counts) addVerdict(out, f, n);
  return out;
}

/** Adds n fields of verdict f to its (module, item) entry of `out`, by its action. */
function addVerdict(out: Map<string, ItemStat>, f: FilteredField, n: number): void {
  const key = filter.itemKey(f.module, f.item);
  let s = out.get(key);
  if (!s) out.set(key, (s = { module: f.module, item: f.item, kept: 0, dropped: 0, flagged: 0 }));
  if (f.action === 'drop') s.dropped += n;
  else if (f.action === 'flag') s.flagged += n;
  else s.kept += n;
}

/** In-memory running totals (the `none` store keeps only these). */
export class StatsCounter {
  events = 0;
  droppedFields = 0;
  flaggedFields = 0;
  readonly modules = new Map<string, { events: number; droppedFields: number; flaggedFields: number }>();
  readonly items = new Map<string, ItemStat>();

  add(records: readonly StoreRecord[]): void {
    for (const r of records) this.addEvents(r.module ?? '', 1, r.dropped, r.flagged);
    for (const s of aggregateItems(records).values()) this.addItem(s);
  }

  /** The same totals from a packed batch whose verdict indices point into `verdicts`. */
  addPacked(b: PackedBatch, verdicts: readonly FilteredField[]): void {
    for (const [key, [n, dropped, flagged]] of packedModules(b)) this.addEvents(key, n, dropped, flagged);
    const counts = new Int32Array(verdicts.length);
    const vs = b.verdicts;
    for (let k = 0; k < vs.length; k++) counts[vs[k]]++;
    for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) addVerdict(this.items, verdicts[i], counts[i]);
  }

  /** Adds n fields of one verdict (the SQLite store's totals, by class id). */
  addVerdictCount(f: FilteredField, n: number): void {
    addVerdict(this.items, f, n);
  }

  /** Adds one (module, item) entry's counts: a group's aggregate, or the SQLite store's totals read at open. */
  addItem(s: ItemStat): void {
    const key = filter.itemKey(s.module, s.item);
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

export function sortItems(items: ItemStat[]): ItemStat[] {
  return items.sort((a, b) => (a.module ?? '').localeCompare(b.module ?? '') || (a.item ?? '').localeCompare(b.item ?? ''));
}
