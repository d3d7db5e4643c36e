import { describe, expect, it } from 'vitest';
import { AckRegistry } from '../../src/ingest/acks.ts';

const A = 'AAAAAAAA-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';

describe('AckRegistry (pure)', () => {
  it('numbers per channel from 0 (channel ids case-insensitive), true once after commit', () => {
    const r = new AckRegistry(10, 1000);
    expect([r.allocate(A), r.allocate(A.toLowerCase()), r.allocate(B)]).toEqual([0, 1, 0]);
    expect(r.query(A, [0, 1])).toEqual({ 0: false, 1: false });
    r.commit(A, 1);
    expect(r.query(A, [0, 1])).toEqual({ 0: false, 1: true });
    expect(r.query(A, [1])).toEqual({ 1: false });
    expect(r.query('cccccccc-0000-4000-8000-000000000003', [0])).toEqual({ 0: false });
  });
  it('refuses channels beyond the limit with 503 code 9', () => {
    const r = new AckRegistry(1, 1000);
    r.allocate(A);
    expect(() => r.allocate(B)).toThrow(expect.objectContaining({ statusCode: 503, hecCode: 9 }));
    expect(r.allocate(A)).toBe(1); // an open channel still works
  });
  it('forgets idle channels (their ids then read false and numbering restarts)', () => {
    const r = new AckRegistry(10, 1000);
    r.allocate(A, 0);
    r.commit(A, 0);
    r.allocate(B, 0);
    r.query(B, [], 900); // B used recently
    expect(r.sweep(1500)).toBe(1);
    expect(r.size).toBe(1);
    expect(r.query(A, [0], 1500)).toEqual({ 0: false });
    expect(r.allocate(A, 1500)).toBe(0);
  });
});
