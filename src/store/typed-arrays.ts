/** A typed array indexed by ids that keep coming (class ids, verdict numbers, slots): the store's counters. */
export type IdArray = Int32Array | Float64Array | Uint8Array;

/**
 * `a` when index `i` fits in it, else a copy of it at least twice as long and long enough for `i` (zeros after
 * what it held): grown rarely, each id's entry kept.
 */
export function grown<A extends IdArray>(a: A, i: number): A {
  if (i < a.length) return a;
  const b = new (a.constructor as new (length: number) => A)(Math.max(a.length * 2, i + 1));
  b.set(a);
  return b;
}
