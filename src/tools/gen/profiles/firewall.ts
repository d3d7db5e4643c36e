import type { Rng } from '../prng.ts';
import { outsideIp, type World } from '../world.ts';
import { epochSeconds, type HecEnvelope } from '../types.ts';

/** Applications with their usual transport and server port. */
const APPS: ReadonlyArray<readonly [app: string, transport: 'tcp' | 'udp', port: number, weight: number]> = [
  ['ssl', 'tcp', 443, 40], ['web-browsing', 'tcp', 80, 12], ['dns', 'udp', 53, 18], ['ntp', 'udp', 123, 3],
  ['smtp', 'tcp', 25, 3], ['ssh', 'tcp', 22, 3], ['ms-rdp', 'tcp', 3389, 2], ['ldap', 'tcp', 389, 2],
  ['ms-ds-smb', 'tcp', 445, 3], ['quic', 'udp', 443, 8], ['kerberos', 'udp', 88, 2], ['incomplete', 'tcp', 8443, 4],
];
const APP_WEIGHTS = APPS.map((a) => a[3]);
const VENDORS = [
  { sourcetype: 'pan:traffic', vendor_product: 'Palo Alto Networks Firewall', source: 'udp:514' },
  { sourcetype: 'fortigate_traffic', vendor_product: 'Fortinet FortiGate', source: 'udp:514' },
  { sourcetype: 'cisco:asa', vendor_product: 'Cisco ASA', source: 'tcp:1514' },
] as const;
const RULE_BY_APP: Record<string, string> = { 'dns': 'allow-dns', 'smtp': 'allow-mail-relay', 'ssh': 'allow-admin-ssh', 'ms-rdp': 'allow-admin-rdp', 'ntp': 'allow-ntp' };

/** A Network Traffic (CIM All_Traffic) event from a perimeter firewall. */
export function firewallEvent(rng: Rng, world: World, timeMs: number): HecEnvelope {
  const vendor = rng.weighted(VENDORS, [5, 3, 2]);
  const fw = rng.pick(world.firewalls);
  const [app, transport, destPort] = rng.weighted(APPS, APP_WEIGHTS);
  const endpoint = rng.pick(world.endpoints);
  const inbound = rng.chance(0.12);
  const site = rng.pick(world.sites);
  const srcIp = inbound ? outsideIp(rng) : endpoint.ip;
  const destIp = inbound ? endpoint.ip : site.ip;
  const blocked = rng.chance(inbound ? 0.7 : 0.06);
  const action = blocked ? 'blocked' : 'allowed';
  const bytesOut = blocked ? 0 : rng.range(60, transport === 'udp' ? 1500 : 48_000);
  const bytesIn = blocked ? 0 : rng.range(60, transport === 'udp' ? 1500 : 2_400_000);
  const packetsIn = blocked ? 0 : Math.max(1, Math.round(bytesIn / 1200));
  const packetsOut = blocked ? 1 : Math.max(1, Math.round(bytesOut / 900));
  const event: Record<string, unknown> = {
    action,
    app,
    transport,
    protocol: 'ip',
    direction: inbound ? 'inbound' : 'outbound',
    src: inbound ? srcIp : endpoint.name,
    src_ip: srcIp,
    src_port: rng.range(1024, 65535),
    src_zone: inbound ? 'untrust' : 'trust',
    dest: inbound ? endpoint.name : site.domain,
    dest_ip: destIp,
    dest_port: inbound ? rng.pick([22, 80, 443, 3389, 445]) : destPort,
    dest_zone: inbound ? 'trust' : 'untrust',
    bytes: bytesIn + bytesOut,
    bytes_in: bytesIn,
    bytes_out: bytesOut,
    packets_in: packetsIn,
    packets_out: packetsOut,
    duration: blocked ? 0 : transport === 'udp' ? rng.range(0, 5) : rng.range(0, 600),
    rule: blocked ? (inbound ? 'deny-all' : 'block-known-bad') : inbound ? 'allow-published-services' : RULE_BY_APP[app] ?? 'allow-outbound-web',
    session_id: String(rng.range(100_000, 9_999_999)),
    dvc: fw.host,
    dvc_ip: fw.ip,
    vendor_product: vendor.vendor_product,
  };
  if (!inbound) {
    event.user = `${world.adDomain}\\${endpoint.owner.sam}`;
    event.src_translated_ip = '203.0.113.1';
    event.src_translated_port = rng.range(1024, 65535);
  }
  return { time: epochSeconds(timeMs), host: fw.host, source: vendor.source, sourcetype: vendor.sourcetype, event };
}
