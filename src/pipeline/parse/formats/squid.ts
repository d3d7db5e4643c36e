import type { KvPair } from './types.ts';

/**
 * Squid's native access.log line (squid-cache.org "Squid Log Files", logformat `squid`:
 * `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`):
 *
 *   time elapsed remotehost code/status bytes method URL rfc931 peerstatus/peerhost type
 *
 * and the Cisco Secure Web Appliance (WSA) access log, which is that line followed by the ACL decision
 * tag, a `<...>` block of scanning verdicts and optional quoted extras. Fields are named with the W3C
 * extended log format's identifiers for the same things (as Squid's own `logformat` documentation pairs
 * them, and as Blue Coat/WSA W3C logs name them): time, time-taken, c-ip, s-action (Squid result code),
 * sc-status, sc-bytes, cs-method, cs-uri, cs-username, s-hierarchy, s-hierarchy-host, rs(Content-Type);
 * WSA extras: x-acl-decision-tag, x-wsa-verdicts (the `<...>` block, one field), cs(User-Agent) when a
 * quoted value looks like a user agent, and x-extra-N for the rest.
 */
const LINE = /(?<time>\d{9,11}\.\d{1,3})\s+(?<elapsed>-?\d+)\s+(?<remotehost>\S+)\s+(?<code>[A-Z_]+|NONE)\/(?<status>\d{3})\s+(?<bytes>\d+)\s+(?<method>[A-Z_]+|-|NONE)\s+(?<url>\S+)\s+(?<rfc931>\S+)\s+(?<hier>[A-Z_]+|NONE)\/(?<peer>\S+)\s+(?<type>\S+)/dy;
const NAMES: Record<string, string> = {
  time: 'time', elapsed: 'time-taken', remotehost: 'c-ip', code: 's-action', status: 'sc-status', bytes: 'sc-bytes',
  method: 'cs-method', url: 'cs-uri', rfc931: 'cs-username', hier: 's-hierarchy', peer: 's-hierarchy-host', type: 'rs(Content-Type)',
};

export function isSquid(text: string, at: number): boolean {
  LINE.lastIndex = at;
  return LINE.test(text);
}

export function parseSquid(text: string, at: number): KvPair[] | null {
  LINE.lastIndex = at;
  const m = LINE.exec(text);
  if (!m) return null;
  const pairs: KvPair[] = [];
  const idx = m.indices!.groups!;
  for (const g of Object.keys(NAMES)) {
    const [s, e] = idx[g]!;
    pairs.push({ key: NAMES[g], value: m.groups![g], start: s, end: e });
  }
  let i = LINE.lastIndex;
  const n = text.length;
  const skip = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  skip();
  // WSA: ACL decision tag, then the <...> verdict block
  const tag = /[A-Z][A-Z0-9_]*(?:-[^\s<]*)?/y;
  tag.lastIndex = i;
  const t = tag.exec(text);
  if (t) {
    pairs.push({ key: 'x-acl-decision-tag', value: t[0], start: i, end: tag.lastIndex });
    i = tag.lastIndex;
    skip();
  }
  if (text[i] === '<') {
    let depth = 0;
    let inQ = false;
    let p = i;
    for (; p < n; p++) {
      const c = text[p];
      if (c === '"') inQ = !inQ;
      else if (!inQ && c === '<') depth++;
      else if (!inQ && c === '>') {
        depth--;
        if (depth === 0) break;
      }
    }
    const e = Math.min(p + 1, n);
    pairs.push({ key: 'x-wsa-verdicts', value: text.slice(i + 1, e - 1), start: i, end: e });
    i = e;
    skip();
  }
  let extra = 0;
  while (i < n) {
    let s = i;
    let e: number;
    let v: string;
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      e = close === -1 ? n : close + 1;
      v = text.slice(i + 1, close === -1 ? n : close);
    } else {
      e = i;
      while (e < n && text[e] !== ' ' && text[e] !== '\t') e++;
      v = text.slice(i, e);
    }
    if (v !== '-' && v !== '') {
      const key = /^[A-Za-z][\w.-]*\/\d[\w.]* \(/.test(v) ? 'cs(User-Agent)' : `x-extra-${++extra}`;
      pairs.push({ key, value: v, start: s, end: e });
    }
    i = e;
    skip();
    s = i;
  }
  return pairs;
}
