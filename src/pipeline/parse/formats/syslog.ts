import type { KvPair } from './types.ts';

/**
 * Syslog headers in front of a message, RFC 5424 and RFC 3164 with the variants devices really send:
 *
 *   RFC 5424  <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]   (RFC 5424 §6)
 *   RFC 3164  <PRI>Mmm dd hh:mm:ss HOSTNAME TAG[pid]: MSG                                   (RFC 3164 §4.1)
 *
 * Variants seen from appliances: no <PRI> (a file written by a syslog daemon), a year after the day
 * (`Apr 15 2017 00:21:14`, Cisco ASA `logging timestamp`), an ISO 8601 time in a BSD header, a time zone
 * word and a trailing colon (`Jan 18 11:07:53 UTC:`), a ':' right after <PRI>, no host, and a lone ':' for
 * an empty tag (`192.168.12.1 : %ASA-...`). A host is read only after a time stamp, so a body that starts
 * with `key=value` never loses its first key.
 *
 * Header fields come back as syslog_timestamp, syslog_host, syslog_app, syslog_procid, syslog_msgid;
 * RFC 5424 structured data as `SD-ID.PARAM-NAME` pairs (values unescaped: \" \\ \] per §6.3.3).
 */
export interface SyslogHeader {
  pairs: KvPair[];
  /** Offset where the message body starts. */
  body: number;
  rfc: '5424' | '3164' | 'pri-only';
}

const PRI = /\s*<(\d{1,3})>:?/y;
const R5424 = /(\d{1,2}) (-|\d{4}-\d\d-\d\dT\S+) (\S+)/y;
const TOKEN = / (\S+)/y;
const MONTHS = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
// BSD time (optionally with a year and fractions), or ISO 8601 with 'T' or a space; then an optional zone word and ':'
const TS = new RegExp(
  `(${MONTHS} {1,2}\\d{1,2}(?: \\d{4})? \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?|\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:Z|[+-]\\d\\d:?\\d\\d)?)(?: (?:[A-Z]{3,5}|[+-]\\d\\d:?\\d\\d))?:?(?=[\\s]|$)`,
  'y',
);
// a host name or address: no '=', '|', ',', '%', '<', no ':' unless an IPv6 address; not a bare number
const HOST = /[ \t]+((?:[A-Za-z0-9_][A-Za-z0-9_.\-]*|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+))(?=[ \t])/y;
const TAG = /([ \t]+)([A-Za-z0-9_][A-Za-z0-9_.\/\-]{0,47})(?:\[([^\]\s]{1,32})\])?:(?=[ \t]|$)/y;
const EMPTY_TAG = /[ \t]+:(?=[ \t])/y;
const BARE_NUMBER = /^\d+(?:\.\d+)?$/;

function pair(key: string, value: string, start: number, end: number): KvPair {
  return { key, value, start, end };
}

