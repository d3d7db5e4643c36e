import { findAsa, parseAsa, parseAsaBody } from './asa.ts';
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
 * 2. The message is recognised by content and by sourcetype: CEF, LEEF 1.0/2.0, Cisco ASA/FTD, PAN-OS CSV,
 *    JSON, Squid/WSA access lines, W3C extended lines, key=value (incl. Check Point `key:"value";`). A sourcetype
 *    that declares a format (`pan:traffic` → PAN-OS CSV, `cisco:asa` → ASA, `ms:iis:auto` → W3C, DECLARED) has
 *    its parser tried first, and that parser may read what content alone leaves open (an ASA tag deep in the
 *    line or none at all, a PAN-OS receive time in another form, an IIS line off the default shape); a line it
 *    cannot read goes on to the others, by content.
 * 3. A header with a message no parser splits gives the header fields and `message`; text with neither
 *    stays unsplit (`format: 'raw'`, no pairs: the caller keeps it as one `_raw` field).
 *
 * Every pair carries the offsets of the text it came from (src/pipeline/classify/kv.ts `cutKeys` cuts dropped ones).
 */
interface Parser {
  format: TextFormat;
  /** `declared`: the sourcetype says the text is in this parser's format. */
  parse(text: string, body: number, ctx: SplitContext, declared: boolean): KvPair[] | null;
}

export interface SplitContext {
  /** Columns of the last W3C `#Fields:` directive seen in the same input, if any. */
  w3cFields?: readonly string[] | null;
}

const PARSERS: Parser[] = [
  { format: 'cef', parse: (t, b) => { const at = findCef(t, b); return at === -1 ? null : parseCef(t, at); } },
  { format: 'leef', parse: (t, b) => { const at = findLeef(t, b); return at === -1 ? null : parseLeef(t, at); } },
  {
    format: 'cisco-asa',
    parse: (t, b, _ctx, declared) => {
      // by content, a tag past the first words may be quoted by another message; declared, it is the line's own,
      // and a body without one is read by its documented message text
      const at = findAsa(t, b);
      if (at !== -1 && (declared || at - b <= 64)) return parseAsa(t, at);
      return declared && at === -1 ? parseAsaBody(t, b) : null;
    },
  },
  { format: 'pan-csv', parse: (t, b, _ctx, declared) => { const type = panLogType(t, b, declared); return type === null ? null : parsePanCsv(t, b, type); } },
  { format: 'json', parse: (t, b) => (t[b] === '{' ? parseEmbeddedJson(t, b) : null) },
  { format: 'squid', parse: (t, b) => (isSquid(t, b) ? parseSquid(t, b) : null) },
  {
    format: 'w3c',
    parse: (t, b, ctx, declared) => {
      if (t[b] === '#') return null;
      if (ctx.w3cFields) return parseW3c(t, b, ctx.w3cFields);
      // declared IIS: the default field set when the column count is its (by content: its shape too)
      return declared || isIisDefault(t, b) ? parseW3c(t, b, IIS_DEFAULT_FIELDS) : null;
    },
  },
  { format: 'kv', parse: (t, b) => { const p = splitKv(t, b, t.length, 2); return p.length === 0 ? null : p; } },
];

/**
 * Sourcetypes that declare a format: the names of the vendors' Splunk add-ons (Splunk_TA_paloalto `pan:*`,
 * Splunk_TA_cisco-asa `cisco:asa`, Splunk_TA_squid `squid:access`, Splunk_TA_microsoft-iis `ms:iis:*`, `cef`,
 * `leef`). Their parser is tried first and may read what content alone leaves open (Parser.parse `declared`).
 */
const DECLARED: [RegExp, TextFormat][] = [
  [/^pan(?::[a-z_-]+|_log)$/i, 'pan-csv'],
  [/^cisco[:_](?:asa|ftd|fwsm|pix)(?::syslog)?$/i, 'cisco-asa'],
  [/^(?:[a-z0-9_]+:)*cef$/i, 'cef'],
  [/^(?:[a-z0-9_]+:)*leef$/i, 'leef'],
  [/^(?:squid(?::access)?|cisco:wsa:squid)$/i, 'squid'],
  [/^(?:ms:iis(?::[a-z0-9]+)*|iis|w3c|[a-z0-9_:]*:w3c)$/i, 'w3c'],
  [/^_json$|^json$|:json$/i, 'json'],
];
// sourcetypes that only say which parser to try first (content decides): names that mention a format
const HINTS: [RegExp, TextFormat][] = [
  [/^pan[:_]/i, 'pan-csv'],
  [/^cisco[:_](?:asa|ftd|fwsm|pix)/i, 'cisco-asa'],
  [/cef/i, 'cef'],
  [/leef/i, 'leef'],
  [/squid|wsa/i, 'squid'],
  [/iis|w3c|elff/i, 'w3c'],
  [/json/i, 'json'],
];
const ORDERS = new Map<TextFormat, Parser[]>();
for (const [, f] of [...DECLARED, ...HINTS]) ORDERS.set(f, [PARSERS.find((p) => p.format === f)!, ...PARSERS.filter((p) => p.format !== f)]);

/** The format a sourcetype declares (DECLARED), or null. */
export function declaredFormat(sourcetype: string | undefined): TextFormat | null {
  if (sourcetype === undefined || sourcetype === '') return null;
  const st = sourcetype.trim();
  for (const [re, f] of DECLARED) if (re.test(st)) return f;
  return null;
}

function orderFor(sourcetype: string | undefined, declared: TextFormat | null): Parser[] {
  if (declared !== null) return ORDERS.get(declared)!;
  if (sourcetype === undefined || sourcetype === '') return PARSERS;
  for (const [re, f] of HINTS) if (re.test(sourcetype)) return ORDERS.get(f)!;
  return PARSERS;
}

const NONE: SplitResult = Object.freeze({ format: 'raw', pairs: Object.freeze([]) as unknown as KvPair[] }) as SplitResult;

/** Splits one text into fields; `sourcetype`, when given, may declare its format (DECLARED). */
export function splitText(text: string, sourcetype?: string, ctx: SplitContext = {}): SplitResult {
  const declared = declaredFormat(sourcetype);
  // a W3C line starts with its own date and time, which a syslog header reader would take for its own
  const c0 = text.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) {
    const w = ctx.w3cFields ? parseW3c(text, 0, ctx.w3cFields)
      : declared === 'w3c' || isIisDefault(text, 0) ? parseW3c(text, 0, IIS_DEFAULT_FIELDS) : null;
    if (w !== null) return { format: 'w3c', pairs: w };
  }
  const header = parseSyslogHeader(text);
  let body = header ? header.body : 0;
  while (body < text.length && (text[body] === ' ' || text[body] === '\t' || text.charCodeAt(body) === 0xfeff)) body++;
  for (const p of orderFor(sourcetype, declared)) {
    const pairs = p.parse(text, body, ctx, p.format === declared);
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
