import { describe, expect, it } from 'vitest';
import { splitText } from '../../../../../src/pipeline/parse/formats/index.ts';
import { PAN_COLUMNS } from '../../../../../src/pipeline/parse/formats/pan.ts';
import { obj } from '../../../../helpers/formats.ts';

describe('PAN-OS CSV', () => {
  // Sumo Logic "Palo Alto Networks" FER template, sample traffic log (PAN-OS default syslog format)
  it('names TRAFFIC columns with the admin guide variable names', () => {
    const line = 'Jul 13 20:39:44 1,2017/07/13 20:39:44,0009C101317,TRAFFIC,end,1,2017/07/13 20:39:44,10.183.12.108,10.183.51.49,0.0.0.0,0.0.0.0,WinDomain_AUTH_TO_DC,,sumo\\mkwan,msrpc,vsys1,ENG_USER,ENG_INFRA,ivlan_712,ivlan_751,Syslog,2017/07/13 20:39:44,1070831,1,65123,135,0,0,0x0,tcp,allow,1194,644,550,12,1,40,any,0,3297977305,0x0,10.0.0.0_10.255.255.255,10.0.0.0_10.255.255.255,0,7,5';
    const r = splitText(line, 'pan:traffic');
    expect(r.format).toBe('pan-csv');
    const o = obj(r.pairs);
    expect(o).toMatchObject({
      receive_time: '2017/07/13 20:39:44', serial: '0009C101317', type: 'TRAFFIC', subtype: 'end', src: '10.183.12.108',
      dst: '10.183.51.49', rule: 'WinDomain_AUTH_TO_DC', srcuser: '', dstuser: 'sumo\\mkwan', app: 'msrpc', sport: '65123',
      dport: '135', proto: 'tcp', action: 'allow', bytes: '1194', seqno: '3297977305', pkts_received: '5',
    });
    expect(Object.keys(o)).not.toContain('');
  });

  // syslog-ng admin guide, "Message format parsed by panos-parser()": SYSTEM and CONFIG samples
  it('names SYSTEM and CONFIG columns', () => {
    const sys = obj(splitText("<12>Apr 14 16:48:54 paloalto.test.net 1,2020/04/14 16:48:54,unknown,SYSTEM,auth,0,2020/04/14 16:48:54,,auth-fail,,0,0,general,medium,failed authentication for user 'admin'. Reason: Invalid username/password. From: 10.0.10.55.,1718,0x0,0,0,0,0,,paloalto").pairs);
    expect(sys).toMatchObject({ syslog_host: 'paloalto.test.net', type: 'SYSTEM', eventid: 'auth-fail', module: 'general', severity: 'medium', seqno: '1718', device_name: 'paloalto' });
    expect(sys.opaque).toMatch(/^failed authentication for user 'admin'/);
    const cfg = obj(splitText('<14>Apr 14 16:54:18 paloalto.test.net 1,2020/04/14 16:54:18,unknown,CONFIG,0,0,2020/04/14 16:54:18,10.0.10.55,,set,admin,Web,Succeeded, deviceconfig system,127,0x0,0,0,0,0,,paloalto').pairs);
    expect(cfg).toMatchObject({ host: '10.0.10.55', cmd: 'set', admin: 'admin', client: 'Web', result: 'Succeeded', path: ' deviceconfig system', seqno: '127' });
  });

  // the THREAT layout of the admin guide; URL/Filename is quoted by PAN-OS and may hold commas
  it('keeps a quoted THREAT url with commas in one column, and "" as a quote', () => {
    const line = '1,2012/04/10 04:39:56,01606001116,THREAT,url,1,2012/04/10 04:39:56,192.168.0.2,204.232.231.46,0.0.0.0,0.0.0.0,rule1,corp\\crusher,,web-browsing,vsys1,trust,untrust,ethernet1/2,ethernet1/1,forwardAll,,29493,1,52151,80,0,0,0x208000,tcp,alert,"www.example.com/a,b?q=""x""",(9999),not-resolved,informational,client-to-server,7130,0x0,192.168.0.0-192.168.255.255,United States,0,text/html';
    const o = obj(splitText(line).pairs);
    expect(o).toMatchObject({ srcuser: 'corp\\crusher', misc: 'www.example.com/a,b?q="x"', threatid: '(9999)', category: 'not-resolved', severity: 'informational', direction: 'client-to-server', seqno: '7130', dstloc: 'United States', contenttype: 'text/html' });
  });

  it('names GLOBALPROTECT and USERID columns; columns past the documented list are column_N', () => {
    const gp = ['1', '2021/03/01 20:35:54', '012345678901', 'GLOBALPROTECT', '0', '2305', '2021/03/01 20:35:54', 'vsys1', 'gateway-auth', 'login', 'LDAP', 'SSL', 'corp\\jdoe', 'US', 'LAPTOP-42', '203.0.113.9', '', '10.8.0.5'];
    expect(obj(splitText(gp.join(',')).pairs)).toMatchObject({ eventid: 'gateway-auth', stage: 'login', auth_method: 'LDAP', srcuser: 'corp\\jdoe', srcregion: 'US', machinename: 'LAPTOP-42', public_ip: '203.0.113.9', private_ip: '10.8.0.5' });
    const uid = ['1', '2021/03/01 20:35:54', '012345678901', 'USERID', 'login', '2305', '2021/03/01 20:35:54', 'vsys1', '10.1.1.7', 'corp\\jdoe', 'dc01', '4624', '1', '2700', '0', '0', 'agent', 'AD'];
    expect(obj(splitText(uid.join(',')).pairs)).toMatchObject({ ip: '10.1.1.7', user: 'corp\\jdoe', datasourcename: 'dc01', eventid: '4624', datasource: 'agent' });
    const long = ['1', '2021/03/01 20:35:54', 'S', 'SYSTEM', 'auth', '0', '2021/03/01 20:35:54', ...new Array(PAN_COLUMNS.SYSTEM.length).fill('x'), 'extra'];
    expect(obj(splitText(long.join(',')).pairs)[`column_${long.length}`]).toBe('extra');
  });

  it('is not fooled by other CSV', () => {
    expect(splitText('a,b,c,d').format).toBe('raw');
  });
});
