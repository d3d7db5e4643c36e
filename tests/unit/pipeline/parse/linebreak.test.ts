import { describe, expect, it } from 'vitest';
import { breakEvents, checkSourcetypeRules, compileRule, RawRules, splitLines, syslogHost } from '../../../../src/pipeline/parse/linebreak.ts';
import { rawEvents } from '../../../../src/pipeline/parse/raw.ts';

const NOW = Date.UTC(2024, 4, 2, 12, 0, 0); // 2024-05-02T12:00:00Z
const rules = new RawRules();
const brk = (text: string, sourcetype: string, table?: RawRules) => breakEvents(text, (table ?? rules).get(sourcetype), 10_000, NOW);
const texts = (text: string, sourcetype: string, table?: RawRules) => brk(text, sourcetype, table).map((e) => e.text);
const sec = (iso: string) => Date.parse(iso) / 1000;

const LOG4J = [
  '2024-05-01 10:00:00,123 ERROR [main] com.acme.App - request failed',
  'java.lang.IllegalStateException: connection reset',
  '\tat com.acme.Db.query(Db.java:42)',
  '\tat com.acme.App.main(App.java:7)',
  '2024-05-01 10:00:01,000 INFO [main] com.acme.App - retried',
].join('\n');

describe('line merging (SHOULD_LINEMERGE = true)', () => {
  it('a log4j stack trace of 5 lines is 2 events, as Splunk makes it, with [log4j] and with [default]', () => {
    for (const st of ['log4j', 'httpevent', 'my:app']) {
      const ev = brk(LOG4J, st);
      expect(ev.map((e) => e.text.split('\n').length)).toEqual([4, 1]);
      expect(ev[0].text).toBe(LOG4J.split('\n').slice(0, 4).join('\n'));
      expect(ev.map((e) => e.time)).toEqual([sec('2024-05-01T10:00:00.123Z'), sec('2024-05-01T10:00:01.000Z')]);
    }
  });

  it('[default] merges lines without a date into the event before (BREAK_ONLY_BEFORE_DATE)', () => {
    expect(texts('a\nb\n\nc', 'httpevent')).toEqual(['a\nb\nc']);
    expect(texts('2024-05-01T10:00:00Z one\ncontinued\n2024-05-01T10:00:05Z two', 'httpevent')).toEqual(['2024-05-01T10:00:00Z one\ncontinued', '2024-05-01T10:00:05Z two']);
  });

  it('MAX_EVENTS bounds a merged event\'s lines', () => {
    const body = Array.from({ length: 600 }, (_, i) => `line ${i}`).join('\n');
    expect(brk(body, 'httpevent').map((e) => e.text.split('\n').length)).toEqual([256, 256, 88]);
    const small = new RawRules({ 'x:y': { maxEvents: 2 } });
    expect(texts('a\nb\nc', 'x:y', small)).toEqual(['a\nb', 'c']);
  });

  it('BREAK_ONLY_BEFORE decides alone when set (apache_error breaks at "[")', () => {
    const body = '[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] boom\n  detail line 2024-05-01T10:00:00Z\n[Wed Oct 11 14:32:53 2000] [notice] ok';
    expect(brk(body, 'apache_error').map((e) => e.text.split('\n').length)).toEqual([2, 1]);
  });

  it('MUST_BREAK_AFTER, MUST_NOT_BREAK_BEFORE, MUST_NOT_BREAK_AFTER', () => {
    const t = new RawRules({
      a: { breakOnlyBeforeDate: false, breakOnlyBefore: '^BEGIN', mustBreakAfter: 'END$' },
      b: { breakOnlyBeforeDate: false, mustNotBreakBefore: '^\\s' },
      c: { breakOnlyBeforeDate: false, mustNotBreakAfter: '\\{$', mustBreakAfter: '^\\}' },
    });
    expect(texts('BEGIN 1\nx END\ny\nBEGIN 2\nz', 'a', t)).toEqual(['BEGIN 1\nx END', 'y', 'BEGIN 2\nz']);
    expect(texts('a\n  b\nc\n  d', 'b', t)).toEqual(['a\n  b', 'c\n  d']);
    expect(texts('x {\n1\n2\n}\ny', 'c', t)).toEqual(['x {\n1\n2\n}', 'y']);
  });

  it('with neither rule enabled, every line is an event', () => {
    const t = new RawRules({ a: { breakOnlyBeforeDate: false } });
    expect(texts('a\nb\nc', 'a', t)).toEqual(['a', 'b', 'c']);
  });
});

