import { splitCsvRecord } from './csv.ts';
import type { KvPair } from './types.ts';

/**
 * Palo Alto Networks PAN-OS syslog in its default CSV form: the columns of each log type as the PAN-OS
 * administrator's guide lists them ("Syslog Field Descriptions": Traffic, Threat, GlobalProtect, User-ID,
 * System, Config, HIP Match, Authentication log fields), named with the guide's own variable names
 * (`Source Address (src)`, `Source User (srcuser)` ...; zones are src_zone/dst_zone). FUTURE_USE columns are skipped; columns past the
 * documented list (newer PAN-OS releases append) come back as `column_N` (1-based) so their values are still
 * looked at. Values are RFC 4180 CSV: a quoted column may hold commas.
 * Column order always follows the guide's "Format:" line. For TRAFFIC, THREAT, SYSTEM, CONFIG, USERID and
 * HIP-MATCH the names were checked against the guide's variable names (as syslog-ng's panos-parser also uses
 * them); for GLOBALPROTECT and AUTHENTICATION some names (and HIP-MATCH `mac`) follow the field's title in
 * snake case where its variable name was not at hand.
 */
const HEAD = ['', 'receive_time', 'serial', 'type', 'subtype', '', 'time_generated'];
const DG = ['dg_hier_level_1', 'dg_hier_level_2', 'dg_hier_level_3', 'dg_hier_level_4', 'vsys_name', 'device_name'];
// Source Zone and Destination Zone are `from` and `to` in the guide: named src_zone/dst_zone here, since a
// bare `from`/`to` means a mail sender/recipient everywhere else
const SESSION = ['src', 'dst', 'natsrc', 'natdst', 'rule', 'srcuser', 'dstuser', 'app', 'vsys', 'src_zone', 'dst_zone',
  'inbound_if', 'outbound_if', 'logset', '', 'sessionid', 'repeatcnt', 'sport', 'dport', 'natsport', 'natdport',
  'flags', 'proto', 'action'];