/** Reads a syslog header at the start of `text`; null when there is none (not even a <PRI>). */
export function parseSyslogHeader(text: string): SyslogHeader | null {
  let at = 0;
  let hasPri = false;
  PRI.lastIndex = 0;
  const pri = PRI.exec(text);
  if (pri) {
    hasPri = true;
    at = PRI.lastIndex;
    R5424.lastIndex = at;
    const m = text[at - 1] === '>' ? R5424.exec(text) : null;
    if (m && m[1] !== '0') {
      const pairs: KvPair[] = [];
      const ts = at + m[1].length + 1;
      const hs = ts + m[2].length + 1;
      if (m[2] !== '-') pairs.push(pair('syslog_timestamp', m[2], ts, ts + m[2].length));
      if (m[3] !== '-') pairs.push(pair('syslog_host', m[3], hs, hs + m[3].length));
      at = R5424.lastIndex;
      // APP-NAME PROCID MSGID; some senders leave them out and start the message right after the host
      const names = ['syslog_app', 'syslog_procid', 'syslog_msgid'];
      let k = 0;
      for (; k < 3; k++) {
        TOKEN.lastIndex = at;
        const t = TOKEN.exec(text);
        if (!t || /[=|"[\]]/.test(t[1]) || /^(?:CEF|LEEF):/.test(t[1])) break;
        if (t[1] !== '-') pairs.push(pair(names[k], t[1], t.index + 1, t.index + 1 + t[1].length));
        at = TOKEN.lastIndex;
      }
      at = skipSpace(text, at);
      const body = k === 3 ? parseStructuredData(text, at, pairs) : at;
      return { pairs, body, rfc: '5424' };
    }
  }
  const tsAt = skipAllSpace(text, at);
  TS.lastIndex = tsAt;
  const ts = TS.exec(text);
  if (!ts) return hasPri ? { pairs: [], body: skipSpace(text, at), rfc: 'pri-only' } : null;
  const pairs: KvPair[] = [pair('syslog_timestamp', ts[1], tsAt, tsAt + ts[1].length)];
  at = TS.lastIndex;
  HOST.lastIndex = at;
  const host = HOST.exec(text);
  if (host && !BARE_NUMBER.test(host[1]) && !/^(?:CEF|LEEF)$/.test(host[1])) {
    pairs.push(pair('syslog_host', host[1], HOST.lastIndex - host[1].length, HOST.lastIndex));
    at = HOST.lastIndex;
  }
  TAG.lastIndex = at;
  const tag = TAG.exec(text);
  if (tag && tag[2] !== 'CEF' && tag[2] !== 'LEEF') {
    const ns = tag.index + tag[1].length;
    pairs.push(pair('syslog_app', tag[2], ns, ns + tag[2].length));
    if (tag[3] !== undefined) pairs.push(pair('syslog_procid', tag[3], ns + tag[2].length + 1, ns + tag[2].length + 1 + tag[3].length));
    at = TAG.lastIndex;
  } else {
    EMPTY_TAG.lastIndex = at;
    if (EMPTY_TAG.exec(text)) at = EMPTY_TAG.lastIndex;
  }
  return { pairs, body: skipSpace(text, at), rfc: '3164' };
}

function skipAllSpace(text: string, at: number): number {
  while (at < text.length && (text[at] === ' ' || text[at] === '\t' || text[at] === '\r' || text[at] === '\n')) at++;
  return at;
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && (text[at] === ' ' || text[at] === '\t')) at++;
  return at;
}

const SD_NAME = /[^\s=\]"]{1,32}/y;

/**
 * RFC 5424 STRUCTURED-DATA: '-' or one or more `[SD-ID PARAM="VALUE" ...]`. Pushes the params and returns
 * where MSG starts. Text that is not well-formed SD (e.g. Check Point's `[key:"value"; ...]`) is left to
 * the message parsers: the offset of its '[' is returned.
 */
export function parseStructuredData(text: string, at: number, pairs: KvPair[]): number {
  if (text[at] === '-') return skipSpace(text, at + 1);
  const found: KvPair[] = [];
  let i = at;
  while (text[i] === '[') {
    SD_NAME.lastIndex = i + 1;
    const id = SD_NAME.exec(text);
    if (!id) return at;
    i = SD_NAME.lastIndex;
    while (text[i] === ' ') {
      const segStart = i + 1;
      SD_NAME.lastIndex = segStart;
      const name = SD_NAME.exec(text);
      if (!name || text[SD_NAME.lastIndex] !== '=' || text[SD_NAME.lastIndex + 1] !== '"') return at;
      let j = SD_NAME.lastIndex + 2;
      let value = '';
      for (;;) {
        const c = text[j];
        if (c === undefined) return at;
        if (c === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\' || text[j + 1] === ']')) {
          value += text[j + 1];
          j += 2;
          continue;
        }
        if (c === '"') break;
        value += c;
        j++;
      }
      i = j + 1;
      found.push(pair(`${id[0]}.${name[0]}`, value, segStart, i));
    }
    if (text[i] !== ']') return at;
    i++;
  }
  if (i === at) return at;
  pairs.push(...found);
  return skipSpace(text, i);
}
