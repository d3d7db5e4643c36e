import type { KvPair } from './types.ts';

/**
 * Cisco ASA and Firepower Threat Defense syslog messages (`%ASA-6-302013: ...`, `%FTD-...`), split by message
 * id into named fields after the "Cisco Secure Firewall ASA Series Syslog Messages" reference: each message's
 * documented text with its variables (interface_name:real_address/real_port (mapped_address/mapped_port)
 * (idfw_user), acl_ID, user, ...). Field names follow Splunk's CIM (src_ip, src_port, dest_ip, dest_port,
 * src_interface, src_translated_ip, user, transport, action, session_id, acl, ...); the addresses keep the
 * order the message writes them (the first is src_*). A message id not listed still yields `message_id`,
 * `severity` and its text as `message`; FTD's `Key: value, Key: value` connection events (430001–430005)
 * are split by their own keys.
 */
const A = '[^\\s/():,]+(?::[0-9A-Fa-f:.]+)*'; // an IPv4/IPv6 address or an FQDN
const IFC = '[^\\s:/]+';
const U = (name: string) => `(?:\\((?<${name}>[^)]*)\\))?`;
const END_SRC = (p: string) => `(?<${p}_interface>${IFC}):(?<${p}_ip>${A})/(?<${p}_port>\\d+)`;

interface Rule { ids: string[]; re: RegExp }
const R = (ids: string[], src: string): Rule => ({ ids, re: new RegExp(`^${src}`, 'd') });

const VPN_PREFIX = '(?:TunnelGroup <(?<tunnel_group>[^>]*)> )?(?:Group|GroupPolicy) <?(?<group>[^>]*?)>? User <?(?<user>[^>]*?)>? IP <?(?<src_ip>[^>\\s]*)>? ';

