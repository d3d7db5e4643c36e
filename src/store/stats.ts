import { addItemCount, classInfo, countModules, type ClassInfo, type ItemCounts, type ModuleCounts } from './event-log.ts';
import type { Batch } from './packed.ts';
import type { ItemStat, RegionStats, StoreRecord } from './types.ts';
import { VerdictTable } from './verdicts.ts';

/** The key of a (module, item, group) entry in per-item totals: `module \u0000 item \u0000 group`, '' for null. */
export function itemKey(module: string | null, item: string | null, group: string | null = null): string {
  return `${module ?? ''}\u0000${item ?? ''}\u0000${group ?? ''}`;
}

/** Adds up per-(module, item, group, action) field counts of a group of records; key = itemKey. */
export function aggregateItems(records: readonly StoreRecord[]): Map<string, ItemStat> {
  const out = new Map<string, ItemStat>();
  for (const r of records) {
    for (const f of r.classification) {
      const key = itemKey(f.module, f.item, f.group ?? null);
      let s = out.get(key);
      if (!s) out.set(key, (s = { module: f.module, item: f.item, ...(f.group ? { group: f.group } : {}), kept: 0, dropped: 0, flagged: 0 }));
      if (f.action === 'drop') s.dropped++;
      else if (f.action === 'flag') s.flagged++;
      else s.kept++;
    }
  }
  return out;
}

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
