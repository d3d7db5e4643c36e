import { splitCsvRecord } from './csv.ts';
import type { KvPair } from './types.ts';

/**
 * Palo Alto Networks PAN-OS syslog in its default CSV form: the columns of each log type in the order of the
 * "Format:" line of the PAN-OS administrator's guide ("Syslog Field Descriptions": Traffic, Threat,
 * GlobalProtect, User-ID, System, Config, HIP Match, Authentication log fields), each named with PAN-OS's own
 * variable name for it: the name in brackets after the field's title there (`Source Address (src)`, `Source
 * User (srcuser)`, `Client OS Version (client_os_ver)`, `Normalize User (normalize_user)` …), which is also the
 * `$name` PAN-OS's custom log formats (syslog, e-mail, HTTP payloads) use for the field. The names of every
 * column here were checked against those lists per log type (PAN-OS custom-format variables per log type; the
 * Strata Logging Service schema reference for GlobalProtect); zones, `from`/`to` there, are src_zone/dst_zone.
 * Columns past the documented list (newer releases append) come back as `column_N` (1-based) so their values
 * are still looked at; FUTURE_USE columns are skipped. Values are RFC 4180 CSV: a quoted column may hold commas.
 *
 * Sources of the column order (docs.paloaltonetworks.com, "… Log Fields"): Traffic and Threat 9.1 up to
 * Dynamic User Group Name, and their 10.1+ columns after it (XFF address … sanctioned state of app) checked
 * column by column against PAN-OS 10.2 lines of Google SecOps's PAN parser tests and a public 11.x sample;
 * GlobalProtect 11.0; User-ID (current "Next-Generation Firewall" docs and 9.1: no FUTURE_USE between Factor
 * Number and User Group Flags, as a Sumo Logic sample line also shows); Config (current docs; a line without the change-detail columns, as older releases write it, is told apart by
 * where its `0x…` action flags stand); System 10.0 (two FUTURE_USE, then High
 * Resolution Timestamp); HIP Match 10.1 (… Device MAC Address, High Resolution Timestamp; PAN-OS writes the type
 * as HIPMATCH, the guide's title says HIP Match); Authentication 12.2.
 */
const HEAD = ['', 'receive_time', 'serial', 'type', 'subtype', '', 'time_generated'];
const DG = ['dg_hier_level_1', 'dg_hier_level_2', 'dg_hier_level_3', 'dg_hier_level_4', 'vsys_name', 'device_name'];
// Source Zone and Destination Zone are `from` and `to` in the guide: named src_zone/dst_zone here, since a
// bare `from`/`to` means a mail sender/recipient everywhere else
const SESSION = ['src', 'dst', 'natsrc', 'natdst', 'rule', 'srcuser', 'dstuser', 'app', 'vsys', 'src_zone', 'dst_zone',
  'inbound_if', 'outbound_if', 'logset', '', 'sessionid', 'repeatcnt', 'sport', 'dport', 'natsport', 'natdport',
  'flags', 'proto', 'action'];

// PAN-OS 10.1+: the device-ID columns (source then destination device), container and EDL/DAG columns
const DEVICE_IDS = ['src_category', 'src_profile', 'src_model', 'src_vendor', 'src_osfamily', 'src_osversion', 'src_host',
  'src_mac', 'dst_category', 'dst_profile', 'dst_model', 'dst_vendor', 'dst_osfamily', 'dst_osversion', 'dst_host', 'dst_mac',
  'container_id', 'pod_namespace', 'pod_name', 'src_edl', 'dst_edl', 'hostid', 'serialnumber', 'src_dag', 'dst_dag'];
// PAN-OS 10.2+: the application's characteristics
const APP_TRAITS = ['subcategory_of_app', 'category_of_app', 'technology_of_app', 'risk_of_app', 'characteristic_of_app',
  'container_of_app', 'tunneled_app', 'is_saas_of_app', 'sanctioned_state_of_app'];

