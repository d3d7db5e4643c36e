import { describe, expect, it } from 'vitest';
import { epochSeconds, findTimestamp, parseTzOffset, TimeFormat } from '../../../../src/pipeline/parse/timestamp.ts';

const NOW = Date.UTC(2024, 4, 2, 12, 0, 0); // 2024-05-02T12:00:00Z
const iso = (s: string, o: { from?: number; lookahead?: number; tzMinutes?: number; nowMs?: number } = {}) => {
  const f = findTimestamp(s, { nowMs: NOW, ...o });
  return f === null ? null : new Date(Math.round(f.time * 1000)).toISOString();
};
const span = (s: string) => {
  const f = findTimestamp(s, { nowMs: NOW });
  return f === null ? null : s.slice(f.start, f.end);
};

describe('findTimestamp: the common formats', () => {
  it.each([
    ['ISO 8601 with zone and fraction', '2024-05-01T10:00:00.123+02:00 started', '2024-05-01T08:00:00.123Z'],
    ['ISO 8601, Z', 'ts=2024-05-01T10:00:00Z msg', '2024-05-01T10:00:00.000Z'],
    ['ISO 8601 without zone (UTC)', '2024-05-01 10:00:00 up', '2024-05-01T10:00:00.000Z'],
    ['ISO 8601, offset without colon', '2024-05-01T10:00:00-0530 x', '2024-05-01T15:30:00.000Z'],
    ['log4j (comma fraction)', '2024-05-01 10:00:00,123 ERROR [main] com.acme.App - boom', '2024-05-01T10:00:00.123Z'],
    ['RFC 5424 header', '<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - msg', '2003-10-11T22:14:15.003Z'],
    ['PAN-OS (slashes)', '1,2024/01/02 10:00:00,007,TRAFFIC,end', '2024-01-02T10:00:00.007Z'],
    ['Apache / NCSA', '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326', '2000-10-10T20:55:36.000Z'],
    ['Tomcat', '11-Oct-2000 13:55:36.5 INFO [main] x', '2000-10-11T13:55:36.500Z'],
    ['Cisco ASA', '<166>Apr 15 2017 00:21:14: %ASA-6-302013: Built outbound TCP', '2017-04-15T00:21:14.000Z'],
    ['ctime', 'Wed Oct 11 14:32:52 2000 [error] x', '2000-10-11T14:32:52.000Z'],
    ['RFC 2822 with a zone name', 'Date: Tue, 15 Nov 1994 08:12:31 GMT', '1994-11-15T08:12:31.000Z'],
    ['US named month, PM', 'Jan 21, 2009 10:00:00 PM done', '2009-01-21T22:00:00.000Z'],
    ['US numeric, AM', '10/21/2009 12:05:00 AM done', '2009-10-21T00:05:00.000Z'],
    ['US zone name', '2024-05-01 10:00:00 EST x', '2024-05-01T15:00:00.000Z'],
    ['epoch seconds', 'time=1433188255 x', '2015-06-01T19:50:55.000Z'],
    ['epoch seconds after 2020 (past datetime.xml\'s old 1[0-5] range)', 'time=1732604863 x', '2024-11-26T07:07:43.000Z'],
    ['epoch with fraction', '1433188255.500 x', '2015-06-01T19:50:55.500Z'],
    ['no epoch after a colon (datetime.xml _utcepoch\'s lookbehind)', '{"t":1433188255500}', null],
    ['a date and a time apart (FortiGate, Sophos)', 'device="SFW" date=2022-04-25 time=15:27:08 timezone="CDT"', '2022-04-25T15:27:08.000Z'],
    ['a time before the date', 'time=15:27:08.5 date=2022/04/25 x', '2022-04-25T15:27:08.500Z'],
    ['epoch in parentheses', 'call(1433188255) x', '2015-06-01T19:50:55.000Z'],
    ['epoch ms: the digits past ten are subseconds', 't=1433188255500 x', '2015-06-01T19:50:55.500Z'],
  ])('%s', (_name, text, want) => {
    expect(iso(text)).toBe(want);
  });

  it('RFC 3164 takes this year, or the last when that would be more than 2 days ahead (MAX_DAYS_HENCE)', () => {
    expect(iso('May  3 22:14:15 host su: x')).toBe('2024-05-03T22:14:15.000Z');
    expect(iso('May  5 22:14:15 host su: x')).toBe('2023-05-05T22:14:15.000Z');
    expect(iso('Dec 31 23:59:59 host x', { nowMs: Date.UTC(2025, 0, 1, 0, 0, 5) })).toBe('2024-12-31T23:59:59.000Z');
    expect(iso('Jan  1 00:00:01 host x', { nowMs: Date.UTC(2024, 11, 31, 23, 59, 0) })).toBe('2025-01-01T00:00:01.000Z');
    expect(span('Oct 11 22:14:15 mymachine su: failed')).toBe('Oct 11 22:14:15');
  });

  it('a zone-less time is read in the rule\'s TZ', () => {
    expect(iso('2024-05-01 10:00:00 up', { tzMinutes: 540 })).toBe('2024-05-01T01:00:00.000Z');
    expect(iso('2024-05-01 10:00:00Z up', { tzMinutes: 540 })).toBe('2024-05-01T10:00:00.000Z');
  });

  it('finds nothing in text without a timestamp (stack trace lines, versions, IPs, plain numbers)', () => {
    for (const s of [
      'java.lang.IllegalStateException: bad state',
      '\tat com.acme.App.run(App.java:10)',
      '\t... 12 more',
      'version 1.2.3 at 10:00:00',
      'src=198.51.100.7 dst=203.0.113.9 port=443',
      'count=12345678901234567890',
      'Decoder 12 failed',
      'date=2022-04-25 only a date',
      'only a time 15:27:08',
    ]) expect(iso(s)).toBeNull();
  });

  it('honours the lookahead window and the start (TIME_PREFIX)', () => {
    const s = 'x'.repeat(40) + ' 2024-05-01T10:00:00Z';
    expect(iso(s, { lookahead: 32 })).toBeNull();
    expect(iso(s, { lookahead: 128 })).toBe('2024-05-01T10:00:00.000Z');
    expect(iso(s, { lookahead: 0 })).toBe('2024-05-01T10:00:00.000Z');
    const two = '2020-01-01T00:00:00Z [2024-05-01T10:00:00Z]';
    expect(iso(two)).toBe('2020-01-01T00:00:00.000Z');
    expect(iso(two, { from: two.indexOf('[') + 1 })).toBe('2024-05-01T10:00:00.000Z');
    // the whole timestamp must lie inside the window
    expect(iso('Oct 11 22:14:15 h', { lookahead: 10 })).toBeNull();
  });

  it('rejects impossible fields', () => {
    for (const s of ['2024-13-01 10:00:00', '2024-05-01 24:00:00', '2024-05-01 10:61:00', '32/Oct/2000:13:55:36']) expect(iso(s)).toBeNull();
  });
});