const RULES: Rule[] = [
  // connections
  R(['302013', '302015', '302017', '302303'],
    `(?<action>Built) (?:(?<direction>inbound|outbound) )?(?<transport>TCP|UDP|SCTP|GRE|[A-Za-z]+) connection (?<session_id>\\d+) for ${END_SRC('src')} \\((?<src_translated_ip>${A})/(?<src_translated_port>\\d+)\\)${U('src_user')} to ${END_SRC('dest')} \\((?<dest_translated_ip>${A})/(?<dest_translated_port>\\d+)\\)${U('dest_user')}(?: \\((?<user>[^)]*)\\))?`),
  R(['302014', '302016', '302018', '302304'],
    `(?<action>Teardown) (?<transport>TCP|UDP|SCTP|GRE|[A-Za-z]+) connection (?<session_id>\\d+) for ${END_SRC('src')}${U('src_user')} to ${END_SRC('dest')}${U('dest_user')}(?: duration (?<duration>\\S+) bytes (?<bytes>\\d+))?(?: (?<reason>[^()]*?))?(?: \\((?<user>[^)]*)\\))?\\s*$`),
  R(['302020', '302021'],
    `(?<action>Built|Teardown) (?:(?<direction>inbound|outbound) )?(?<transport>ICMPv?6?) connection for faddr (?<src_ip>${A})/(?<icmp_seq>\\d+)${U('src_user')} gaddr (?<src_translated_ip>${A})/(?<icmp_type>\\d+) laddr (?<dest_ip>${A})/(?<icmp_code>\\d+)${U('dest_user')}`),
  R(['305011', '305012'],
    `(?<action>Built|Teardown) (?<nat_type>dynamic|static) (?<transport>\\w+) translation from (?<src_interface>[^\\s:(]+)(?:\\([^)]*\\))?:(?<src_ip>${A})/(?<src_port>\\d+)${U('src_user')} to (?<dest_interface>${IFC}):(?<src_translated_ip>${A})/(?<src_translated_port>\\d+)(?: duration (?<duration>\\S+))?`),
  // access lists and denies
  R(['106001'],
    `(?<direction>Inbound|Outbound) (?<transport>\\w+) connection (?<action>denied) from (?<src_ip>${A})/(?<src_port>\\d+) to (?<dest_ip>${A})/(?<dest_port>\\d+) flags (?<tcp_flags>.*?) on interface (?<src_interface>\\S+)`),
  R(['106002'],
    `(?<transport>\\w+) connection (?<action>denied) by (?<direction>inbound|outbound) list (?<acl>\\S+) src (?<src_ip>${A}) dest (?<dest_ip>${A})`),
  R(['106006', '106007', '106008', '106010'],
    `(?<action>Deny) (?<direction>inbound|outbound) (?<transport>\\S+) (?:from|src) (?<src_ip>${A})/(?<src_port>\\d+)${U('src_user')} (?:to|dst) (?<dest_ip>${A})/(?<dest_port>\\d+)${U('dest_user')}(?: (?:flags (?<tcp_flags>.*?) )?on interface (?<src_interface>[^\\s.]+))?`),
  R(['106014'],
    `(?<action>Deny) (?<direction>inbound|outbound) (?<transport>icmp) src (?<src_interface>${IFC}):(?<src_ip>${A})${U('src_user')} dst (?<dest_interface>${IFC}):(?<dest_ip>${A})${U('dest_user')} \\(type (?<icmp_type>\\d+), code (?<icmp_code>\\d+)\\)`),
  R(['106015'],
    `(?<action>Deny) (?<transport>\\w+) \\(no connection\\) from (?<src_ip>${A})/(?<src_port>\\d+) to (?<dest_ip>${A})/(?<dest_port>\\d+) flags (?<tcp_flags>.*?) +on interface (?<src_interface>\\S+)`),
  R(['106021'],
    `(?<action>Deny) (?<transport>\\w+) reverse path check from (?<src_ip>${A}) to (?<dest_ip>${A}) on interface (?<src_interface>\\S+)`),
  R(['106023'],
    `(?<action>Deny) (?<transport>\\S+) src (?<src_interface>${IFC}):(?<src_ip>${A})(?:/(?<src_port>\\d+))?(?:\\((?<src_user>[^)]*)\\))? dst (?<dest_interface>${IFC}):(?<dest_ip>${A})(?:/(?<dest_port>\\d+))?(?:\\((?<dest_user>[^)]*)\\))?(?: \\(type (?<icmp_type>\\d+), code (?<icmp_code>\\d+)\\))? by access-group "?(?<acl>[^"\\s]+)"?`),
  R(['106100'],
    `access-list (?<acl>\\S+) (?<action>permitted|denied|est-allowed) (?<transport>\\S+) (?<src_interface>[^/\\s]+)/(?<src_ip>[^(\\s]+)\\((?<src_port>\\d+)\\)(?:\\((?<src_user>[^)]*)\\))? -> (?<dest_interface>[^/\\s]+)/(?<dest_ip>[^(\\s]+)\\((?<dest_port>\\d+)\\)(?:\\((?<dest_user>[^)]*)\\))? hit-cnt (?<hit_count>\\d+)`),
  R(['710001', '710002', '710003', '710004', '710005', '710006'],
    `(?<transport>TCP|UDP|ICMP|\\w+) (?<action>access denied by ACL|request discarded|access permitted|access requested|request permitted|connection limit exceeded)? ?from (?<src_ip>${A})/(?<src_port>\\d+) to (?<dest_interface>${IFC}):(?<dest_ip>${A})/(?<dest_port>\\S+)`),
  // AAA
  R(['109001', '109005', '109006', '109007', '109008'],
    `(?<action>Auth start|Authentication succeeded|Authentication failed|Authorization permitted|Authorization denied) for user '?(?<user>[^' ]*)'? from (?<src_ip>${A})/(?<src_port>\\d+) to (?<dest_ip>${A})/(?<dest_port>\\d+)(?: on interface (?<src_interface>[^\\s.]+))?`),
  R(['113004'], `AAA user (?<aaa_type>\\w+) (?<action>Successful) ?: server = +(?<server>\\S+) ?: user = (?<user>.+?)\\s*$`),
  R(['113005'], `AAA user (?<aaa_type>\\w+) (?<action>Rejected) ?: reason = (?<reason>.+?) ?: server = (?<server>\\S+) ?: user = (?<user>.+?)(?: ?: user IP = (?<src_ip>\\S+))?\\s*$`),
  R(['113008'], `AAA transaction status (?<status>\\w+) ?: user = (?<user>.+?)\\s*$`),
  R(['113009', '113010'], `AAA (?<message>.*?) (?:for )?user = (?<user>.+?)\\s*$`),
  R(['113012'], `AAA user authentication (?<action>Successful) ?: local database ?: user = (?<user>.+?)\\s*$`),
  R(['113015'], `AAA user authentication (?<action>Rejected) ?: reason = (?<reason>.+?) ?: local database ?: user = (?<user>.+?)(?: ?: user IP = (?<src_ip>\\S+))?\\s*$`),
  R(['113019'], `Group = (?<group>[^,]+), Username = (?<user>[^,]+), IP = (?<src_ip>[^,]+), Session disconnected\\. Session Type: (?<session_type>[^,]+), Duration: (?<duration>[^,]+), Bytes xmt: (?<bytes_out>\\d+), Bytes rcv: (?<bytes_in>\\d+), Reason: (?<reason>.*?)\\s*$`),
  R(['111008'], `User '?(?<user>[^' ]+)'? executed the '(?<command>.*)' command\\.?\\s*$`),
  R(['111009'], `User '?(?<user>[^' ]+)'? executed cmd: ?(?<command>.*?)\\s*$`),
  R(['111010'], `User '(?<user>[^']*)', running '(?<application>[^']*)' from IP (?<src_ip>[^,\\s]+), executed '(?<command>.*)'\\s*$`),
  R(['502103'], `User priv level changed: Uname: (?<user>\\S+) From: (?<from_level>\\d+) To: (?<to_level>\\d+)`),
  R(['605004', '605005'], `Login (?<action>permitted|denied) from (?<src_ip>${A}) ?/(?<src_port>\\S+) to (?<dest_interface>${IFC}):(?<dest_ip>${A})/(?<service>\\S+) for user "(?<user>[^"]*)"`),
  R(['611101', '611102', '611103'], `User (?<action>authentication succeeded|authentication failed|logged out): (?:IP address: (?<src_ip>[^,\\s]+), )?Uname: (?<user>.+?)\\s*$`),
  // AnyConnect / WebVPN / DAP
  R(['722051'], `${VPN_PREFIX}IPv4 Address <(?<assigned_ip>[^>]*)> IPv6 address <(?<assigned_ipv6>[^>]*)> assigned to session`),
  R(['113039', '716001', '716002', '716038', '716039', '716058', '716059', '722022', '722023', '722028', '722032', '722033', '722034', '722037', '722041', '722055'],
    `${VPN_PREFIX}(?<message>.*?)\\s*$`),
  R(['313001'], `Denied (?<transport>ICMP) type=(?<icmp_type>\\d+), code=(?<icmp_code>\\d+) from (?<src_ip>${A}) on interface (?<src_interface>\\S+)`),
  R(['419002'], `(?<reason>Duplicate TCP SYN) from ${END_SRC('src')} to ${END_SRC('dest')}`),
  R(['734001'], `DAP: User (?<user>[^,]+), Addr (?<src_ip>[^,]+), Connection (?<connection_type>[^:]+): (?<message>.*?)\\s*$`),
];