/** Column names per log type (after the 7 common columns). '' = FUTURE_USE. */
export const PAN_COLUMNS: Record<string, readonly string[]> = {
  TRAFFIC: [...SESSION, 'bytes', 'bytes_sent', 'bytes_received', 'packets', 'start', 'elapsed', 'category', '',
    'seqno', 'actionflags', 'srcloc', 'dstloc', '', 'pkts_sent', 'pkts_received', 'session_end_reason', ...DG,
    'action_source', 'src_uuid', 'dst_uuid', 'tunnelid', 'monitortag', 'parent_session_id', 'parent_start_time',
    'tunnel', 'assoc_id', 'chunks', 'chunks_sent', 'chunks_received', 'rule_uuid', 'http2_connection',
    'link_change_count', 'policy_id', 'link_switches', 'sdwan_cluster', 'sdwan_device_type', 'sdwan_cluster_type',
    'sdwan_site', 'dynusergroup_name', 'xff_ip', ...DEVICE_IDS, 'session_owner', 'high_res_timestamp', 'nssai_sst',
    'nssai_sd', ...APP_TRAITS],
  THREAT: [...SESSION, 'misc', 'threatid', 'category', 'severity', 'direction', 'seqno', 'actionflags', 'srcloc',
    'dstloc', '', 'contenttype', 'pcap_id', 'filedigest', 'cloud', 'url_idx', 'user_agent', 'filetype', 'xff',
    'referer', 'sender', 'subject', 'recipient', 'reportid', ...DG, '', 'src_uuid', 'dst_uuid', 'http_method',
    'tunnelid', 'monitortag', 'parent_session_id', 'parent_start_time', 'tunnel', 'thr_category', 'contentver', '',
    'assoc_id', 'ppid', 'http_headers', 'url_category_list', 'rule_uuid', 'http2_connection', 'dynusergroup_name',
    'xff_ip', ...DEVICE_IDS.slice(0, -2), 'domain_edl', ...DEVICE_IDS.slice(-2), 'partial_hash', 'high_res_timestamp',
    'reason', 'justification', 'nssai_sst', ...APP_TRAITS],
  GLOBALPROTECT: ['vsys', 'eventid', 'stage', 'auth_method', 'tunnel_type', 'srcuser', 'srcregion', 'machinename',
    'public_ip', 'public_ipv6', 'private_ip', 'private_ipv6', 'hostid', 'serialnumber', 'client_ver', 'client_os',
    'client_os_ver', 'repeatcnt', 'reason', 'error', 'opaque', 'status', 'location', 'login_duration',
    'connect_method', 'error_code', 'portal', 'seqno', 'actionflags', 'high_res_timestamp', 'selection_type',
    'response_time', 'priority', 'attempted_gateways', 'gateway', ...DG, 'vsys_id', 'cluster_name'],
  USERID: ['vsys', 'ip', 'user', 'datasourcename', 'eventid', 'repeatcnt', 'timeout', 'beginport', 'endport',
    'datasource', 'datasourcetype', 'seqno', 'actionflags', ...DG, 'vsys_id', 'factortype', 'factorcompletiontime',
    'factorno', 'ugflags', 'userbysource', 'tag_name', 'high_res_timestamp', 'origindatasource', '', 'cluster_name'],
  SYSTEM: ['vsys', 'eventid', 'object', '', '', 'module', 'severity', 'opaque', 'seqno', 'actionflags', ...DG, '', '',
    'high_res_timestamp'],
  // before-change-detail, after-change-detail, dg_id, comment: the variable names of Before/After Change Detail,
  // Device Group and Audit Comment
  CONFIG: ['host', 'vsys', 'cmd', 'admin', 'client', 'result', 'path', 'before-change-detail', 'after-change-detail', 'seqno',
    'actionflags', ...DG, 'dg_id', 'comment', '', 'high_res_timestamp'],
  'HIP-MATCH': ['srcuser', 'vsys', 'machinename', 'os', 'src', 'matchname', 'repeatcnt', 'matchtype', '', '',
    'seqno', 'actionflags', ...DG, 'vsys_id', 'srcipv6', 'hostid', 'serialnumber', 'mac', 'high_res_timestamp'],
  AUTHENTICATION: ['vsys', 'ip', 'user', 'normalize_user', 'object', 'authpolicy', 'repeatcnt', 'authid', 'vendor',
    'logset', 'serverprofile', 'desc', 'clienttype', 'event', 'factorno', 'seqno', 'actionflags', ...DG, 'vsys_id',
    'authproto', 'rule_uuid', 'high_res_timestamp', 'src_category', 'src_profile', 'src_model', 'src_vendor',
    'src_osfamily', 'src_osversion', 'src_host', 'src_mac', 'region', '', 'user_agent', 'sessionid', 'cluster_name'],
};

// the type as PAN-OS writes it in a log line: HIPMATCH (the guide's titles say HIP Match, its older tables HIP-MATCH)
PAN_COLUMNS.HIPMATCH = PAN_COLUMNS['HIP-MATCH'];

const NAMES: Record<string, readonly string[]> = {};
for (const [t, cols] of Object.entries(PAN_COLUMNS)) NAMES[t] = [...HEAD, ...cols];
// CONFIG lines without the two change-detail columns (older releases; syslog-ng's panos-parser sample): told apart
// by where the action flags (`0x…`) stand
const CONFIG_SHORT = [...HEAD, ...PAN_COLUMNS.CONFIG.filter((n) => !n.endsWith('-change-detail'))];
const ACTION_FLAGS_LONG = NAMES.CONFIG.indexOf('actionflags');
const ACTION_FLAGS_SHORT = CONFIG_SHORT.indexOf('actionflags');
const isFlags = (v: string | undefined) => v !== undefined && v.startsWith('0x');

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
  let names = NAMES[type];
  if (type === 'CONFIG' && !isFlags(cols[ACTION_FLAGS_LONG]?.value) && isFlags(cols[ACTION_FLAGS_SHORT]?.value)) names = CONFIG_SHORT;
  const pairs: KvPair[] = [];
  for (let c = 0; c < cols.length; c++) {
    const name = c < names.length ? names[c] : `column_${c + 1}`;
    if (name === '') continue;
    pairs.push({ key: name, value: cols[c].value, start: cols[c].start, end: cols[c].end });
  }
  return pairs;
}