describe('epochSeconds: HEC time in any unit', () => {
  it('keeps seconds (with fractions) and scales ms, µs and ns by magnitude', () => {
    expect(epochSeconds(1433188255.5)).toBe(1433188255.5);
    expect(epochSeconds(1433188255)).toBe(1433188255);
    expect(epochSeconds(0)).toBe(0);
    expect(epochSeconds(1732604863241)).toBe(1732604863.241);
    expect(epochSeconds(1732604863241123)).toBeCloseTo(1732604863.241123, 6);
    expect(epochSeconds(1732604863241123456)).toBeCloseTo(1732604863.241123, 5);
    // 99,999,999,999 s (year 5138) is still seconds; 100,000,000,000 is ms (1973)
    expect(epochSeconds(99_999_999_999)).toBe(99_999_999_999);
    expect(epochSeconds(100_000_000_000)).toBe(100_000_000);
  });
});

describe('parseTzOffset', () => {
  it('reads fixed offsets and zone names; refuses others', () => {
    expect(parseTzOffset('+09:00')).toBe(540);
    expect(parseTzOffset('-0500')).toBe(-300);
    expect(parseTzOffset('UTC')).toBe(0);
    expect(parseTzOffset('+05')).toBe(300);
    expect(parseTzOffset('Europe/Paris')).toBeNull();
    expect(parseTzOffset('+15:00')).toBeNull();
  });
});

describe('TIME_FORMAT (TimeFormat)', () => {
  const at = (fmt: string, s: string, o: { anchored?: boolean; from?: number; tzMinutes?: number } = {}) => {
    const f = findTimestamp(s, { nowMs: NOW, format: new TimeFormat(fmt), lookahead: 128, ...o });
    return f === null ? null : new Date(Math.round(f.time * 1000)).toISOString();
  };
  it.each([
    ['%Y-%m-%d %H:%M:%S,%3N', '2024-05-01 10:00:00,123 x', '2024-05-01T10:00:00.123Z'],
    ['%d/%b/%Y:%H:%M:%S %z', '[10/Oct/2000:13:55:36 -0700]', '2000-10-10T20:55:36.000Z'],
    ['%b %d %H:%M:%S', '<13>May  1 09:00:00 host x', '2024-05-01T09:00:00.000Z'],
    ['%y%m%d %k:%M:%S', '240501  9:05:00 mysqld', '2024-05-01T09:05:00.000Z'],
    ['%m/%d/%Y %I:%M:%S %p', 'at 05/01/2024 12:30:00 AM', '2024-05-01T00:30:00.000Z'],
    ['%s.%3N', 'ts 1433188255.500 x', '2015-06-01T19:50:55.500Z'],
    ['%Y-%m-%dT%H:%M:%S.%6N%:z', '2024-05-01T10:00:00.123456+02:00', '2024-05-01T08:00:00.123Z'],
    ['%a %b %d %T %Z %Y', 'Wed May 01 10:00:00 CEST 2024', '2024-05-01T08:00:00.000Z'],
    ['%Y %j %T', '2024 122 10:00:00', '2024-05-01T10:00:00.000Z'],
    ['%F %T', 'no timestamp here', null],
  ])('%s on %j', (fmt, s, want) => {
    expect(at(fmt, s)).toBe(want);
  });
  it('anchored after TIME_PREFIX: only at that position', () => {
    expect(at('%Y-%m-%d %H:%M:%S', 'x=2024-05-01 10:00:00', { anchored: true, from: 2 })).toBe('2024-05-01T10:00:00.000Z');
    expect(at('%Y-%m-%d %H:%M:%S', 'x= 2024-05-01 10:00:00', { anchored: true, from: 2 })).toBeNull();
  });
  it('zone-less times take the rule\'s TZ', () => {
    expect(at('%F %T', '2024-05-01 10:00:00', { tzMinutes: -300 })).toBe('2024-05-01T15:00:00.000Z');
  });
  it('refuses what it does not support', () => {
    expect(() => new TimeFormat('%Y %Ez')).toThrow(/%E is not supported/);
    expect(() => new TimeFormat('%Y %q')).toThrow(/is not supported/);
  });
});