describe('single-line sourcetypes (SHOULD_LINEMERGE = false)', () => {
  it.each(['syslog', 'access_combined', 'cisco:asa', 'pan:traffic', 'squid:access', 'fgt_traffic', 'cef'])('%s: one event per line', (st) => {
    expect(texts('a\nb\r\n\r\nc', st)).toEqual(['a', 'b', 'c']);
  });

  it('syslog: time from the header, year inferred; host from the header ([syslog-host]), also after a PRI', () => {
    const ev = brk('Oct 11 22:14:15 mymachine su: \'su root\' failed\n<13>May  1 09:00:00 fw-01.example.com kernel: x\nno header here', 'syslog');
    expect(ev.map((e) => e.host)).toEqual(['mymachine', 'fw-01.example.com', undefined]);
    expect(ev[0].time).toBe(sec('2023-10-11T22:14:15Z'));
    expect(ev[1].time).toBe(sec('2024-05-01T09:00:00Z'));
    // no timestamp: the previous event's, as Splunk does
    expect(ev[2].time).toBe(ev[1].time);
  });

  it('syslog-host skips a numeric or facility.level token after the time, as transforms.conf does', () => {
    expect(syslogHost('Oct 11 22:14:15 local0.info myhost app: x')).toBe('myhost');
    expect(syslogHost('Oct 11 22:14:15 42 [edge-7] app: x')).toBe('edge-7');
    expect(syslogHost('2024-05-01T10:00:00.123Z myhost app')).toBeUndefined();
  });

  it('access_combined: the time after "[" (TIME_PREFIX), in its zone; the host is not taken from the line', () => {
    const line = `127.0.0.1 - frank [01/May/2024:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08"`;
    const [e] = brk(line, 'access_combined');
    expect(e).toEqual({ text: line, time: sec('2024-05-01T20:55:36Z'), host: undefined });
  });
});

describe('timestamps of raw events', () => {
  it('outside MAX_DAYS_AGO / MAX_DAYS_HENCE a timestamp is not taken (the receive time then applies)', () => {
    const ev = brk('2010-01-01T00:00:00Z old\n2024-06-01T00:00:00Z far ahead', 'syslog');
    expect(ev.map((e) => e.time)).toEqual([undefined, undefined]);
    const wide = new RawRules({ syslog: { maxDaysAgo: 10951, maxDaysHence: 60 } });
    expect(brk('2010-01-01T00:00:00Z old\n2024-06-01T00:00:00Z ahead', 'syslog', wide).map((e) => e.time)).toEqual([sec('2010-01-01T00:00:00Z'), sec('2024-06-01T00:00:00Z')]);
  });

  it('TIME_PREFIX that does not match: no timestamp; DATETIME_CONFIG current and none', () => {
    const t = new RawRules({ p: { shouldLinemerge: false, timePrefix: 'at=' }, cur: { shouldLinemerge: false, datetimeConfig: 'current' }, none: { shouldLinemerge: false, datetimeConfig: 'none' } });
    expect(brk('2024-05-01T10:00:00Z at=2024-05-01T11:00:00Z', 'p', t)[0].time).toBe(sec('2024-05-01T11:00:00Z'));
    expect(brk('2024-05-01T10:00:00Z no prefix', 'p', t)[0].time).toBeUndefined();
    expect(brk('2024-05-01T10:00:00Z x', 'cur', t)[0].time).toBe(NOW / 1000);
    expect(brk('2024-05-01T10:00:00Z x', 'none', t)[0].time).toBeUndefined();
  });

  it('TIME_FORMAT reads only its format (after TIME_PREFIX when set), also to decide line merging', () => {
    const t = new RawRules({
      dmy: { timeFormat: '%d.%m.%Y %H:%M:%S' },
      kv: { shouldLinemerge: false, timePrefix: 'when=', timeFormat: '%s' },
    });
    const ev = brk('01.05.2024 10:00:00 start\ndetail 2024-05-01T11:00:00Z\n01.05.2024 10:00:05 end', 'dmy', t);
    expect(ev.map((e) => [e.text.split('\n').length, e.time])).toEqual([[2, sec('2024-05-01T10:00:00Z')], [1, sec('2024-05-01T10:00:05Z')]]);
    expect(brk('id=1714557600 when=1714557605', 'kv', t)[0].time).toBe(1714557605);
    expect(checkSourcetypeRules({ x: { timeFormat: '%Y %Ez' } })).toEqual([expect.stringMatching(/^\/sourcetypes\/x: TIME_FORMAT '%Y %Ez': %E is not supported/)]);
  });

  it('TZ applies to zone-less timestamps', () => {
    const t = new RawRules({ tokyo: { shouldLinemerge: false, tz: '+09:00' } });
    expect(brk('2024-05-01 10:00:00 x', 'tokyo', t)[0].time).toBe(sec('2024-05-01T01:00:00Z'));
  });
});

