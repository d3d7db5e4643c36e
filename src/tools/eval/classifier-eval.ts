import { readFileSync } from 'node:fs';
import type { Matcher } from '../../pipeline/classify/compile.ts';
import { nameCandidates, normalizeName } from '../../pipeline/classify/normalize.ts';
import type { CatalogDef, Category, Classification } from '../../pipeline/classify/types.ts';

/** One labeled field, as in shared/fixtures/fields-visible.jsonl. */
export interface LabeledField {
  source?: string;
  source_family?: string;
  field: string;
  example: unknown;
  catalog_label: string | null;
  alt_labels?: string[] | null;
  modules: string[];
  category: Category;
  tricky?: string | null;
  note?: string;
}

export interface EvalMiss {
  line: number;
  field: string;
  module: string | null;
  expected: { item: string | null; category: Category };
  got: { item: string | null; module: string | null; category: Category; by: string };
  why: 'item-missed' | 'item-wrong' | 'item-extra' | 'category';
}

export interface EvalResult {
  records: number;
  itemPrecision: number;
  itemRecall: number;
  categoryAccuracy: number;
  /** Share of all records whose item is right: the label (or an alt label) when labeled, none when not. */
  itemAccuracy: number;
  itemRight: number;
  predicted: number;
  correct: number;
  expectedItems: number;
  found: number;
  categoryRight: number;
  misses: EvalMiss[];
}

export function readLabeledFields(path: string): LabeledField[] {
  const out: LabeledField[] = [];
  readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as LabeledField);
    } catch (err) {
      throw new Error(`${path}:${i + 1}: not JSON: ${(err as Error).message}`);
    }
  });
  return out;
}

/** Examples written as JSON text (`["a","b"]`, `{"city":…}`) are the arrays and objects real events carry. */
export function exampleValue(example: unknown): unknown {
  if (typeof example === 'string') {
    const t = example.trim();
    if ((t.startsWith('[') && t.endsWith(']')) || (t.startsWith('{') && t.endsWith('}'))) {
      try { return JSON.parse(t); } catch { /* plain text */ }
    }
  }
  return example;
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Classifies each labeled field alone, in the context of its record's first module (none when it lists
 * none), and scores: item precision (of the items predicted, how many are the label or one of its
 * alt_labels), item recall (of the records with a label, how many got it or an alt label), category accuracy.
 */
export function evaluate(matcher: Matcher, records: LabeledField[]): EvalResult {
  let predicted = 0, correct = 0, expectedItems = 0, found = 0, categoryRight = 0, itemRight = 0;
  const misses: EvalMiss[] = [];
  records.forEach((r, i) => {
    let moduleId: string | null = null;
    if (r.modules.length > 0) {
      const m = matcher.resolveModule(r.modules[0]);
      if (!m) throw new Error(`line ${i + 1}: module '${r.modules[0]}' is not in the catalog`);
      moduleId = m.id;
    }
    const value = exampleValue(r.example);
    // a labeled field is one field: its name is the whole key, dotted or not
    const got: Classification = matcher.classifyField(r.field, value, moduleId);
    const accepted = [r.catalog_label, ...(r.alt_labels ?? [])].filter((x): x is string => typeof x === 'string');
    const ok = got.item !== null && accepted.some((a) => same(a, got.item!));
    const base = { line: i + 1, field: r.field, module: moduleId, expected: { item: r.catalog_label, category: r.category }, got: { item: got.item, module: got.module, category: got.category, by: got.by } };
    if (r.catalog_label !== null ? ok : (got.item === null || ok)) itemRight++;
    if (got.item !== null) {
      predicted++;
      if (ok) correct++;
    }
    if (r.catalog_label !== null) {
      expectedItems++;
      if (ok) found++;
      else misses.push({ ...base, why: got.item === null ? 'item-missed' : 'item-wrong' });
    } else if (got.item !== null && !ok) {
      misses.push({ ...base, why: 'item-extra' });
    }
    if (got.category === r.category) categoryRight++;
    else misses.push({ ...base, why: 'category' });
  });
  const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);
  return {
    records: records.length,
    itemPrecision: ratio(correct, predicted),
    itemRecall: ratio(found, expectedItems),
    categoryAccuracy: ratio(categoryRight, records.length),
    itemAccuracy: ratio(itemRight, records.length),
    predicted, correct, expectedItems, found, categoryRight, itemRight, misses,
  };
}

// ---- family-out: the estimate for a vendor the aliases never saw ----

/** The normalized names a labeled field goes by: its whole key and each shorter dotted tail. */
function namesOf(field: string): Set<string> {
  return new Set(nameCandidates(field));
}

/**
 * A copy of the catalog without every alias (of a field kind or of an item) equal, after normalization, to one
 * of the given names or a dotted tail of one. The notice's own item labels stay: they are the notice's words,
 * not a corpus's.
 */
export function catalogWithout(cat: CatalogDef, fieldNames: Iterable<string>): { catalog: CatalogDef; removed: number } {
  const drop = new Set<string>();
  for (const f of fieldNames) for (const n of namesOf(f)) drop.add(n);
  const copy = JSON.parse(JSON.stringify(cat)) as CatalogDef;
  let removed = 0;
  const keep = (a: string) => {
    if (drop.has(normalizeName(a))) { removed++; return false; }
    return true;
  };
  for (const def of Object.values(copy.fieldKinds)) def.aliases = def.aliases.filter(keep);
  for (const m of copy.modules) for (const it of m.items) it.aliases = it.aliases.filter(keep);
  return { catalog: copy, removed };
}

export interface FamilyOutRow extends EvalResult { family: string; aliasesRemoved: number }

/**
 * For each source family of the labeled set: remove the aliases equal to that family's field names, compile a
 * matcher from what is left, and score that family alone. `compile` is the matcher compiler (injected: the
 * eval module does not depend on the compiler's module graph).
 */
export function familyOut(cat: CatalogDef, records: LabeledField[], compile: (c: CatalogDef) => Matcher): FamilyOutRow[] {
  const families = new Map<string, LabeledField[]>();
  for (const r of records) {
    const fam = r.source_family ?? r.source ?? '(none)';
    let list = families.get(fam);
    if (!list) families.set(fam, (list = []));
    list.push(r);
  }
  const rows: FamilyOutRow[] = [];
  for (const [family, recs] of families) {
    const { catalog, removed } = catalogWithout(cat, recs.map((r) => r.field));
    rows.push({ family, aliasesRemoved: removed, ...evaluate(compile(catalog), recs) });
  }
  return rows;
}

/** Sums family rows into one (micro average over fields). */
export function sumRows(rows: EvalResult[]): EvalResult {
  const t = { records: 0, predicted: 0, correct: 0, expectedItems: 0, found: 0, categoryRight: 0, itemRight: 0 };
  const misses: EvalMiss[] = [];
  for (const r of rows) {
    t.records += r.records; t.predicted += r.predicted; t.correct += r.correct;
    t.expectedItems += r.expectedItems; t.found += r.found; t.categoryRight += r.categoryRight; t.itemRight += r.itemRight;
    misses.push(...r.misses);
  }
  const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);
  return {
    ...t, misses,
    itemPrecision: ratio(t.correct, t.predicted),
    itemRecall: ratio(t.found, t.expectedItems),
    categoryAccuracy: ratio(t.categoryRight, t.records),
    itemAccuracy: ratio(t.itemRight, t.records),
  };
}
