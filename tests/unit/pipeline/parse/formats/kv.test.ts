import { describe, expect, it } from 'vitest';
import { splitText } from '../../../../../src/pipeline/parse/formats/index.ts';
import { obj } from '../../../../helpers/formats.ts';

describe('key=value', () => {
  // Fortinet FortiOS log message reference, traffic log example (shortened)
  it('splits quoted and unquoted values', () => {
    const r = splitText('date=2019-05-10 time=11:37:47 logid="0000000013" type="traffic" subtype="forward" srcip=10.1.100.11 srcport=58012 srcintf="port12" dstip=23.59.154.35 action="close" srcname="Alice\'s laptop" msg="a \\"quoted\\" word"');
    expect(r.format).toBe('kv');
    expect(obj(r.pairs)).toMatchObject({ date: '2019-05-10', logid: '0000000013', srcip: '10.1.100.11', action: 'close', srcname: "Alice's laptop", msg: 'a "quoted" word' });
  });

  // Check Point Log Exporter, syslog format (RFC 5424 with `[key:"value"; ...]`)
  it('splits Check Point key:"value"; fields', () => {
    const r = splitText('<134>1 2020-03-30T07:19:50Z gw-02bd87 CheckPoint 2182 - [action:"Accept"; flags:"411908"; ifdir:"inbound"; origin:"10.1.1.1"; src:"10.10.10.10"; dst:"8.8.8.8"; service:"53"; s_port:"51234"; user:"John Doe (jdoe)"]');
    expect(r.format).toBe('kv');
    expect(obj(r.pairs)).toMatchObject({ syslog_host: 'gw-02bd87', syslog_app: 'CheckPoint', action: 'Accept', src: '10.10.10.10', s_port: '51234', user: 'John Doe (jdoe)' });
  });

  it('values with spaces run to the next key; DN commas and URL queries stay in their value; tabs separate when used', () => {
    const o = obj(splitText('vendor=Websense 9f user=LDAP://u7 OU=Users,OU=Beijing,DC=com url=http://x.example/?a=1&b=2 http_content_type=image/gif;charset=UTF-8').pairs);
    expect(o).toMatchObject({ vendor: 'Websense 9f', user: 'LDAP://u7', OU: 'Users,OU=Beijing,DC=com', url: 'http://x.example/?a=1&b=2', http_content_type: 'image/gif;charset=UTF-8' });
    expect(obj(splitText('2022-01-18 11:07:53\treason=Allowed\tuseragent=Windows 10 Enterprise ZTunnel/1.0\tuser=first.last@example.com').pairs))
      .toMatchObject({ reason: 'Allowed', useragent: 'Windows 10 Enterprise ZTunnel/1.0', user: 'first.last@example.com' });
  });

  it('a lone a=b in prose is not a record', () => {
    expect(splitText('the answer is x=1 for now').format).toBe('raw');
  });
});
