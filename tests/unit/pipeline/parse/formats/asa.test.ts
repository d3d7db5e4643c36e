import { describe, expect, it } from 'vitest';
import { splitText } from '../../../../../src/pipeline/parse/formats/index.ts';
import { obj } from '../../../../helpers/formats.ts';

// Message texts as the "Cisco Secure Firewall ASA Series Syslog Messages" reference gives them; addresses are documentation ranges.
const split = (msg: string) => {
  const r = splitText(`<166>Jan 18 11:07:53 asa-01 : ${msg}`, 'cisco:asa');
  expect(r.format).toBe('cisco-asa');
  return obj(r.pairs);
};

describe('Cisco ASA / FTD', () => {
  it('connections: 302013/302015 built, 302014/302016 teardown, with identity-firewall users', () => {
    expect(split('%ASA-6-302013: Built inbound TCP connection 991727 for outside:198.51.100.254/56310 (198.51.100.254/56310)(LOCAL\\jdoe) to dmz:10.159.11.1/443 (203.0.113.1/443)')).toMatchObject({
      severity: '6', message_id: '302013', action: 'Built', direction: 'inbound', transport: 'TCP', session_id: '991727',
      src_interface: 'outside', src_ip: '198.51.100.254', src_port: '56310', src_user: 'LOCAL\\jdoe', dest_interface: 'dmz', dest_ip: '10.159.11.1',
      dest_port: '443', dest_translated_ip: '203.0.113.1',
    });
    expect(split('%ASA-6-302015: Built outbound UDP connection 2234066391 for outside:10.110.192.80/55173 (10.110.192.80/55173) to inside:10.96.105.18/53 (10.96.105.18/53)'))
      .toMatchObject({ transport: 'UDP', src_ip: '10.110.192.80', dest_ip: '10.96.105.18', dest_port: '53' });
    expect(split('%ASA-6-302014: Teardown TCP connection 991727 for outside:198.51.100.254/56310 to dmz:10.159.11.1/443 duration 0:00:30 bytes 1234 TCP FINs'))
      .toMatchObject({ action: 'Teardown', duration: '0:00:30', bytes: '1234', reason: 'TCP FINs', dest_port: '443' });
    expect(split('%ASA-6-302016: Teardown UDP connection 2234066391 for outside:10.110.192.80/55173 to inside:10.96.105.18/53 duration 0:02:01 bytes 512'))
      .toMatchObject({ transport: 'UDP', bytes: '512', src_port: '55173' });
  });

  it('access lists: 106023, 106100, 106015', () => {
    expect(split('%ASA-4-106023: Deny tcp src outside:192.0.2.190/63659 dst dmz-1:198.51.100.142/8827 by access-group "outside_access_in" [0x0, 0x0]'))
      .toMatchObject({ action: 'Deny', transport: 'tcp', src_interface: 'outside', src_ip: '192.0.2.190', src_port: '63659', dest_interface: 'dmz-1', dest_ip: '198.51.100.142', dest_port: '8827', acl: 'outside_access_in' });
    expect(split('%ASA-6-106100: access-list prod-voice_in denied tcp prod-voice/10.1.114.83(48466) -> inside/99.84.254.12(443) hit-cnt 3 300-second interval [0x1d5dc28a, 0x00000000]'))
      .toMatchObject({ acl: 'prod-voice_in', action: 'denied', src_interface: 'prod-voice', src_ip: '10.1.114.83', src_port: '48466', dest_ip: '99.84.254.12', dest_port: '443', hit_count: '3' });
    expect(split('%ASA-6-106015: Deny TCP (no connection) from 10.2.64.151/56308 to 10.159.11.1/443 flags RST on interface pt'))
      .toMatchObject({ action: 'Deny', src_ip: '10.2.64.151', src_port: '56308', dest_ip: '10.159.11.1', tcp_flags: 'RST', src_interface: 'pt' });
  });

  it('AAA and user commands: 109006, 113004, 113005, 111008, 111010, 611101', () => {
    expect(split('%ASA-6-109006: Authentication failed for user jdoe from 10.1.1.5/3456 to 10.2.2.2/22 on interface inside'))
      .toMatchObject({ action: 'Authentication failed', user: 'jdoe', src_ip: '10.1.1.5', dest_port: '22', src_interface: 'inside' });
    expect(split('%ASA-6-113004: AAA user authentication Successful : server = 10.1.1.10 : user = jdoe')).toMatchObject({ server: '10.1.1.10', user: 'jdoe' });
    expect(split('%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = ***** : user IP = 203.0.113.7'))
      .toMatchObject({ reason: 'AAA failure', user: '*****', src_ip: '203.0.113.7' });
    expect(split("%ASA-5-111008: User 'enable_15' executed the 'logging host inside 10.1.1.1' command.")).toMatchObject({ user: 'enable_15', command: 'logging host inside 10.1.1.1' });
    expect(split("%ASA-5-111010: User 'john', running 'CLI' from IP 0.0.0.0, executed 'dir disk0:/dap.xml'")).toMatchObject({ user: 'john', application: 'CLI', src_ip: '0.0.0.0', command: 'dir disk0:/dap.xml' });
    expect(split('%ASA-6-611101: User authentication succeeded: IP address: 10.1.1.1, Uname: admin')).toMatchObject({ src_ip: '10.1.1.1', user: 'admin' });
  });

  it('AnyConnect / VPN: 113039, 722051, 716001, 113019', () => {
    expect(split('%ASA-6-113039: Group <GroupPolicy_VPN> User <jdoe> IP <203.0.113.10> AnyConnect parent session started.'))
      .toMatchObject({ group: 'GroupPolicy_VPN', user: 'jdoe', src_ip: '203.0.113.10', message: 'AnyConnect parent session started.' });
    expect(split('%ASA-4-722051: Group <GroupPolicy_VPN> User <jdoe> IP <203.0.113.10> IPv4 Address <10.10.10.5> IPv6 address <::> assigned to session'))
      .toMatchObject({ user: 'jdoe', src_ip: '203.0.113.10', assigned_ip: '10.10.10.5' });
    expect(split('%ASA-6-716001: Group <DfltGrpPolicy> User <alice> IP <198.51.100.4> WebVPN session started.')).toMatchObject({ user: 'alice', src_ip: '198.51.100.4' });
    expect(split('%ASA-4-113019: Group = RA-VPN, Username = jdoe, IP = 203.0.113.10, Session disconnected. Session Type: SSL, Duration: 1h:02m:03s, Bytes xmt: 12345, Bytes rcv: 6789, Reason: User Requested'))
      .toMatchObject({ group: 'RA-VPN', user: 'jdoe', src_ip: '203.0.113.10', bytes_out: '12345', reason: 'User Requested' });
  });

  it('an id without a rule still gives message_id and its text; FTD Key: value events are split', () => {
    expect(split('%ASA-1-104001: (Primary) Switching to ACTIVE - mate want me Active')).toEqual({ syslog_timestamp: 'Jan 18 11:07:53', syslog_host: 'asa-01', severity: '1', message_id: '104001', message: '(Primary) Switching to ACTIVE - mate want me Active' });
    expect(split('%FTD-1-430003: AccessControlRuleAction: Block, SrcIP: 198.51.100.7, DstIP: 203.0.113.5, SrcPort: 51000, DstPort: 443, User: corp\\jdoe'))
      .toMatchObject({ message_id: '430003', AccessControlRuleAction: 'Block', SrcIP: '198.51.100.7', User: 'corp\\jdoe' });
  });
});

describe('Cisco ASA: more families', () => {
  it('313001 ICMP denied, 419002 duplicate SYN, and IKE `Group = …, Username = …, IP = …` messages', () => {
    expect(split('%ASA-3-313001: Denied ICMP type=8, code=0 from 198.51.100.9 on interface outside')).toMatchObject({ icmp_type: '8', src_ip: '198.51.100.9', src_interface: 'outside' });
    expect(split('%ASA-4-419002: Duplicate TCP SYN from inside:10.1.1.5/51000 to outside:203.0.113.8/443 with different initial sequence number'))
      .toMatchObject({ src_ip: '10.1.1.5', dest_ip: '203.0.113.8', dest_port: '443' });
    expect(split('%ASA-5-713228: Group = RA-VPN, Username = jdoe, IP = 203.0.113.10, Assigned private IP address 10.0.0.5 to remote user'))
      .toMatchObject({ group: 'RA-VPN', user: 'jdoe', src_ip: '203.0.113.10', message: 'Assigned private IP address 10.0.0.5 to remote user' });
  });
});
