import { findAsa, parseAsa } from './asa.ts';
import { findCef, parseCef } from './cef.ts';
import { parseEmbeddedJson } from './json.ts';
import { splitKv } from './kv.ts';
import { findLeef, parseLeef } from './leef.ts';
import { panLogType, parsePanCsv } from './pan.ts';
import { isSquid, parseSquid } from './squid.ts';
import { parseSyslogHeader } from './syslog.ts';
import type { KvPair, SplitResult, TextFormat } from './types.ts';
import { IIS_DEFAULT_FIELDS, isIisDefault, parseW3c } from './w3c.ts';

export type { KvPair, SplitResult, TextFormat } from './types.ts';
export { w3cFieldsDirective } from './w3c.ts';

/**
 * Raw text into fields: one stage for `/raw` lines, string HEC `event`s and `classify` text input.
 *
 * 1. A syslog header (RFC 5424 or 3164 and their appliance variants) is read off the front; its time stamp,
 *    host, app, procid, msgid and structured data are fields too.
 * 2. The message is recognised by content, the sourcetype (when given) only choosing which parser is tried
 *    first: CEF, LEEF 1.0/2.0, Cisco ASA/FTD, PAN-OS CSV, JSON, Squid/WSA access lines, W3C extended lines,
 *    key=value (incl. Check Point `key:"value";`).
 * 3. A header with a message no parser splits gives the header fields and `message`; text with neither
 *    stays unsplit (`format: 'raw'`, no pairs: the caller keeps it as one `_raw` field).
 *
 * Every pair carries the offsets of the text it came from (src/pipeline/classify/kv.ts `cutKeys` cuts dropped ones).
 */
interface Parser {
  format: TextFormat;
  parse(text: string, body: number, ctx: SplitContext): KvPair[] | null;
}

export interface SplitContext {
  /** Columns of the last W3C `#Fields:` directive seen in the same input, if any. */
  w3cFields?: readonly string[] | null;
}

const PARSERS: Parser[] = [
  { format: 'cef', parse: (t, b) => { const at = findCef(t, b); return at === -1 ? null : parseCef(t, at); } },
  { format: 'leef', parse: (t, b) => { const at = findLeef(t, b); return at === -1 ? null : parseLeef(t, at); } },
  { format: 'cisco-asa', parse: (t, b) => { const at = findAsa(t, b); return at === -1 || at - b > 64 ? null : parseAsa(t, at); } },
  { format: 'pan-csv', parse: (t, b) => { const type = panLogType(t, b); return type === null ? null : parsePanCsv(t, b, type); } },
  { format: 'json', parse: (t, b) => (t[b] === '{' ? parseEmbeddedJson(t, b) : null) },
  { format: 'squid', parse: (t, b) => (isSquid(t, b) ? parseSquid(t, b) : null) },
  {
    format: 'w3c',
    parse: (t, b, ctx) => {
      if (t[b] === '#') return null;
      if (ctx.w3cFields) return parseW3c(t, b, ctx.w3cFields);
      return isIisDefault(t, b) ? parseW3c(t, b, IIS_DEFAULT_FIELDS) : null;
    },
  },
  { format: 'kv', parse: (t, b) => { const p = splitKv(t, b, t.length, 2); return p.length === 0 ? null : p; } },
];

// sourcetype → the parser tried first (content still decides: a parser that does not match is passed over)
const HINTS: [RegExp, TextFormat][] = [
  [/^pan[:_]/i, 'pan-csv'],
  [/^cisco[:_](?:asa|ftd|fwsm|pix)/i, 'cisco-asa'],
  [/cef/i, 'cef'],
  [/leef/i, 'leef'],
  [/squid|wsa/i, 'squid'],
  [/^(?:ms[:_])?iis|w3c|elff/i, 'w3c'],
  [/json/i, 'json'],
];
const ORDERS = new Map<TextFormat, Parser[]>();
for (const [, f] of HINTS) ORDERS.set(f, [PARSERS.find((p) => p.format === f)!, ...PARSERS.filter((p) => p.format !== f)]);

function orderFor(sourcetype: string | undefined): Parser[] {
  if (sourcetype === undefined || sourcetype === '') return PARSERS;
  for (const [re, f] of HINTS) if (re.test(sourcetype)) return ORDERS.get(f)!;
  return PARSERS;
}

const NONE: SplitResult = Object.freeze({ format: 'raw', pairs: Object.freeze([]) as unknown as KvPair[] }) as SplitResult;

export function splitText(text: string, sourcetype?: string, ctx: SplitContext = {}): SplitResult {
  // a W3C line starts with its own date and time, which a syslog header reader would take for its own
  const c0 = text.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) {
    const w = ctx.w3cFields ? parseW3c(text, 0, ctx.w3cFields) : isIisDefault(text, 0) ? parseW3c(text, 0, IIS_DEFAULT_FIELDS) : null;
    if (w !== null) return { format: 'w3c', pairs: w };
  }
  const header = parseSyslogHeader(text);
  let body = header ? header.body : 0;
  while (body < text.length && (text[body] === ' ' || text[body] === '\t' || text.charCodeAt(body) === 0xfeff)) body++;
  for (const p of orderFor(sourcetype)) {
    const pairs = p.parse(text, body, ctx);
    if (pairs !== null && pairs.length > 0) {
      return { format: p.format, pairs: header && header.pairs.length > 0 ? header.pairs.concat(pairs) : pairs };
    }
  }
  if (header && header.pairs.length > 0) {
    let end = text.length;
    while (end > body && /\s/.test(text[end - 1])) end--;
    const pairs = header.pairs.slice();
    if (end > body) pairs.push({ key: 'message', value: text.slice(body, end), start: body, end });
    return { format: 'syslog', pairs };
  }
  return NONE;
}
