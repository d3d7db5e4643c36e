import type { KvPair } from './types.ts';

/**
 * IBM QRadar Log Event Extended Format (LEEF guide, versions 1.0 and 2.0):
 *
 *   LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value...
 *   LEEF:2.0|Vendor|Product|Version|EventID|DelimiterCharacter|key=value<D>key=value...
 *
 * In 2.0 the delimiter is one character or its hex code (`x09`, `0x5E`, `^`, `|`, a space); when that
 * header field is left out, attributes follow EventID directly, tab-separated. LEEF 1.0 says tab; senders
 * also use `|` (PAN-OS LEEF 1.0 syslog integration) or spaces, so for 1.0 without tabs the delimiter is the
 * character that most often stands before a `key=`. With a space delimiter a value runs to the next
 * ` key=` (LEEF values may hold spaces: `devTime=Sep 03 2020 14:54:59 GMT`).
 * Header fields come back as deviceVendor, deviceProduct, deviceVersion and eventId.
 */
const HEADER_KEYS = ['deviceVendor', 'deviceProduct', 'deviceVersion', 'eventId'];
const KEY = /[A-Za-z_][\w.\-[\]/]{0,63}=/y;

export function findLeef(text: string, from = 0): number {
  let at = text.indexOf('LEEF:', from);
  while (at !== -1) {
    if ((at === from || text[at - 1] === ' ' || text[at - 1] === '\t') && /^LEEF:[12]\.0\|/.test(text.slice(at, at + 9))) return at;
    at = text.indexOf('LEEF:', at + 5);
  }
  return -1;
}

/** The delimiter a LEEF 2.0 header field names, or null when the field is not a delimiter spec. */
export function leefDelimiter(spec: string): string | null {
  if (spec.length === 1) return spec;
  const hex = /^(?:0?x)([0-9A-Fa-f]{2,4})$/i.exec(spec);
  return hex ? String.fromCharCode(parseInt(hex[1], 16)) : null;
}

function guessDelimiter(text: string, from: number): string {
  const body = text.slice(from);
  if (body.includes('\t')) return '\t';
  const counts = new Map<string, number>();
  const re = /([|^ ;,])[A-Za-z_][\w.\-[\]/]{0,63}=/g;
  for (let m = re.exec(body); m !== null; m = re.exec(body)) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
  let best = '\t';
  let n = 0;
  for (const [c, k] of counts) if (k > n) [best, n] = [c, k];
  return best;
}

export function parseLeef(text: string, at: number): KvPair[] | null {
  const version = text[at + 5];
  const pairs: KvPair[] = [];
  let i = at + 9;
  for (let f = 0; f < 4; f++) {
    const s = i;
    while (i < text.length && text[i] !== '|') i++;
    if (i >= text.length) {
      // EventID may end the line (no attributes)
      if (f === 3) {
        pairs.push({ key: HEADER_KEYS[f], value: text.slice(s), start: s, end: text.length });
        return pairs;
      }
      return null;
    }
    pairs.push({ key: HEADER_KEYS[f], value: text.slice(s, i), start: s, end: i });
    i++;
  }
  let delim: string;
  if (version === '2' && text[i] === '|' && text[i + 1] === '|') {
    delim = '|'; // the delimiter field holds the pipe itself
    i += 2;
  } else if (version === '2') {
    const close = text.indexOf('|', i);
    const spec = close === -1 ? null : text.slice(i, close);
    const d = spec !== null && !spec.includes('=') ? leefDelimiter(spec) : null;
    if (d !== null) {
      delim = d;
      i = close + 1;
    } else delim = '\t';
  } else delim = guessDelimiter(text, i);
  splitAttributes(text, i, delim, pairs);
  return pairs;
}

function splitAttributes(text: string, from: number, delim: string, pairs: KvPair[]): void {
  const n = text.length;
  let i = from;
  const spaced = delim === ' ';
  while (i < n) {
    KEY.lastIndex = i;
    const k = KEY.exec(text);
    const kEnd = k ? KEY.lastIndex : -1;
    let stop: number;
    if (spaced) {
      stop = n;
      for (let p = k ? kEnd : i; p < n; p++) {
        if (text[p] === ' ') {
          KEY.lastIndex = p + 1;
          if (KEY.test(text)) {
            stop = p;
            break;
          }
        }
      }
    } else {
      stop = text.indexOf(delim, i);
      if (stop === -1) stop = n;
    }
    if (k && kEnd <= stop) {
      const vStart = kEnd;
      let ve = stop;
      while (ve > vStart && (text[ve - 1] === '\r' || text[ve - 1] === '\n' || (spaced && text[ve - 1] === ' '))) ve--;
      pairs.push({ key: k[0].slice(0, -1), value: text.slice(vStart, ve), start: i, end: ve });
    }
    i = stop + 1;
  }
}
