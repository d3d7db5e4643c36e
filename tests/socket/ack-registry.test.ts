import { describe, expect, it } from 'vitest';
import { AckRegistry, channelsPerToken, type AckLimits } from '../../src/service/hec/acks.ts';

const A = 'AAAAAAAA-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';
const lim = (o: Partial<AckLimits> = {}): AckLimits => ({ maxChannels: 10, maxChannelsPerToken: 10, maxPendingPerChannel: 1000, idleMs: 1000, ...o });

describe('AckRegistry (pure)', () => {
  it('numbers per channel from 0 (channel ids case-insensitive), true once after commit', () => {
    const r = new AckRegistry(lim());
    expect([r.allocate(T1, A), r.allocate(T1, A.toLowerCase()), r.allocate(T1, B)]).toEqual([0, 1, 0]);
    expect(r.query(T1, A, [0, 1])).toEqual({ 0: false, 1: false });
    r.commit(T1, A, 1);
    expect(r.query(T1, A, [0, 1])).toEqual({ 0: false, 1: true });
    expect(r.query(T1, A, [1])).toEqual({ 1: false });
    expect(r.query(T1, 'cccccccc-0000-4000-8000-000000000003', [0])).toEqual({ 0: false });
  });

  it('a channel belongs to the token that opened it: another token sees its own, empty channel', () => {
    const r = new AckRegistry(lim());
    expect(r.allocate(T1, A)).toBe(0);
    r.commit(T1, A, 0);
    expect(r.query(T2, A, [0])).toEqual({ 0: false }); // not consumed by the other token
    expect(r.allocate(T2, A)).toBe(0); // its own numbering
    expect(r.query(T1, A, [0])).toEqual({ 0: true });
    expect([r.channelsOf(T1), r.channelsOf(T2), r.size]).toEqual([1, 1, 2]);
  });

  it('refuses channels beyond all channels with 503 code 9', () => {
    const r = new AckRegistry(lim({ maxChannels: 1 }));
    r.allocate(T1, A);
    expect(() => r.allocate(T1, B)).toThrow(expect.objectContaining({ code: 'SIM_ERR_HEC_ACK_CHANNELS_FULL', statusCode: 503, hecCode: 9 }));
    expect(r.allocate(T1, A)).toBe(1); // an open channel still works
  });

  it("a token past its channel share gets 503 code 9; other tokens still open channels; health says so", () => {
    const r = new AckRegistry(lim({ maxChannels: 4, maxChannelsPerToken: channelsPerToken(4, 2) }));
    r.allocate(T1, A);
    r.allocate(T1, B);
    expect(r.health()).toBe('approaching');
    expect(r.health(T1)).toBe('exhausted');
    expect(r.health(T2)).toBe('approaching');
    expect(() => r.allocate(T1, 'cccccccc-0000-4000-8000-000000000003')).toThrow(expect.objectContaining({ code: 'SIM_ERR_HEC_ACK_TOKEN_CHANNELS_FULL', hecCode: 9 }));
    expect(r.allocate(T2, A)).toBe(0);
    expect(r.allocate(T2, B)).toBe(0);
    expect(r.health()).toBe('exhausted'); // every channel taken
  });

  it('outstanding acks per channel are bounded: 429 code 27 until some are read', () => {
    const r = new AckRegistry(lim({ maxPendingPerChannel: 2 }));
    r.allocate(T1, A);
    r.allocate(T1, A);
    expect(() => r.allocate(T1, A)).toThrow(expect.objectContaining({ code: 'SIM_ERR_HEC_ACK_CHANNEL_PENDING_FULL', statusCode: 429, hecCode: 27 }));
    expect(r.allocate(T1, B)).toBe(0); // other channels are not affected
    r.commit(T1, A, 0);
    expect(r.query(T1, A, [0])).toEqual({ 0: true });
    expect(r.allocate(T1, A)).toBe(2);
    r.release(T1, A, 1); // a request that failed gives its id back
    expect(r.allocate(T1, A)).toBe(3);
  });

  it('an indexing delay: the ack reads false until the delay has passed; a lost ack never reads true', () => {
    const r = new AckRegistry(lim());
    const fates = [{ delayMs: 500, lost: false }, { delayMs: 0, lost: true }];
    r.fate = () => fates.shift()!;
    r.allocate(T1, A, 0);
    r.allocate(T1, A, 0);
    expect(r.commit(T1, A, 0, 'us', 100)).toEqual({ delayMs: 500, lost: false });
    expect(r.commit(T1, A, 1, 'us', 100)).toEqual({ delayMs: 0, lost: true });
    expect(r.query(T1, A, [0, 1], 599)).toEqual({ 0: false, 1: false });
    expect(r.query(T1, A, [0, 1], 600)).toEqual({ 0: true, 1: false });
    expect(r.query(T1, A, [0, 1], 5000)).toEqual({ 0: false, 1: false });
  });

  it('forgets idle channels (their ids then read false, numbering restarts, the token gets its share back)', () => {
    const r = new AckRegistry(lim({ maxChannelsPerToken: 2 }));
    r.allocate(T1, A, 0);
    r.commit(T1, A, 0);
    r.allocate(T1, B, 0);
    r.query(T1, B, [], 900); // B used recently
    expect(r.sweep(1500)).toBe(1);
    expect([r.size, r.channelsOf(T1)]).toEqual([1, 1]);
    expect(r.query(T1, A, [0], 1500)).toEqual({ 0: false });
    expect(r.allocate(T1, A, 1500)).toBe(0);
  });

  it('channelsPerToken: an equal share of all channels, or less when configured', () => {
    expect(channelsPerToken(1_000_000, 3)).toBe(333_333);
    expect(channelsPerToken(1_000_000, 0)).toBe(1_000_000);
    expect(channelsPerToken(10, 3, 2)).toBe(2);
    expect(channelsPerToken(10, 3, 50)).toBe(3);
  });
});
