/**
 * Every item label of the notice, sent as a field name in an event of its own module, resolves to its own item
 * (issue 11 §5). Generated from the catalog: one case per item. Two items of one module whose labels differ
 * only in case ("Display name" and "Display Name" of Office 365 usage) cannot be told apart by a field name:
 * either is accepted for both.
 */
import { describe, expect, it } from 'vitest';
import { getDefaultMatcher, normalizeName } from '../../../../src/pipeline/classify/index.ts';

const m = getDefaultMatcher();
const cases = m.modules.flatMap((mod) => mod.items.map((it) => ({ module: mod.id, label: it.label })));

describe('item labels find themselves', () => {
  it('the catalog has the notice\'s items', () => {
    expect(cases.length).toBeGreaterThan(600);
  });
  it.each(cases)('$module: "$label"', ({ module, label }) => {
    for (const value of ['x', 'LT-ENG-0087', 42]) {
      const r = m.classifyField(label, value, module);
      expect(r.module).toBe(module);
      expect(r.item === label || (r.item !== null && normalizeName(r.item) === normalizeName(label))).toBe(true);
    }
  });
});
