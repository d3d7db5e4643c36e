import { describe, expect, it } from 'vitest';
import { canonicalText, parseEventBatch } from '../../../../src/pipeline/parse/envelope.ts';

const limits = { maxDepth: 100, maxEventBytes: 5 * 1024 * 1024 };
const ctx = { allowedIndexes: null, defaultIndex: 'main' };

describe('canonicalText: the text a store may keep is what was parsed', () => {
  it('keeps the received text only when it is the stringified parse', () => {
    const t = '{"event":{"a":1},"host":"h"}';
    expect(canonicalText(JSON.parse(t), t)).toBe(t);
  });
  it.each([
    ['envelope', '{"event":{"src_ip":"10.77.77.1"},"event":{"action":"allowed"}}'],
    ['event', '{"event":{"a":"10.77.77.1","a":"x"}}'],
    ['nested', '{"event":{"n":{"m":{"ip":"10.77.77.1","ip":"x"}}}}'],
    ['fields', '{"event":"e","fields":{"ip":"10.77.77.1","ip":"x"}}'],
    ['array element', '{"event":[{"ip":"10.77.77.1","ip":"x"}]}'],
  ])('a duplicate key (%s) gives the canonical form, without the shadowed value', (_, t) => {
    const out = canonicalText(JSON.parse(t), t)!;
    expect(out).not.toBe(t);
    expect(out).not.toContain('10.77.77.1');
    expect(JSON.parse(out)).toEqual(JSON.parse(t));
  });
  it('an unknown envelope key: no text at all (the store serializes event and fields)', () => {
    expect(canonicalText(JSON.parse('{"event":"x","secret":{"ip":"1"}}'), '{"event":"x","secret":{"ip":"1"}}')).toBeUndefined();
    expect(canonicalText(JSON.parse('{"event":"x","__proto__":{"ip":"1"}}'), '')).toBeUndefined();
  });
  it('parseEventBatch sets raw to the canonical text on both parse paths', () => {
    const body = '{"event":{"ip":"10.77.77.1"},"event":"kept"}\n{ "event" : {"ip":"10.77.77.2"}, "event": "kept2" }{"event":"c"}';
    const { events, error } = parseEventBatch(body, limits, ctx);
    expect(error).toBeNull();
    expect(events.map((e) => e.event)).toEqual(['kept', 'kept2', 'c']);
    expect(events.map((e) => e.raw)).toEqual(['{"event":"kept"}', '{"event":"kept2"}', '{"event":"c"}']);
  });
  it('parseEventBatch with canonical: false (a store that keeps no text) leaves raw undefined and parses the same events', () => {
    const body = '{"event":{"ip":"10.77.77.1"},"event":"kept"}\n{ "event" : "b", "host": "h" }{"event":"c"}';
    const kept = parseEventBatch(body, limits, ctx);
    const bare = parseEventBatch(body, limits, { ...ctx, canonical: false });
    expect(bare.error).toBeNull();
    expect(bare.events.map((e) => e.raw)).toEqual([undefined, undefined, undefined]);
    expect(bare.events.map(({ raw: _, ...e }) => e)).toEqual(kept.events.map(({ raw: _, ...e }) => e));
  });
});
