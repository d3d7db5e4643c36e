import { describe, expect, it } from 'vitest';
import { splitText } from '../../../../../src/pipeline/parse/formats/index.ts';
import { leefDelimiter } from '../../../../../src/pipeline/parse/formats/leef.ts';
import { obj } from '../../../../helpers/formats.ts';

const ATTRS = { src: '192.0.2.0', dst: '172.50.123.1', sev: '5', srcPort: '81', dstPort: '21' };

describe('LEEF', () => {
  // IBM QRadar LEEF guide, LEEF 1.0 example (tab-separated)
  it('splits LEEF 1.0 with tabs', () => {
    const r = splitText('LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black');
    expect(r.format).toBe('leef');
    expect(obj(r.pairs)).toMatchObject({ deviceVendor: 'Microsoft', deviceProduct: 'MSExchange', deviceVersion: '4.0 SP1', eventId: '15345', ...ATTRS, usrName: 'joe.black' });
  });

  // LEEF guide, 2.0 header: "Delimiter character ... as a single character or its hex value (x09, 0x5E)"
  it('reads the LEEF 2.0 delimiter field: a character, xHH, 0xHH', () => {
    expect(leefDelimiter('^')).toBe('^');
    expect(leefDelimiter('x09')).toBe('\t');
    expect(leefDelimiter('0x5E')).toBe('^');
    expect(leefDelimiter('src=1')).toBeNull();
    for (const [spec, d] of [['^', '^'], ['0x5E', '^'], ['x09', '\t'], ['|', '|']]) {
      const line = `LEEF:2.0|Lancope|StealthWatch|1.0|41|${spec}|src=192.0.2.0${d}dst=172.50.123.1${d}sev=5${d}srcPort=81${d}dstPort=21`;
      expect(obj(splitText(line).pairs), spec).toMatchObject({ deviceVendor: 'Lancope', eventId: '41', ...ATTRS });
    }
  });

  it('LEEF 2.0 without a delimiter field is tab-separated; a space delimiter keeps spaces inside values', () => {
    expect(obj(splitText('LEEF:2.0|V|P|1|E|src=192.0.2.0\tdst=172.50.123.1').pairs)).toMatchObject({ src: '192.0.2.0', dst: '172.50.123.1' });
    // Palo Alto Networks Strata Logging Service, "GlobalProtect LEEF Fields" example (shortened)
    const gp = splitText('LEEF:2.0|Palo Alto Networks|Next Generation Firewall|10.0|portal-prelogin| |Stage=connected usrName=paloaltonetwork\\xxxxx EndpointOSType=Ubuntu EndpointOSVersion=16.04.5 LTS PublicIPv4=203.0.113.9');
    expect(obj(gp.pairs)).toMatchObject({ Stage: 'connected', usrName: 'paloaltonetwork\\xxxxx', EndpointOSVersion: '16.04.5 LTS', PublicIPv4: '203.0.113.9' });
  });

  it('LEEF 1.0 sent with | or spaces between attributes (seen from PAN-OS and others)', () => {
    const pipes = obj(splitText('LEEF:1.0|Palo Alto Networks|PAN-OS Syslog Integration|8.1.8|allow|cat=TRAFFIC|devTime=Sep 03 2020 14:54:59 GMT|src=1.1.1.1|usrName=|SourceUser=corp\\bob').pairs);
    expect(pipes).toMatchObject({ eventId: 'allow', cat: 'TRAFFIC', devTime: 'Sep 03 2020 14:54:59 GMT', src: '1.1.1.1', usrName: '', SourceUser: 'corp\\bob' });
    const spaces = obj(splitText('LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0 dst=172.50.123.1 usrName=joe.black').pairs);
    expect(spaces).toMatchObject({ src: '192.0.2.0', dst: '172.50.123.1', usrName: 'joe.black' });
  });
});