/** Column names per log type (after the 7 common columns). '' = FUTURE_USE. */
export const PAN_COLUMNS: Record<string, readonly string[]> = {
  TRAFFIC: [...SESSION, 'bytes', 'bytes_sent', 'bytes_received', 'packets', 'start', 'elapsed', 'category', '',
    'seqno', 'actionflags', 'srcloc', 'dstloc', '', 'pkts_sent', 'pkts_received', 'session_end_reason', ...DG,
    'action_source', 'src_uuid', 'dst_uuid', 'tunnelid', 'monitortag', 'parent_session_id', 'parent_start_time',
    'tunnel', 'assoc_id', 'chunks', 'chunks_sent', 'chunks_received', 'rule_uuid', 'http2_connection',
    'link_change_count', 'policy_id', 'link_switches', 'sdwan_cluster', 'sdwan_device_type', 'sdwan_cluster_type',
    'sdwan_site', 'dynusergroup_name'],
  THREAT: [...SESSION, 'misc', 'threatid', 'category', 'severity', 'direction', 'seqno', 'actionflags', 'srcloc',
    'dstloc', '', 'contenttype', 'pcap_id', 'filedigest', 'cloud', 'url_idx', 'user_agent', 'filetype', 'xff',
    'referer', 'sender', 'subject', 'recipient', 'reportid', ...DG, '', 'src_uuid', 'dst_uuid', 'http_method',
    'tunnelid', 'monitortag', 'parent_session_id', 'parent_start_time', 'tunnel', 'thr_category', 'contentver', '',
    'assoc_id', 'ppid', 'http_headers', 'url_category_list', 'rule_uuid', 'http2_connection', 'dynusergroup_name'],
  GLOBALPROTECT: ['vsys', 'eventid', 'stage', 'auth_method', 'tunnel_type', 'srcuser', 'srcregion', 'machinename',
    'public_ip', 'public_ipv6', 'private_ip', 'private_ipv6', 'hostid', 'serialnumber', 'client_ver', 'client_os',
    'client_os_ver', 'repeatcnt', 'reason', 'error', 'opaque', 'status', 'location', 'login_duration',
    'connect_method', 'error_code', 'portal', 'seqno', 'actionflags', 'high_res_timestamp', 'selection_type',
    'response_time', 'priority', 'attempted_gateways', 'gateway', ...DG, 'vsys_id', 'cluster_name'],
  USERID: ['vsys', 'ip', 'user', 'datasourcename', 'eventid', 'repeatcnt', 'timeout', 'beginport', 'endport',
    'datasource', 'datasourcetype', 'seqno', 'actionflags', ...DG, 'vsys_id', 'factortype', 'factorcompletiontime',
    'factorno', '', '', 'ugflags', 'userbysource'],
  SYSTEM: ['vsys', 'eventid', 'object', '', '', 'module', 'severity', 'opaque', 'seqno', 'actionflags', ...DG],
  CONFIG: ['host', 'vsys', 'cmd', 'admin', 'client', 'result', 'path', 'seqno', 'actionflags', ...DG],
  'HIP-MATCH': ['srcuser', 'vsys', 'machinename', 'os', 'src', 'matchname', 'repeatcnt', 'matchtype', '', '',
    'seqno', 'actionflags', ...DG, 'vsys_id', 'srcipv6', 'hostid', 'serialnumber', 'mac'],
  AUTHENTICATION: ['vsys', 'ip', 'user', 'normalize_user', 'object', 'authpolicy', 'repeatcnt', 'authid', 'vendor',
    'logset', 'serverprofile', 'desc', 'clienttype', 'event', 'factorno', 'seqno', 'actionflags', ...DG, 'vsys_id',
    'authproto', 'rule_uuid', 'high_res_timestamp', 'src_category', 'src_profile', 'src_model', 'src_vendor',
    'src_osfamily', 'src_osversion', 'src_host', 'src_mac', 'region', '', 'user_agent', 'sessionid', 'cluster_name'],
};

const NAMES: Record<string, readonly string[]> = {};
for (const [t, cols] of Object.entries(PAN_COLUMNS)) NAMES[t] = [...HEAD, ...cols];

// FUTURE_USE, receive time, serial, TYPE, …
const SIGNATURE = /^[^,]{0,16},\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d,[^,]*,([A-Z][A-Z-]+),/;

// the same with any receive-time form (ISO 8601, a custom time format), for a line the sourcetype says is PAN-OS
const DECLARED_SIGNATURE = /^[^,]{0,16},[^,]{8,40},[^,]*,([A-Z][A-Z-]+),/;

/**
 * The PAN-OS log type of a CSV line starting at `at`, or null. `declared`: the sourcetype says the line is
 * PAN-OS (pan:traffic, pan:log …), so the receive time may be in any form; by content alone it must be PAN-OS's
 * default `YYYY/MM/DD hh:mm:ss`.
 */
export function panLogType(text: string, at: number, declared = false): string | null {
  const m = (declared ? DECLARED_SIGNATURE : SIGNATURE).exec(at === 0 ? text : text.slice(at, at + 120));
  return m && Object.prototype.hasOwnProperty.call(PAN_COLUMNS, m[1]) ? m[1] : null;
}

export function parsePanCsv(text: string, at: number, type: string): KvPair[] {
  let end = text.length;
  while (end > at && (text[end - 1] === '\r' || text[end - 1] === '\n')) end--;
  const cols = splitCsvRecord(text, at, end);
  const names = NAMES[type];
  const pairs: KvPair[] = [];
  for (let c = 0; c < cols.length; c++) {
    const name = c < names.length ? names[c] : `column_${c + 1}`;
    if (name === '') continue;
    pairs.push({ key: name, value: cols[c].value, start: cols[c].start, end: cols[c].end });
  }
  return pairs;
}
