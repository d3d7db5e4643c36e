import type { KvPair } from './types.ts';

/**
 * ArcSight Common Event Format (Micro Focus "Implementing ArcSight CEF", rev. 25):
 *
 *   CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|Extension
 *
 * In the header a pipe or backslash inside a value is escaped (`\|`, `\\`). The extension is `key=value`
 * pairs separated by spaces; a value may hold spaces and runs to the next ` key=`; in it `\=`, `\\`, `\n`
 * and `\r` are escapes. Header fields come back as deviceVendor, deviceProduct, deviceVersion,
 * deviceEventClassId, name, severity (the guide's names for them).
 */
const HEADER_KEYS = ['cefVersion', 'deviceVendor', 'deviceProduct', 'deviceVersion', 'deviceEventClassId', 'name', 'severity'];
const EXT_KEY = /[A-Za-z0-9_][\w.\-[\]]{0,63}=/y;

/** Offset of `CEF:` at the start of a token, or -1. */
export function findCef(text: string, from = 0): number {
  let at = text.indexOf('CEF:', from);
  while (at !== -1) {
    if ((at === 0 || text[at - 1] === ' ' || text[at - 1] === '\t' || at === from) && /^CEF:\d+\|/.test(text.slice(at, at + 8))) return at;
    at = text.indexOf('CEF:', at + 4);
  }
  return -1;
}

function unescapeHeader(s: string): string {
  return s.indexOf('\\') === -1 ? s : s.replace(/\\([|\\])/g, '$1');
}

function unescapeExt(s: string): string {
  if (s.indexOf('\\') === -1) return s;
  return s.replace(/\\([=\\nr])/g, (_m, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

/** Splits a CEF record that starts at `at` (the 'C' of `CEF:`); null if the header is not complete. */
export function parseCef(text: string, at: number): KvPair[] | null {
  const pairs: KvPair[] = [];
  let i = at + 4;
  for (let f = 0; f < 7; f++) {
    const s = i;
    while (i < text.length && text[i] !== '|') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) return null;
    pairs.push({ key: HEADER_KEYS[f], value: unescapeHeader(text.slice(s, i)), start: s, end: i });
    i++;
  }
  pairs.shift(); // the CEF version is not a field of the event
  // extension: key=value, a value running to the next unescaped ` key=`
  const n = text.length;
  while (i < n && text[i] === ' ') i++;
  while (i < n) {
    EXT_KEY.lastIndex = i;
    const k = EXT_KEY.exec(text);
    if (!k) {
      // text that is not key=value: skip one token
      while (i < n && text[i] !== ' ') i++;
      while (i < n && text[i] === ' ') i++;
      continue;
    }
    const vStart = EXT_KEY.lastIndex;
    let p = vStart;
    let stop = n;
    for (; p < n; p++) {
      const c = text[p];
      if (c === '\\') {
        p++;
        continue;
      }
      if (c === ' ') {
        let q = p;
        while (q < n && text[q] === ' ') q++;
        EXT_KEY.lastIndex = q;
        if (q < n && EXT_KEY.test(text)) {
          stop = p;
          break;
        }
        p = q - 1; // a run of spaces is looked at once
      }
    }
    let ve = stop;
    while (ve > vStart && (text[ve - 1] === ' ' || text[ve - 1] === '\r' || text[ve - 1] === '\n')) ve--;
    pairs.push({ key: k[0].slice(0, -1), value: unescapeExt(text.slice(vStart, ve)), start: i, end: ve });
    i = stop;
    while (i < n && text[i] === ' ') i++;
  }
  return pairs;
}
