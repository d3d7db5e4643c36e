import { describe, expect, it } from 'vitest';
import { getDefaultMatcher } from '../../../../../src/pipeline/classify/index.ts';
import { applyPolicy, compilePolicy } from '../../../../../src/pipeline/filter/index.ts';
import { declaredFormat, splitText } from '../../../../../src/pipeline/parse/formats/index.ts';

// Issue 11 §1: the raw format is detected by content and by sourcetype, in the one parsing stage.
const obj = (pairs: Array<{ key: string; value: string }>) => Object.fromEntries(pairs.map((p) => [p.key, p.value]));

// an IIS line whose last column (time-taken) is '-': off IIS's default shape, so by content alone its date,
// time and server IP read as a syslog header and the rest as one message
const IIS = '2023-01-01 00:00:01 10.0.0.1 GET /default.htm - 80 CORP\\jdoe 192.0.2.5 Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 -';
// an ASA message relayed behind a long prefix: by content, a tag that far in may be quoted by another message
const ASA_FAR = '<166>Jan 18 11:07:53 relay01 forwarded by the collector pipeline of the branch office firewall cluster: %ASA-6-302013: Built inbound TCP connection 2234066 for outside:198.51.100.7/50000 (198.51.100.7/50000)(LOCAL\\alice) to inside:10.96.105.4/443 (198.51.100.9/443)';
// an ASA message whose tag a collector stripped
const ASA_BARE = 'Teardown TCP connection 2234066 for outside:198.51.100.7/50000(LOCAL\\alice) to inside:10.96.105.4/443 duration 0:00:05 bytes 4412 TCP FINs';
// a PAN-OS TRAFFIC line with ISO 8601 receive and generated times
const PAN_ISO = '1,2024-04-14T16:54:18.000+02:00,012501002341,TRAFFIC,end,2561,2024-04-14T16:54:17.000+02:00,198.51.100.7,203.0.113.5,0.0.0.0,0.0.0.0,allow-web,corp\\alice,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd,2024/04/14 16:54:17,7000,1,49000,443,0,0,0x400019,tcp,allow,7312';

describe('format by sourcetype', () => {
  it('maps the add-ons\' sourcetypes to the format they declare, and no other', () => {
    for (const [st, f] of [['pan:traffic', 'pan-csv'], ['pan:log', 'pan-csv'], ['PAN:THREAT', 'pan-csv'], ['cisco:asa', 'cisco-asa'], ['cisco:ftd', 'cisco-asa'],
      ['squid', 'squid'], ['squid:access', 'squid'], ['ms:iis:auto', 'w3c'], ['iis', 'w3c'], ['cef', 'cef'], ['leef', 'leef']] as const) {
      expect(declaredFormat(st), st).toBe(f);
    }
    for (const st of [undefined, '', 'syslog', 'access_combined', 'pancake', 'cisco:ios', 'xmlwineventlog', 'my_cef_stuff']) expect(declaredFormat(st), String(st)).toBeNull();
  });

  it('reads a line whose content alone is ambiguous as the sourcetype says (IIS W3C, not a syslog header)', () => {
    const alone = splitText(IIS);
    expect(alone.format).toBe('syslog');
    expect(obj(alone.pairs)).toMatchObject({ syslog_host: '10.0.0.1' });
    const declared = splitText(IIS, 'ms:iis:auto');
    expect(declared.format).toBe('w3c');
    expect(obj(declared.pairs)).toMatchObject({ 's-ip': '10.0.0.1', 'cs-username': 'CORP\\jdoe', 'c-ip': '192.0.2.5', 'time-taken': '-' });
  });

  it('reads an ASA message deep in a relayed line, or without its tag, when the sourcetype is cisco:asa', () => {
    expect(splitText(ASA_FAR).format).toBe('syslog');
    expect(obj(splitText(ASA_FAR, 'cisco:asa').pairs)).toMatchObject({ message_id: '302013', src_ip: '198.51.100.7', dest_ip: '10.96.105.4', src_user: 'LOCAL\\alice' });
    expect(splitText(ASA_BARE).format).toBe('raw');
    const bare = splitText(ASA_BARE, 'cisco:asa');
    expect(bare.format).toBe('cisco-asa');
    expect(obj(bare.pairs)).toMatchObject({ action: 'Teardown', src_ip: '198.51.100.7', dest_port: '443', bytes: '4412' });
    for (const p of bare.pairs) expect(ASA_BARE.slice(p.start, p.end)).toBe(p.value); // offsets into the text, for cutting
  });

  it('reads a PAN-OS line with another receive-time form as PAN-OS CSV when the sourcetype is pan:*', () => {
    expect(splitText(PAN_ISO).format).not.toBe('pan-csv');
    expect(obj(splitText(PAN_ISO, 'pan:traffic').pairs)).toMatchObject({ type: 'TRAFFIC', src: '198.51.100.7', srcuser: 'corp\\alice', dport: '443' });
  });

  it('leaves content the last word: a declared parser that cannot read the line passes it on', () => {
    const kv = 'srcip=10.1.100.11 dstip=23.59.154.35 user=alice';
    expect(splitText(kv, 'pan:traffic')).toEqual(splitText(kv));
    expect(splitText(kv, 'cisco:asa')).toEqual(splitText(kv));
    expect(splitText('hello world', 'ms:iis:auto').format).toBe('raw');
  });

  it('classifyEvent takes the sourcetype, and the filter cuts the fields the classifier split', () => {
    const m = getDefaultMatcher();
    const SPLUNK = 'splunk-network-firewall-web-gateway-logs';
    expect(m.classifyEvent(ASA_BARE, SPLUNK).map((f) => f.path)).toEqual(['_raw']);
    const fields = m.classifyEvent(ASA_BARE, SPLUNK, 'cisco:asa');
    expect(fields.find((f) => f.path === 'src_ip')).toMatchObject({ item: 'Source IP address', category: 'online-identifier' });
    const r = applyPolicy(compilePolicy(m, { undeclared: 'keep' }), ASA_BARE, fields, { module: SPLUNK, sourcetype: 'cisco:asa' });
    expect(r.event).toBe(ASA_BARE);
    const dropSrc = applyPolicy(compilePolicy(m, { undeclared: 'drop' }), ASA_BARE, fields, { module: SPLUNK, sourcetype: 'cisco:asa' });
    expect(typeof dropSrc.event).toBe('string');
    expect(dropSrc.event).toContain('198.51.100.7'); // the Source IP address is kept (declared), undeclared fields cut
    expect(dropSrc.event).not.toContain('4412');
  });
});
