import { describe, expect, it } from 'vitest';
import { grown } from '../../../src/store/typed-arrays.ts';

describe('grown (the store counters\' typed arrays)', () => {
  it('keeps an array the index fits in, and copies one it does not into an array of its own type', () => {
    const a = Int32Array.from([1, 2, 3, 4]);
    expect(grown(a, 3)).toBe(a);
    const b = grown(a, 4);
    expect(b).toBeInstanceOf(Int32Array);
    expect([...b]).toEqual([1, 2, 3, 4, 0, 0, 0, 0]); // twice as long: grown rarely
    const c = grown(Float64Array.from([0.5]), 9);
    expect(c).toBeInstanceOf(Float64Array);
    expect(c.length).toBe(10); // long enough for the index when twice is not
    expect(c[0]).toBe(0.5);
    expect(grown(new Uint8Array(0), 0)).toHaveLength(1);
  });
});
