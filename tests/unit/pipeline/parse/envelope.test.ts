import { describe, expect, it } from 'vitest';
import { keyColons, parseEventBatch, scanContainer, validateEnvelope, type EnvelopeContext } from '../../../../src/pipeline/parse/envelope.ts';
import { splitRawLines } from '../../../../src/pipeline/parse/raw.ts';

const limits = { maxDepth: 10, maxEventBytes: 1000 };
const ctx: EnvelopeContext = { allowedIndexes: null, defaultIndex: 'main' };
const parse = (s: string, c: EnvelopeContext = ctx) => parseEventBatch(s, limits, c);

describe('scanContainer', () => {
  it('finds the end of an object, honouring strings and escapes', () => {
    const s = '{"a":"}{\\"]","b":[1,{"c":2}]} tail';
    expect(scanContainer(s, 0, 10)).toBe(s.indexOf(' tail'));
  });
  it('reports unterminated (-1) and too deep (-2)', () => {
    expect(scanContainer('{"a":[1,2}', 0, 10)).toBe(-1);
    expect(scanContainer('[[[[1]]]]', 0, 3)).toBe(-2);
    expect(scanContainer('[[[1]]]', 0, 3)).toBe(7);
  });
});

describe('parseEventBatch', () => {
  it('splits back-to-back, newline-separated and array batches, numbering across the body', () => {
    const r = parse('{"event":1}{"event":2}\n\r\n{"event":3} [{"event":4},\n{"event":5}] {"event":6}');
    expect(r.error).toBeNull();
    expect(r.events.map((e) => e.event)).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('types the envelope: numeric-string time, strings, flat fields', () => {
    const line = '{"time":"1433188255.500","host":"h","source":"s","sourcetype":"st","index":"i","event":{"x":1},"fields":{"a":"b","n":[1,"2"]}}';
    const [e] = parse(line).events;
    expect(e).toEqual({ time: 1433188255.5, host: 'h', source: 's', sourcetype: 'st', index: 'i', event: { x: 1 }, fields: { a: 'b', n: [1, '2'] }, raw: line });
  });
  it('keeps the text of each envelope as received when it provably has no duplicate key, else its canonical text; alone on its line or back to back', () => {
    // one `":` per key and no space before a colon: proved without serializing, kept as received
    const a = '{"event": {"n": 1.50}}';
    const b = '{"event":"two"}';
    expect(parse(`${a}\r\n${b}\n`).events.map((e) => e.raw)).toEqual([a, b]);
    expect(parse(`${a}${b}  ${a}`).events.map((e) => e.raw)).toEqual([a, b, a]);
    expect(parse(`[${a},\n ${b}]`).events.map((e) => e.raw)).toEqual([a, b]);
    // a space before a colon, or a `":` inside a string: not proved by the count, so the canonical text (or the
    // received one when it is already canonical)
    const spaced = '{"event" : {"n": 1.50}}';
    expect(parse(spaced).events.map((e) => e.raw)).toEqual(['{"event":{"n":1.5}}']);
    const quoted = '{"event":"say \\":\\" here"}';
    expect(parse(quoted).events.map((e) => e.raw)).toEqual([quoted]);
    // a duplicate key: the canonical text of what was classified (the last one), whichever way it is written
    for (const dup of ['{"event":{"u":"alice"},"event":{"u":"bob"}}', '{"event":{"u":"alice","u":"bob"}}', '{"event" :{"u":"alice"},"event":{"u" : "bob"}}']) {
      expect(parse(dup).events.map((e) => e.raw)).toEqual(['{"event":{"u":"bob"}}']);
    }
  });
  it('keyColons counts `":` and refuses a quote, white space then a colon, as a regular expression and an indexOf count do', () => {
    // a spaced key written with tabs, line breaks or a CR, and a duplicate hidden behind it: never kept as received
    for (const dup of ['{"event":{"u":"a"},"event"\t:{"u":"b"}}', '{"event":{"u":"a","u"\r\n :"b"}}']) {
      expect(parse(dup).events.map((e) => e.raw)).toEqual(['{"event":{"u":"b"}}']);
    }
    const reference = (t: string) => (/"[ \t\r\n]+:/.test(t) ? -1 : t.split('":').length - 1);
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const alphabet = ['"', ':', ' ', '\t', '\n', '\r', 'a', '{', '}', ',', '\\'];
    for (let i = 0; i < 5000; i++) {
      const t = Array.from({ length: rnd(24) }, () => alphabet[rnd(alphabet.length)]).join('');
      expect(keyColons(t), JSON.stringify(t)).toBe(reference(t));
    }
  });
  it('keeps the events before the first bad one and numbers the bad one', () => {
    const r = parse('{"event":"a"}{"event":"b"}{"nope":1}{"event":"c"}');
    expect(r.events.map((e) => e.event)).toEqual(['a', 'b']);
    expect(r.error?.code).toBe('SIM_ERR_HEC_EVENT_MISSING');
    expect(r.error?.invalidEventNumber).toBe(2);
  });
  it('numbers array elements and catches garbage between them', () => {
    const r = parse('[{"event":1} {"event":2}]');
    expect(r.events).toHaveLength(1);
    expect(r.error?.body()).toMatchObject({ code: 6, 'invalid-event-number': 1 });
  });
  it('too-deep and too-large events are refused with their number', () => {
    const deep = parse(`{"event":"ok"}{"event":${'['.repeat(12)}${']'.repeat(12)}}`);
    expect([deep.events.length, deep.error?.code, deep.error?.invalidEventNumber]).toEqual([1, 'SIM_ERR_HEC_TOO_DEEP', 1]);
    const big = parse(`{"event":"${'x'.repeat(2000)}"}`);
    expect(big.error?.code).toBe('SIM_ERR_HEC_EVENT_TOO_LARGE');
  });
  it('an envelope alone on its line is held to maxDepth alike with and without its canonical text (arrays and objects)', () => {
    // the envelope is depth 1, its event 2: `levels` more containers inside the event reach depth 2 + levels
    const nest = (levels: number, inner: string): string => {
      let t = inner;
      for (let i = 0; i < levels; i++) t = i % 2 === 0 ? `[1,${t},"x"]` : `{"a":1,"k${i}":${t},"b":null}`;
      return t;
    };
    for (const leaf of ['"v"', '{}', '[]', '{"z":[]}']) {
      const leafDepth = leaf === '"v"' ? 0 : leaf === '{"z":[]}' ? 2 : 1;
      for (let levels = 5; levels <= 9; levels++) {
        const body = `{"event":"ok"}\n{"event":${nest(levels, leaf)},"host":"h"}\n{"event":"after"}`;
        const deep = 1 + levels + leafDepth > limits.maxDepth;
        for (const canonical of [true, false]) {
          const r = parseEventBatch(body, limits, { ...ctx, canonical });
          const what = `${leaf} ${levels} canonical ${canonical}`;
          if (deep) expect([r.events.length, r.error?.code, r.error?.invalidEventNumber], what).toEqual([1, 'SIM_ERR_HEC_TOO_DEEP', 1]);
          else expect([r.events.length, r.error], what).toEqual([3, null]);
        }
      }
    }
  });
  it('brackets inside strings do not count as nesting: an event text with more of them than maxDepth is kept', () => {
    const body = `{"event":"${'{['.repeat(limits.maxDepth)}","host":"h"}\n{"event":{"cmd":"${'['.repeat(limits.maxDepth + 1)}"}}`;
    for (const canonical of [true, false]) {
      const r = parseEventBatch(body, limits, { ...ctx, canonical });
      expect([r.events.length, r.error], `canonical ${canonical}`).toEqual([2, null]);
    }
  });
  it('host, source, sourcetype and index are strings or absent (null reads as absent); another type is refused by name', () => {
    const ok = parse('{"event":"a","host":null,"source":"s","sourcetype":null,"index":"main"}');
    expect(ok.error).toBe(null);
    expect(ok.events[0]).toMatchObject({ host: undefined, source: 's', sourcetype: undefined, index: 'main' });
    for (const key of ['host', 'source', 'sourcetype', 'index']) {
      for (const bad of ['1', 'true', '{"x":"y"}', '["a"]']) {
        const r = parse(`{"event":"first"}{"event":"b","host":"h",${JSON.stringify(key)}:${bad}}`);
        expect([r.events.length, r.error?.code, r.error?.invalidEventNumber], `${key}: ${bad}`).toEqual([1, 'SIM_ERR_HEC_BAD_ENVELOPE_KEY', 1]);
        expect(r.error?.message).toContain(`"${key}" must be a string`);
      }
    }
  });
  it('__proto__ stays an own data key and Object.prototype is untouched', () => {
    const [e] = parse('{"event":{"__proto__":{"polluted":1}},"__proto__":{"polluted":2}}').events;
    expect(Object.hasOwn(e.event as object, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(e.event)).toBe(Object.prototype);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  });
  it('no events at all is code 5', () => {
    expect(parse('  \n ').error?.hecCode).toBe(5);
    expect(parse('[ ]').error?.hecCode).toBe(5);
  });
  it('index list: code 7 with number + 1, default index checked too', () => {
    const c = { allowedIndexes: ['main'], defaultIndex: 'main' };
    const r = parse('{"event":1}{"event":2,"index":"x"}', c);
    expect([r.events.length, r.error?.hecCode, r.error?.invalidEventNumber]).toEqual([1, 7, 2]);
    expect(parse('{"event":1}', { allowedIndexes: ['sec'], defaultIndex: 'main' }).error?.hecCode).toBe(7);
  });
});

describe('validateEnvelope', () => {
  it.each([
    [{ event: '' }, 13], [{ event: null }, 13], [{ event: ' \t' }, 13], [{}, 12], [[1], 6], [5, 6],
    [{ event: 1, time: 'x' }, 15], [{ event: 1, time: true }, 15], [{ event: 1, fields: [1] }, 15],
    [{ event: 1, fields: { a: [{ b: 1 }] } }, 15], [{ event: 1, sourcetype: 5 }, 6],
  ])('%j → HEC code %i', (value, code) => {
    const r = validateEnvelope(value, 0, ctx);
    expect('hecCode' in r ? r.hecCode : 'ok').toBe(code);
  });
  it('accepts numbers, objects, arrays as event; null metadata counts as absent', () => {
    for (const event of [0, false, { a: 1 }, [1], 'x']) expect(validateEnvelope({ event, host: null }, 0, ctx)).toMatchObject({ event, host: undefined });
  });
});

describe('splitRawLines', () => {
  it('one event per line, CR/LF/CRLF, blank lines skipped, truncation', () => {
    expect(splitRawLines('a\r\nb\rc\n\n  \nd', 100)).toEqual(['a', 'b', 'c', 'd']);
    expect(splitRawLines('abcdef', 3)).toEqual(['abc']);
  });
  it('nothing but blank lines is code 5', () => {
    expect(() => splitRawLines('\n \r\n', 10)).toThrow(expect.objectContaining({ hecCode: 5 }));
  });
});