describe('LINE_BREAKER and TRUNCATE', () => {
  it('a custom LINE_BREAKER: the first group is dropped, the rest stays', () => {
    const t = new RawRules({ rec: { shouldLinemerge: false, lineBreaker: '([\\r\\n]+)(?=REC )' } });
    expect(texts('REC 1\nmore of 1\nREC 2\nmore of 2', 'rec', t)).toEqual(['REC 1\nmore of 1', 'REC 2\nmore of 2']);
    const semi = new RawRules({ s: { shouldLinemerge: false, lineBreaker: '(;)' } });
    expect(texts('a;b;;c', 's', semi)).toEqual(['a', 'b', 'c']);
  });

  it('TRUNCATE cuts a line in bytes, never inside a character; 0 keeps it whole', () => {
    const r = compileRule({ shouldLinemerge: false });
    expect(splitLines('x'.repeat(12_000), r, 10_000)[0]).toHaveLength(10_000);
    expect(splitLines('ab東京', r, 4)).toEqual(['ab']);
    expect(splitLines('ab東京', r, 5)).toEqual(['ab東']);
    expect(splitLines('a🙂b', r, 4)).toEqual(['a']);
    expect(splitLines('a🙂b', r, 5)).toEqual(['a🙂']);
    expect(splitLines('x'.repeat(50), compileRule({ truncate: 0 }), 10)[0]).toHaveLength(50);
  });

  it('rawEvents: a body of blank lines is no data (code 5)', () => {
    expect(() => rawEvents('\n \r\n', rules.get('syslog'), 100, NOW)).toThrow(expect.objectContaining({ hecCode: 5 }));
  });
});

describe('the rule table', () => {
  it('config rules override built-in stanzas setting by setting, and "default" changes [default]', () => {
    const t = new RawRules({ syslog: { hostFromSyslogHeader: false }, default: { shouldLinemerge: false } });
    expect(t.get('syslog')).toMatchObject({ shouldLinemerge: false, lookahead: 32, hostFromSyslogHeader: false });
    expect(t.get('unknown:st').shouldLinemerge).toBe(false);
    expect(t.get('log4j').breakOnlyBefore?.source).toBe('\\d\\d?:\\d\\d:\\d\\d');
  });

  it('bad regexes and zones are named by path', () => {
    expect(checkSourcetypeRules({ ok: { breakOnlyBefore: '^x' }, bad: { breakOnlyBefore: '(' }, lb: { lineBreaker: '\\n' }, tz: { tz: 'Mars/Base' } })).toEqual([
      expect.stringMatching(/^\/sourcetypes\/bad: Invalid regular expression/),
      '/sourcetypes/lb: lineBreaker must have a capturing group',
      expect.stringMatching(/^\/sourcetypes\/tz: tz 'Mars\/Base'/),
    ]);
  });
});
