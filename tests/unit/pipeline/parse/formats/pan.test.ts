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

  // Column names per log type after PAN-OS 10.1+ appended columns. Sample lines: Google SecOps's PAN-OS parser
  // tests (THREAT, GLOBALPROTECT, HIPMATCH, SYSTEM, PAN-OS 10.2), a public PAN-OS 11 TRAFFIC line, Sumo Logic's
  // Palo Alto app docs (USERID); the AUTHENTICATION line is built from the guide's Format line (PAN-OS 12.2).
  describe('column names per log type, the documented variable names', () => {
    const row = (line: string) => obj(splitText(line).pairs);

    it('TRAFFIC: the 10.1+ device-ID columns and the 10.2+ application columns line up with a PAN-OS 11 line', () => {
      // the public line, with a source host and MAC put in their columns (83 and 84, 1-based; the line has no quoted column)
      const cols = String.raw`1,2023/10/04 18:54:26,012501002341,TRAFFIC,end,2561,2023/10/04 18:54:24,10.130.146.205,124.146.215.44,134.7.244.205,124.146.215.44,Research-Out,student\jdoe,,ssl,vsys1,bdr-trust,bdr-untrust,ethernet1/23,ethernet1/24,LOG FP,2023/10/04 18:54:24,72568134,1,49583,443,50464,443,0x40441a,tcp,allow,7312,2228,5084,22,2023/10/04 18:53:52,16,business-and-economy,,7253419119627122716,0x8000000000000000,10.0.0.0-10.255.255.255,Japan,,12,10,tcp-rst-from-client,34,0,0,0,,b309-fu-fw,from-policy,,,0,,0,,N/A,0,0,0,0,90431d13-81da-4129-8bc5-ce968fa06b76,0,0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2023-10-04T18:54:25.443+08:00,,,encrypted-tunnel,networking,browser-based,4,used-by-malware pervasive-use,,ssl,no,no,0`.split(',');
      expect(cols).toHaveLength(115);
      cols[82] = 'LAPTOP-7';
      cols[83] = 'aa:bb:cc:dd:ee:ff';
      const o = row(cols.join(','));
      expect(o).toMatchObject({
        srcuser: String.raw`student\jdoe`, device_name: 'b309-fu-fw', rule_uuid: '90431d13-81da-4129-8bc5-ce968fa06b76', dynusergroup_name: '',
        src_host: 'LAPTOP-7', src_mac: 'aa:bb:cc:dd:ee:ff', high_res_timestamp: '2023-10-04T18:54:25.443+08:00',
        subcategory_of_app: 'encrypted-tunnel', category_of_app: 'networking', risk_of_app: '4', tunneled_app: 'ssl', sanctioned_state_of_app: 'no',
      });
      expect(o.column_115).toBe('0'); // past the documented list
    });

    it('THREAT: the 10.1+ columns, with domain_edl, partial_hash, reason and justification, line up with a PAN-OS 10.2 line', () => {
      const o = row(String.raw`1,2024/08/03 12:16:42,012001002253,THREAT,vulnerability,2561,2024/08/03 12:17:45,5.6.7.8,1.2.3.4,0.0.0.0,0.0.0.0,IN_VPN-AZURE-ALSID,,paloaltonetwork\username,ldap,vsys1,VPN,LAN,tunnel.3,ethernet1/4,default,2024/08/03 12:17:45,110079,1,62074,389,0,0,0x80002000,tcp,alert,,LDAP: User Login Brute Force Attempt(40005),any,high,client-to-server,7395125856205392467,0x8000000000000000,192.168.0.0-192.168.255.255,172.16.0.0-172.31.255.255,,,1210225322167894624,,,0,,,,,,,,0,24,315,0,0,,hostname_example,,,,,0,,0,,N/A,brute-force,AppThreat-8877-8886,0x0,0,4294967295,,,2c146dd4-d96a-455f-96fc-7f3e2c37c70d,0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,0,2024-08-03T12:17:45.360+02:00,,,,auth-service,business-systems,client-server,2,"has-known-vulnerability,tunnel-other-application,pervasive-use",,untunneled,no,no,`);
      expect(o).toMatchObject({
        dstuser: String.raw`paloaltonetwork\username`, threatid: 'LDAP: User Login Brute Force Attempt(40005)', thr_category: 'brute-force',
        contentver: 'AppThreat-8877-8886', rule_uuid: '2c146dd4-d96a-455f-96fc-7f3e2c37c70d', partial_hash: '0',
        high_res_timestamp: '2024-08-03T12:17:45.360+02:00', subcategory_of_app: 'auth-service',
        characteristic_of_app: 'has-known-vulnerability,tunnel-other-application,pervasive-use', tunneled_app: 'untunneled', sanctioned_state_of_app: 'no',
      });
    });

    it('GLOBALPROTECT: every column of a PAN-OS 10.2 line by its variable name', () => {
      const o = row('1,2024/01/12 11:41:42,015451000023232323,GLOBALPROTECT,0,2562,2024/01/12 11:41:42,vsys1,gateway-switch-to-ssl,tunnel,,SSLVPN,test.fr\\JDOE,FR,2023-01724,1.2.3.4,0.0.0.0,10.1.2.3,0.0.0.0,662f0b44-e024-4a70,PF000000,6.0.4,Windows,"Microsoft Windows 10 Enterprise , 64-bit",1,,,,success,,0,,0,CD78_VPN_GP_GATEWAY,5555555555555555555,0x8000000000000000,2024-01-12T11:41:43.895+02:00,,,,,,0,0,0,0,,test-01-01,1');
      expect(o).toEqual({
        receive_time: '2024/01/12 11:41:42', serial: '015451000023232323', type: 'GLOBALPROTECT', subtype: '0', time_generated: '2024/01/12 11:41:42',
        vsys: 'vsys1', eventid: 'gateway-switch-to-ssl', stage: 'tunnel', auth_method: '', tunnel_type: 'SSLVPN', srcuser: 'test.fr\\JDOE', srcregion: 'FR',
        machinename: '2023-01724', public_ip: '1.2.3.4', public_ipv6: '0.0.0.0', private_ip: '10.1.2.3', private_ipv6: '0.0.0.0', hostid: '662f0b44-e024-4a70',
        serialnumber: 'PF000000', client_ver: '6.0.4', client_os: 'Windows', client_os_ver: 'Microsoft Windows 10 Enterprise , 64-bit', repeatcnt: '1',
        reason: '', error: '', opaque: '', status: 'success', location: '', login_duration: '0', connect_method: '', error_code: '0',
        portal: 'CD78_VPN_GP_GATEWAY', seqno: '5555555555555555555', actionflags: '0x8000000000000000', high_res_timestamp: '2024-01-12T11:41:43.895+02:00',
        selection_type: '', response_time: '', priority: '', attempted_gateways: '', gateway: '', dg_hier_level_1: '0', dg_hier_level_2: '0',
        dg_hier_level_3: '0', dg_hier_level_4: '0', vsys_name: '', device_name: 'test-01-01', vsys_id: '1',
      });
    });

    it('HIPMATCH, as PAN-OS writes the type, is read with the HIP Match columns, through the MAC address and the high-resolution time', () => {
      const o = row('1,2024/11/03 18:50:04,111111111111,HIPMATCH,0,1111,2024/11/03 18:50:04,jdoe,vsys1,DESKTOP-01,Windows,1.2.3.4,VPN Compliant,1,profile,,,1111111111111111111,0x8000000000000000,28,99,38,0,,FW-CIV1,1,0.0.0.0,3a7393a4-997f-4e5b-b6e4-4ebff71dacf4,aefee8,4c:32:75:9a:5f:ed,2024-11-03T18:50:04.310+01:00,');
      expect(o).toMatchObject({
        type: 'HIPMATCH', srcuser: 'jdoe', machinename: 'DESKTOP-01', os: 'Windows', src: '1.2.3.4', matchname: 'VPN Compliant', matchtype: 'profile',
        device_name: 'FW-CIV1', vsys_id: '1', srcipv6: '0.0.0.0', hostid: '3a7393a4-997f-4e5b-b6e4-4ebff71dacf4', serialnumber: 'aefee8',
        mac: '4c:32:75:9a:5f:ed', high_res_timestamp: '2024-11-03T18:50:04.310+01:00',
      });
      expect(splitText('1,2024/11/03 18:50:04,111111111111,HIP-MATCH,0,1111,2024/11/03 18:50:04,jdoe,vsys1,DESKTOP-01').format).toBe('pan-csv');
    });

    it('USERID: no FUTURE_USE between the factor number and the user group flags, so the user by source is read', () => {
      const o = row('1,2019/10/09 10:10:15,001234567890002,USERID,logout,2304,2019/10/09 10:10:15,vsys1,17.174.122.37,dduc,,0,1,0,0,0,vpn-client,globalprotect,0123456789,0x0,0,0,0,0,,SumoRedfw01a,1,,2019/10/09 10:10:15,1,0x80,aruan');
      expect(o).toMatchObject({
        ip: '17.174.122.37', user: 'dduc', datasource: 'vpn-client', datasourcetype: 'globalprotect', device_name: 'SumoRedfw01a', vsys_id: '1',
        factortype: '', factorcompletiontime: '2019/10/09 10:10:15', factorno: '1', ugflags: '0x80', userbysource: 'aruan',
      });
      const later = row('1,2024/03/28 05:40:45,000000000000,USERID,login,2561,2024/03/28 05:40:45,vsys1,10.1.1.7,corp\\jdoe,dc01,0,1,2700,0,0,agent,AD,42,0x0,0,0,0,0,,fw1,1,,,0,0x0,jdoe@corp.example,,2024-03-28T05:40:45.120+00:00,ad,,cl1');
      expect(later).toMatchObject({ userbysource: 'jdoe@corp.example', tag_name: '', high_res_timestamp: '2024-03-28T05:40:45.120+00:00', origindatasource: 'ad', cluster_name: 'cl1' });
    });

    it('CONFIG: with the change-detail columns (a Sumo Logic sample line) and without them (syslog-ng\'s, the test above)', () => {
      const o = row('1,2019/10/14 11:37:34,001234567890001,CONFIG,0,0,2019/10/14 11:37:34,195.186.216.125,,clone,dduc,Web,Succeeded, config shared reports,,,0123456789,0x8000000000000000,0,0,0,0,,SumoRedfw01a');
      expect(o).toMatchObject({ host: '195.186.216.125', cmd: 'clone', admin: 'dduc', client: 'Web', result: 'Succeeded', path: ' config shared reports',
        'before-change-detail': '', 'after-change-detail': '', seqno: '0123456789', actionflags: '0x8000000000000000', device_name: 'SumoRedfw01a' });
      const full = row('1,2024/05/01 10:00:00,012345678901,CONFIG,0,2561,2024/05/01 10:00:00,10.0.0.5,vsys1,edit,alice.admin,Web,Submitted, vsys vsys1 rulebase,"old rule","new rule",42,0x0,0,0,0,0,,fw1,dg-east,ticket CHG-1,,2024-05-01T10:00:00.120+00:00');
      expect(full).toMatchObject({ admin: 'alice.admin', 'before-change-detail': 'old rule', 'after-change-detail': 'new rule', seqno: '42', dg_id: 'dg-east',
        comment: 'ticket CHG-1', high_res_timestamp: '2024-05-01T10:00:00.120+00:00' });
      expect(Object.keys(full).filter((k) => k.startsWith('column_'))).toEqual([]);
    });

    it('SYSTEM: two FUTURE_USE columns, then the high-resolution time', () => {
      const o = row('1,2024/10/25 16:04:52,024101011111,SYSTEM,userid,2522,2024/10/25 16:04:52,,connect-server-monitor-failure,,0,0,general,high,"User-ID server monitor test05(vsystest) Access denied",7389706522298800000,0x0,0,0,0,0,,FFFFF01,0,0,2024-10-25T16:04:52.574+02:00');
      expect(o).toMatchObject({ eventid: 'connect-server-monitor-failure', module: 'general', severity: 'high', device_name: 'FFFFF01', high_res_timestamp: '2024-10-25T16:04:52.574+02:00' });
      expect(Object.keys(o).filter((k) => k.startsWith('column_'))).toEqual([]);
    });

    it('AUTHENTICATION: every column of the 12.2 Format line by its variable name', () => {
      const cols = ['vsys1', '198.51.100.20', 'corp\\jdoe', 'jdoe', 'gp-portal', 'auth-policy-1', '1', '7', 'Okta', 'default', 'saml-okta', 'authenticated',
        'browser', '0', '1', '4242', '0x0', '0', '0', '0', '0', '', 'fw1', '1', 'SAML', 'a1b2c3d4-0000-4000-8000-000000000001', '2024-05-01T10:00:00.000+00:00',
        'laptop', 'corp-laptop', 'XPS', 'Dell', 'Windows', '11', 'LAPTOP-42', '00:11:22:33:44:55', 'US', '', 'Mozilla/5.0', '99887766', 'cluster-a'];
      const o = row(['1', '2024/05/01 10:00:00', '012345678901', 'AUTHENTICATION', 'auth-success', '2561', '2024/05/01 10:00:00', ...cols].join(','));
      const names = ['vsys', 'ip', 'user', 'normalize_user', 'object', 'authpolicy', 'repeatcnt', 'authid', 'vendor', 'logset', 'serverprofile', 'desc',
        'clienttype', 'event', 'factorno', 'seqno', 'actionflags', 'dg_hier_level_1', 'dg_hier_level_2', 'dg_hier_level_3', 'dg_hier_level_4', 'vsys_name',
        'device_name', 'vsys_id', 'authproto', 'rule_uuid', 'high_res_timestamp', 'src_category', 'src_profile', 'src_model', 'src_vendor', 'src_osfamily',
        'src_osversion', 'src_host', 'src_mac', 'region', '', 'user_agent', 'sessionid', 'cluster_name'];
      names.forEach((n, i) => { if (n !== '') expect(o[n], n).toBe(cols[i]); });
      expect(Object.keys(o).filter((k) => k.startsWith('column_'))).toEqual([]);
    });
  });

  it('is not fooled by other CSV', () => {
    expect(splitText('a,b,c,d').format).toBe('raw');
  });
});