const BY_ID = new Map<string, RegExp>();
for (const r of RULES) for (const id of r.ids) BY_ID.set(id, r.re);
const VPN_ANY = new RegExp(`^${VPN_PREFIX}(?<message>.*?)\\s*$`, 'd');
// IKE/IPsec messages (713xxx and others): `Group = G, Username = U, IP = A, text`
const IKE_ANY = new RegExp('^Group = (?<group>[^,]+), (?:Username = (?<user>[^,]+), )?IP = (?<src_ip>[^,\\s]+), (?<message>.*?)\\s*$', 'd');

const TAG = /%(ASA|FTD|FWSM|PIX)-(?:[a-z]+-)?(\d)-(\d{6}):?\s*/y;

/**
 * A message body without its `%ASA-n-nnnnnn:` tag (a collector that strips it, `no logging message-id` relays):
 * read by the first documented message text it matches, or null. Only for text whose sourcetype says it is ASA
 * (src/pipeline/parse/formats/index.ts): by content alone, a line that does not carry the tag is not one.
 */
export function parseAsaBody(text: string, at: number): KvPair[] | null {
  const msg = at === 0 ? text : text.slice(at);
  for (const re of [...RULES.map((r) => r.re), VPN_ANY, IKE_ANY]) {
    const m = re.exec(msg);
    if (m) {
      const pairs: KvPair[] = [];
      pushGroups(m, at, pairs);
      return pairs;
    }
  }
  return null;
}

