import type { FilteredField } from '../classify/types.ts';
import type { ItemStat, RegionStats, StoreRecord } from './types.ts';

/** Adds up per-(module, item, action) field counts of a group of records; key = module \u0000 item. */
export function aggregateItems(records: readonly StoreRecord[]): Map<string, ItemStat> {
  // Verdicts are shared objects (one per distinct field classification and policy), so count by identity
  // first and build the string key once per distinct verdict, not once per field.
  const perVerdict = new Map<FilteredField, number>();
  for (const r of records) {
    for (const f of r.classification as FilteredField[]) perVerdict.set(f, (perVerdict.get(f) ?? 0) + 1);
  }
  const out = new Map<string, ItemStat>();
  for (const [f, n] of perVerdict) {
    const key = `${f.module ?? ''}\u0000${f.item ?? ''}`;
    let s = out.get(key);
    if (!s) {
      s = { module: f.module, item: f.item, kept: 0, dropped: 0, flagged: 0 };
      out.set(key, s);
    }
    if (f.action === 'drop') s.dropped += n;
    else if (f.action === 'flag') s.flagged += n;
    else s.kept += n;
  }
  return out;
}

/** In-memory running totals (the `none` store keeps only these). */
export class StatsCounter {
  events = 0;
  droppedFields = 0;
  flaggedFields = 0;
  readonly modules = new Map<string, { events: number; droppedFields: number; flaggedFields: number }>();
  readonly items = new Map<string, ItemStat>();

  add(records: readonly StoreRecord[]): void {
    for (const r of records) {
      this.events++;
      this.droppedFields += r.dropped;
      this.flaggedFields += r.flagged;
      const key = r.module ?? '';
      let m = this.modules.get(key);
      if (!m) this.modules.set(key, (m = { events: 0, droppedFields: 0, flaggedFields: 0 }));
      m.events++;
      m.droppedFields += r.dropped;
      m.flaggedFields += r.flagged;
    }
    for (const [k, s] of aggregateItems(records)) {
      const t = this.items.get(k);
      if (!t) this.items.set(k, { ...s });
      else {
        t.kept += s.kept;
        t.dropped += s.dropped;
        t.flagged += s.flagged;
      }
    }
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
