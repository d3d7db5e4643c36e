import { readQuoted } from './csv.ts';
import type { KvPair } from './types.ts';

/**
 * W3C Extended Log File Format (W3C Working Draft WD-logfile-960323; IIS, Blue Coat, WSA, Azure CDN …):
 * directives start with '#'; `#Fields: date time c-ip cs-username …` names the space-separated columns of
 * the lines after it. A value with spaces is written in double quotes ("" for a quote) or with '+' for
 * spaces (IIS). Without a #Fields: directive only IIS's documented default field set (IIS 8.5+ W3C logging
 * defaults, Microsoft Learn "W3C Logging") is recognised, by its shape: a date, a time, an IP, a method…
 */
export const IIS_DEFAULT_FIELDS = ['date', 'time', 's-ip', 'cs-method', 'cs-uri-stem', 'cs-uri-query', 's-port',
  'cs-username', 'c-ip', 'cs(User-Agent)', 'cs(Referer)', 'sc-status', 'sc-substatus', 'sc-win32-status', 'time-taken'];
const IIS_SHAPE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [0-9A-Fa-f:.]+ [A-Z]+ \S+ \S+ \d+ \S+ [0-9A-Fa-f:.]+ \S+ \S+ \d{3} \d+ \d+ \d+\s*$/;

/** The field names of a `#Fields:` directive, or null when the line is not one. */
export function w3cFieldsDirective(line: string): string[] | null {
  const m = /^#Fields:\s*(.*)$/.exec(line.trim());
  return m ? m[1].trim().split(/\s+/) : null;
}

export function isIisDefault(text: string, at: number): boolean {
  return IIS_SHAPE.test(at === 0 ? text : text.slice(at));
}

/** Splits one W3C data line by the given field names; null when the column count does not match. */
export function parseW3c(text: string, at: number, fields: readonly string[]): KvPair[] | null {
  const pairs: KvPair[] = [];
  const n = text.length;
  let i = at;
  let c = 0;
  while (i < n) {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= n || text[i] === '\r' || text[i] === '\n') break;
    const s = i;
    let v: string;
    if (text[i] === '"') {
      ({ value: v, next: i } = readQuoted(text, i, n));
    } else {
      while (i < n && text[i] !== ' ' && text[i] !== '\t' && text[i] !== '\r' && text[i] !== '\n') i++;
      v = text.slice(s, i);
      if (v.includes('+') && (fields[c] === 'cs(User-Agent)' || fields[c] === 'cs(Cookie)')) v = v.replace(/\+/g, ' ');
    }
    if (c >= fields.length) return null;
    pairs.push({ key: fields[c], value: v, start: s, end: i });
    c++;
  }
  return c === fields.length ? pairs : null;
}
