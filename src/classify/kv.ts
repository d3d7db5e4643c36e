/**
 * Raw text events: key=value logs (FortiGate, Palo Alto syslog kv, CEF extensions) are split into fields so
 * that each can be classified; anything else stays one `_raw` field.
 */
export interface KvPair {
  key: string;
  value: string;
  /** Offsets of the whole `key=value` segment in the text (for cutting a dropped field out). */
  start: number;
  end: number;
}

// key=value, key="quoted value", key='quoted'. A CEF extension value runs to the next ` key=`.
const KV = /(?:^|[\s|,;])([A-Za-z_][\w.:\-()[\]]{0,63})=("(?:[^"\\]|\\.)*"|'[^']*'|(?:\\=|[^\s"'])*)/g;
const CEF = /^(?:<\d+>)?(?:[^|]*\s)?CEF:\d+(?:\|(?:[^|\\]|\\.)*){6}\|/;
const CEF_EXT = /(?:^|\s)([A-Za-z][\w.]{0,63})=((?:\\=|[^=])*?)(?=\s+[A-Za-z][\w.]{0,63}=|\s*$)/g;

function unquote(v: string): string {
  if (v.length >= 2 && ((v[0] === '"' && v[v.length - 1] === '"') || (v[0] === "'" && v[v.length - 1] === "'"))) {
    return v.slice(1, -1).replace(/\\(["\\])/g, '$1');
  }
  return v;
}

/** Splits a raw line into key=value pairs; returns [] when it has fewer than two. */
export function parseKeyValues(text: string): KvPair[] {
  const pairs: KvPair[] = [];
  const cef = CEF.exec(text);
  if (cef) {
    const base = cef[0].length;
    const ext = text.slice(base);
    CEF_EXT.lastIndex = 0;
    for (let m = CEF_EXT.exec(ext); m !== null; m = CEF_EXT.exec(ext)) {
      const lead = m[0].length - m[0].trimStart().length;
      pairs.push({ key: m[1], value: m[2].replace(/\\=/g, '='), start: base + m.index + lead, end: base + m.index + m[0].length });
    }
    return pairs;
  }
  KV.lastIndex = 0;
  for (let m = KV.exec(text); m !== null; m = KV.exec(text)) {
    const lead = m[0].length - m[0].replace(/^[\s|,;]/, '').length;
    pairs.push({ key: m[1], value: unquote(m[2]), start: m.index + lead, end: m.index + m[0].length });
  }
  return pairs.length >= 2 ? pairs : [];
}

/** Removes the segments of the given keys from the text. */
export function cutKeys(text: string, pairs: KvPair[], drop: Set<string>): string {
  let out = '';
  let at = 0;
  for (const p of pairs) {
    if (!drop.has(p.key)) continue;
    out += text.slice(at, p.start);
    at = p.end;
  }
  return (out + text.slice(at)).replace(/[ \t]{2,}/g, ' ').trim();
}
