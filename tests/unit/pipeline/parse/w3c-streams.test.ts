import { describe, expect, it } from 'vitest';
import { rawEnvelope } from '../../../../src/pipeline/ingest/pipeline.ts';
import { W3cCarry, W3cStreams, w3cStreamKey, type W3cStreamId } from '../../../../src/pipeline/parse/w3c-streams.ts';

// the IIS sample of Microsoft Learn's "W3C Logging" (a shortened #Fields: list)
const FIELDS = '#Fields: date time c-ip cs-username s-ip cs-method cs-uri-stem sc-status time-taken';
const DATA = '2024-05-01 10:00:00 198.51.100.7 CONTOSO\\alice 192.0.2.10 GET /index.htm 200 15';
const env = (text: string) => rawEnvelope(text);

describe('W3cCarry: one request\'s events under the stream\'s #Fields: directive', () => {
  it('a data line under the directive a previous request sent becomes the record its columns describe', () => {
    const carry = new W3cCarry(FIELDS.slice(9).split(' '), 'iis');
    const out = carry.envelope(env(DATA));
    expect({ ...(out.event as object) }).toEqual({
      date: '2024-05-01', time: '10:00:00', 'c-ip': '198.51.100.7', 'cs-username': 'CONTOSO\\alice', 's-ip': '192.0.2.10',
      'cs-method': 'GET', 'cs-uri-stem': '/index.htm', 'sc-status': '200', 'time-taken': '15',
    });
    expect(carry.latest).toBeUndefined(); // the request held no directive of its own
  });

  it('a directive line stays an event of its own, names the columns of the lines after it, and is the request\'s latest', () => {
    const carry = new W3cCarry(null, 'httpevent');
    const d = env(FIELDS);
    expect(carry.envelope(d)).toBe(d);
    expect(carry.latest).toEqual(FIELDS.slice(9).split(' '));
    expect((carry.envelope(env(DATA)).event as Record<string, string>)['cs-username']).toBe('CONTOSO\\alice');
  });

  it('without a directive, a line stays text; with one, a line whose column count differs stays text', () => {
    const none = new W3cCarry(undefined, 'iis');
    const e = env(DATA);
    expect(none.envelope(e)).toBe(e);
    const carry = new W3cCarry(['date', 'time', 'c-ip'], 'iis');
    expect(carry.envelope(e)).toBe(e);
  });

  it('a later directive replaces the earlier one (W3C draft: it names the columns of the lines after it)', () => {
    const carry = new W3cCarry(FIELDS.slice(9).split(' '), 'iis');
    carry.envelope(env('#Software: Microsoft Internet Information Services 10.0'));
    carry.envelope(env('#Fields: date time cs-uri'));
    expect(carry.latest).toEqual(['date', 'time', 'cs-uri']);
    expect({ ...(carry.envelope(env('2024-05-01 10:00:01 /a')).event as object) }).toEqual({ date: '2024-05-01', time: '10:00:01', 'cs-uri': '/a' });
  });

  it('directives merged into one event (a sourcetype that merges lines without a date) are read too', () => {
    const carry = new W3cCarry(null, 'httpevent');
    const merged = env('#Date: 2024-05-01 10:00:00\n#Fields: date time cs-uri');
    expect(carry.envelope(merged)).toBe(merged);
    expect(carry.latest).toEqual(['date', 'time', 'cs-uri']);
    // a merged event of several lines is not one record: it stays text
    const two = env('2024-05-01 10:00:01 /a\nmore text');
    expect(carry.envelope(two)).toBe(two);
  });

  it('an object event (not text) passes untouched', () => {
    const carry = new W3cCarry(['a'], 'iis');
    const e = { ...env('x'), event: { a: 1 } };
    expect(carry.envelope(e)).toBe(e);
  });
});

describe('W3cStreams: the latest directive per stream, bounded', () => {
  const id = (over: Partial<W3cStreamId> = {}): string => w3cStreamKey({ tenant: 't', token: 'tok', channel: null, host: 'web1', source: 'u_ex240501.log', sourcetype: 'iis', ...over });

  it('a stream is tenant, token, channel, host, source and sourcetype: any one different is another stream', () => {
    const m = new W3cStreams(10);
    m.update(id(), ['a', 'b']);
    expect(m.get(id())).toEqual(['a', 'b']);
    for (const over of [{ tenant: 'u' }, { token: 'x' }, { channel: 'c' }, { host: 'web2' }, { source: 'other.log' }, { sourcetype: 'ms:iis:auto' }]) {
      expect(m.get(id(over)), JSON.stringify(over)).toBeNull();
    }
  });

  it('a request without a directive leaves the stream\'s as it was', () => {
    const m = new W3cStreams(10);
    m.update(id(), ['a']);
    m.update(id(), undefined);
    expect(m.get(id())).toEqual(['a']);
  });

  it('holds its limit, forgetting the least recently used stream first', () => {
    const m = new W3cStreams(3);
    for (const s of ['1', '2', '3']) m.update(id({ source: s }), [s]);
    expect(m.get(id({ source: '1' }))).toEqual(['1']); // 1 is now the most recent
    m.update(id({ source: '4' }), ['4']);
    expect(m.size).toBe(3);
    expect(m.get(id({ source: '2' }))).toBeNull();
    expect(m.get(id({ source: '1' }))).toEqual(['1']);
    for (let i = 0; i < 100; i++) m.update(id({ source: `n${i}` }), ['x']);
    expect(m.size).toBe(3);
    expect(() => new W3cStreams(0)).toThrow();
  });
});
