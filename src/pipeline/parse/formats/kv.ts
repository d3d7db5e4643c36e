import type { KvPair } from './types.ts';

/**
 * key=value text, as firewalls and proxies write it (FortiGate, Sophos, McAfee Web Gateway, Websense,
 * Zscaler NSS, Blue Coat `key=value` access logs, syslog-ng `format-json`-less kv templates) and Check
 * Point's Log Exporter form `key:"value";` (also inside the `[...]` of its RFC 5424 line).
 *
 * A key starts a field only after a separator (start, whitespace, '|', '['), so `OU=a,DC=b` in a value or
 * `?a=1&b=2` in a URL stay in their value. A value is either quoted ("…" with \" and \\ escapes, or '…'),
 * or runs to the next separator that is followed by another `key=` (values may hold spaces: a user agent, a
 * product name), or to the end. When the fields are tab-separated only tabs separate them.
 */
const KEY = /[A-Za-z_@][\w.\-@()[\]/]{0,63}/y;
const KEY_AHEAD = /[A-Za-z_@][\w.\-@()[\]/]{0,63}(?:=|:")/y;

function isSep(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '|' || c === '[' || c === '\r' || c === '\n';
}

/** Splits text[start, end) into key=value pairs (offsets absolute). Fewer than `min` pairs → []. */
export function splitKv(text: string, start = 0, end = text.length, min = 2): KvPair[] {
  const pairs: KvPair[] = [];
  const tab = text.indexOf('\t', start);
  const tabbed = tab !== -1 && tab < end && /\t[A-Za-z_@][\w.\-@()[\]/]{0,63}=/.test(start === 0 && end === text.length ? text : text.slice(start, end));
  let i = start;
  while (i < end) {
    // find the next key at a separator boundary
    if (i > start && !isSep(text[i - 1])) {
      i++;
      continue;
    }
    KEY.lastIndex = i;
    const k = KEY.exec(text);
    if (!k || KEY.lastIndex >= end) {
      i++;
      continue;
    }
    let j = KEY.lastIndex;
    const colon = text[j] === ':' && text[j + 1] === '"';
    if (text[j] !== '=' && !colon) {
      i++;
      continue;
    }
    j++;
    const key = k[0];
    const q = text[j];
    let value: string;
    let stop: number;
    if (q === '"' || q === "'" || colon) {
      let v = '';
      let p = j + 1;
      for (; p < end; p++) {
        const c = text[p];
        if (c === '\\' && q === '"' && (text[p + 1] === '"' || text[p + 1] === '\\')) {
          v += text[p + 1];
          p++;
        } else if (c === q) break;
        else v += c;
      }
      if (p >= end) {
        // an unclosed quote: the value is the rest of the text, as written
        value = text.slice(j, end);
        stop = end;
      } else {
        value = v;
        stop = p + 1;
        if (text[stop] === ';' || text[stop] === ',') stop++;
      }
    } else {
      stop = valueEnd(text, j, end, tabbed);
      let ve = stop;
      while (ve > j && (text[ve - 1] === ' ' || text[ve - 1] === '\t')) ve--;
      value = text.slice(j, ve);
      stop = ve;
    }
    pairs.push({ key, value, start: i, end: stop });
    i = stop;
  }
  return pairs.length >= min ? pairs : [];
}

function valueEnd(text: string, from: number, end: number, tabbed: boolean): number {
  for (let p = from; p < end; p++) {
    const c = text[p];
    if (tabbed ? c === '\t' : isSep(c)) {
      if (tabbed) return p;
      // the value stops at a separator only when another key=value follows it
      let q = p;
      while (q < end && isSep(text[q])) q++;
      KEY_AHEAD.lastIndex = q;
      if (q < end && KEY_AHEAD.test(text)) return p;
      p = q - 1; // the run of separators is looked at once (linear in the text)
    }
  }
  return end;
}