/** Offset of `%ASA-n-nnnnnn` (or FTD/FWSM/PIX) in the text, or -1. */
const FIND = /%(?:ASA|FTD|FWSM|PIX)-(?:[a-z]+-)?\d-\d{6}/g;
export function findAsa(text: string, from = 0): number {
  if (text.indexOf('%', from) === -1) return -1;
  FIND.lastIndex = from;
  const m = FIND.exec(text);
  return m ? m.index : -1;
}

/** The named groups of a match, offsets shifted by `base`, in text order (a rule's groups are in text order). */
function pushGroups(m: RegExpExecArray, base: number, pairs: KvPair[]): void {
  const groups = m.groups!;
  const idx = m.indices!.groups!;
  for (const name in groups) {
    const v = groups[name];
    if (v === undefined) continue;
    const r = idx[name]!;
    pairs.push({ key: name, value: v, start: r[0] + base, end: r[1] + base });
  }
}

// FTD connection events: `Key: value, Key: value`
const FTD_KV = /(?:^|, )([A-Z][A-Za-z0-9]*): (.*?)(?=, [A-Z][A-Za-z0-9]*: |\s*$)/dg;

export function parseAsa(text: string, at: number): KvPair[] | null {
  TAG.lastIndex = at;
  const tag = TAG.exec(text);
  if (!tag) return null;
  const id = text.indexOf(tag[3], at); // the only six digits in the tag; the severity digit is 2 before
  const pairs: KvPair[] = [
    { key: 'severity', value: tag[2], start: id - 2, end: id - 1 },
    { key: 'message_id', value: tag[3], start: id, end: id + 6 },
  ];
  const body = TAG.lastIndex;
  const msg = text.slice(body);
  const re = BY_ID.get(tag[3]) ?? (msg.startsWith('Group <') || msg.startsWith('TunnelGroup <') ? VPN_ANY : msg.startsWith('Group = ') ? IKE_ANY : undefined);
  const m = re?.exec(msg);
  if (m) {
    pushGroups(m, body, pairs);
    return pairs;
  }
  if (/^43000[1-5]$/.test(tag[3])) {
    FTD_KV.lastIndex = 0;
    const sub: KvPair[] = [];
    for (let k = FTD_KV.exec(msg); k !== null; k = FTD_KV.exec(msg)) {
      sub.push({ key: k[1], value: k[2], start: body + k.indices![1]![0], end: body + k.indices![2]![1] });
    }
    if (sub.length > 0) return pairs.concat(sub);
  }
  let end = text.length;
  while (end > body && /\s/.test(text[end - 1])) end--;
  if (end > body) pairs.push({ key: 'message', value: text.slice(body, end), start: body, end });
  return pairs;
}
