import { describe, expect, it } from 'vitest';
import { splitText } from '../../../../../src/pipeline/parse/formats/index.ts';
import { parseSyslogHeader } from '../../../../../src/pipeline/parse/formats/syslog.ts';
import { obj } from '../../../../helpers/formats.ts';

describe('syslog headers', () => {
  // RFC 5424 §6.5, example 1 (no structured data)
  it('reads an RFC 5424 header and keeps the message', () => {
    const line = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8";
    const r = splitText(line);
    expect(r.format).toBe('syslog');
    expect(obj(r.pairs)).toEqual({
      syslog_timestamp: '2003-10-11T22:14:15.003Z', syslog_host: 'mymachine.example.com', syslog_app: 'su', syslog_msgid: 'ID47',
      message: "'su root' failed for lonvick on /dev/pts/8",
    });
  });

  // RFC 5424 §6.5, example 3 (structured data)
  it('splits RFC 5424 structured data into SD-ID.PARAM fields', () => {
    const line = '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry...';
    const o = obj(splitText(line).pairs);
    expect(o['exampleSDID@32473.iut']).toBe('3');
    expect(o['exampleSDID@32473.eventSource']).toBe('Application');
    expect(o['exampleSDID@32473.eventID']).toBe('1011');
    expect(o.message).toBe('An application event log entry...');
  });

  // RFC 5424 §6.3.3: '"', '\' and ']' inside PARAM-VALUE are escaped with '\'
  it('unescapes \\" \\\\ and \\] in SD values', () => {
    const line = String.raw`<165>1 2003-10-11T22:14:15.003Z host app - - [ex@32473 note="a \"quoted\" \] and \\ here" n="2"] msg`;
    const o = obj(splitText(line).pairs);
    expect(o['ex@32473.note']).toBe('a "quoted" ] and \\ here');
    expect(o['ex@32473.n']).toBe('2');
  });

  // RFC 3164 §5.4, example 1
  it('reads an RFC 3164 header with a tag', () => {
    const h = parseSyslogHeader("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")!;
    expect(h.rfc).toBe('3164');
    expect(obj(h.pairs)).toEqual({ syslog_timestamp: 'Oct 11 22:14:15', syslog_host: 'mymachine', syslog_app: 'su' });
  });

  it('takes a pid in the tag, a year, a zone word, a colon after <PRI>, and no host', () => {
    expect(obj(parseSyslogHeader('<38>Jan  5 10:00:00 web01 sshd[4242]: Accepted password for alice')!.pairs))
      .toMatchObject({ syslog_host: 'web01', syslog_app: 'sshd', syslog_procid: '4242' });
    expect(obj(parseSyslogHeader('Apr 15 2017 00:21:14 192.168.12.1 : %ASA-5-111010: x')!.pairs))
      .toEqual({ syslog_timestamp: 'Apr 15 2017 00:21:14', syslog_host: '192.168.12.1' });
    const h = parseSyslogHeader('<134>:Jan 18 11:07:53 UTC: %ASA-6-302015: x')!;
    expect(obj(h.pairs)).toEqual({ syslog_timestamp: 'Jan 18 11:07:53' });
  });

  it('never loses the first key after <PRI>', () => {
    const o = obj(splitText('<134>device="SFW" date=2022-04-25 user_name="alice"').pairs);
    expect(o.device).toBe('SFW');
    expect(o.user_name).toBe('alice');
  });

  it('splits JSON after a header, with paths like JSON events', () => {
    const line = '<14>1 2024-01-01T00:00:00Z host app - - - {"user":{"name":"alice","ip":"198.51.100.2"},"tags":["a","b"],"n":3,"x":null}';
    const r = splitText(line);
    expect(r.format).toBe('json');
    expect(obj(r.pairs)).toMatchObject({ 'user.name': 'alice', 'user.ip': '198.51.100.2', 'tags[0]': 'a', 'tags[1]': 'b', n: '3', x: '' });
  });

  it('leaves text that has neither a header nor a format unsplit', () => {
    expect(splitText('hello world, nothing to see here')).toEqual({ format: 'raw', pairs: [] });
  });
});
