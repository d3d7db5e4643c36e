import { readFileSync } from 'node:fs';
import type { Matcher } from '../classify/compile.ts';
import type { Category, FieldClass } from '../classify/types.ts';

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
  let predicted = 0, correct = 0, expectedItems = 0, found = 0, categoryRight = 0;
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
    const got: FieldClass = matcher.classifyField(r.field, value, moduleId);
    const accepted = [r.catalog_label, ...(r.alt_labels ?? [])].filter((x): x is string => typeof x === 'string');
    const ok = got.item !== null && accepted.some((a) => same(a, got.item!));
    const base = { line: i + 1, field: r.field, module: moduleId, expected: { item: r.catalog_label, category: r.category }, got: { item: got.item, module: got.module, category: got.category, by: got.by } };
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
    predicted, correct, expectedItems, found, categoryRight, misses,
  };
}
