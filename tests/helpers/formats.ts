import type { KvPair } from '../../src/pipeline/parse/formats/types.ts';

/** key → value (the last one when a key repeats). */
export function obj(pairs: KvPair[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const p of pairs) o[p.key] = p.value;
  return o;
}

/** Every pair's offsets point into the text where its value is written (for unescaped values). */
export function spansHold(text: string, pairs: KvPair[]): boolean {
  return pairs.every((p) => p.start >= 0 && p.end <= text.length && p.start <= p.end && (p.value === '' || text.slice(p.start, p.end).includes(p.value.slice(0, 1))));
}
