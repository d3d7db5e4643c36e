/**
 * Event breaking for /raw as Splunk's props.conf does it: LINE_BREAKER splits the body into lines (TRUNCATE cuts
 * each), SHOULD_LINEMERGE merges lines into events (BREAK_ONLY_BEFORE, BREAK_ONLY_BEFORE_DATE, MUST_BREAK_AFTER,
 * MUST_NOT_BREAK_AFTER/BEFORE, MAX_EVENTS), then each event gets its timestamp (TIME_PREFIX,
 * MAX_TIMESTAMP_LOOKAHEAD, TZ, MAX_DAYS_AGO/HENCE) and, for the syslog sourcetypes, its host from the header
 * (transforms.conf [syslog-host]). Built-in rules come from Splunk's system/default/props.conf and the vendor
 * add-ons; the config's `sourcetypes` table adds or overrides them. docs/raw-events.md has the table.
 */
import { findTimestamp, parseTzOffset, TimeFormat } from './timestamp.ts';

/** One sourcetype's settings as the config file spells them (props.conf names in camelCase); all optional. */
export interface SourcetypeRuleConfig {
  /** LINE_BREAKER: a regex whose first capturing group is the text between lines; default ([\r\n]+). */
  lineBreaker?: string;
  /** SHOULD_LINEMERGE (default true). */
  shouldLinemerge?: boolean;
  /** BREAK_ONLY_BEFORE_DATE (default true). */
  breakOnlyBeforeDate?: boolean;
  /** BREAK_ONLY_BEFORE: a new event starts only at a line matching this regex. */
  breakOnlyBefore?: string;
  /** MUST_BREAK_AFTER: the line after a matching line starts a new event. */
  mustBreakAfter?: string;
  /** MUST_NOT_BREAK_AFTER: after a matching line, no break until MUST_BREAK_AFTER matches. */
  mustNotBreakAfter?: string;
  /** MUST_NOT_BREAK_BEFORE: a matching line never starts an event. */
  mustNotBreakBefore?: string;
  /** MAX_EVENTS: most lines in one merged event (default 256). */
  maxEvents?: number;
  /** TRUNCATE: longest line in bytes (default: limits.rawTruncate, 10000); 0: no limit. */
  truncate?: number;
  /** TIME_PREFIX: the timestamp is looked for after this regex's first match; no match, no timestamp. */
  timePrefix?: string;
  /** MAX_TIMESTAMP_LOOKAHEAD (default 128); 0 or -1: no bound. */
  maxTimestampLookahead?: number;
  /** TIME_FORMAT (Splunk's strptime subset, src/pipeline/parse/timestamp.ts TimeFormat): only this format is read. */
  timeFormat?: string;
  /** DATETIME_CONFIG: 'auto' (datetime.xml's formats, the default), 'current' (receive time), 'none' (no extraction). */
  datetimeConfig?: 'auto' | 'current' | 'none';
  /** TZ for timestamps that name no zone, as a fixed offset ("+09:00", "-0500", "UTC"); default UTC. */
  tz?: string;
  /** MAX_DAYS_AGO (default 2000) and MAX_DAYS_HENCE (default 2): a timestamp outside is not taken. */
  maxDaysAgo?: number;
  maxDaysHence?: number;
  /** TRANSFORMS = syslog-host: the host comes from the syslog header (Splunk's syslog sourcetypes). */
  hostFromSyslogHeader?: boolean;
}

/** A sourcetype's rule, compiled once (regexes built at startup, never per request). */
export interface RawRule {
  readonly lineBreaker: RegExp | null;
  readonly shouldLinemerge: boolean;
  readonly breakOnlyBeforeDate: boolean;
  readonly breakOnlyBefore: RegExp | null;
  readonly mustBreakAfter: RegExp | null;
  readonly mustNotBreakAfter: RegExp | null;
  readonly mustNotBreakBefore: RegExp | null;
  readonly maxEvents: number;
  readonly truncate: number | null;
  readonly timePrefix: RegExp | null;
  readonly timeFormat: TimeFormat | null;
  readonly lookahead: number;
  readonly datetime: 'auto' | 'current' | 'none';
  readonly tzMinutes: number;
  readonly maxDaysAgo: number;
  readonly maxDaysHence: number;
  readonly hostFromSyslogHeader: boolean;
}

/** Splunk's [default] stanza (system/default/props.conf). */
export const DEFAULT_RULE: Readonly<Required<Omit<SourcetypeRuleConfig, 'lineBreaker' | 'breakOnlyBefore' | 'mustBreakAfter' | 'mustNotBreakAfter' | 'mustNotBreakBefore' | 'timePrefix' | 'timeFormat' | 'truncate' | 'tz'>>> = {
  shouldLinemerge: true,
  breakOnlyBeforeDate: true,
  maxEvents: 256,
  maxTimestampLookahead: 128,
  datetimeConfig: 'auto',
  maxDaysAgo: 2000,
  maxDaysHence: 2,
  hostFromSyslogHeader: false,
};

const SINGLE_LINE: SourcetypeRuleConfig = { shouldLinemerge: false };
const SYSLOG: SourcetypeRuleConfig = { shouldLinemerge: false, maxTimestampLookahead: 32, hostFromSyslogHeader: true };
const ACCESS: SourcetypeRuleConfig = { shouldLinemerge: false, timePrefix: '\\[', maxTimestampLookahead: 128 };

/**
 * The built-in table. Stanzas of Splunk 8.2's system/default/props.conf (syslog family with TRANSFORMS =
 * syslog-host, access_*, apache_error, log4j, catalina, cisco:asa, iis, generic_single_line), and the firewall and
 * proxy sourcetypes the catalog names (module "firewall / proxy logs"): their vendors' add-ons set
 * SHOULD_LINEMERGE = false (one event per line) and leave the timestamp to the automatic recogniser.
 */
export const BUILTIN_RULES: Readonly<Record<string, SourcetypeRuleConfig>> = {
  syslog: SYSLOG,
  linux_messages_syslog: SYSLOG,
  postfix_syslog: SYSLOG,
  sendmail_syslog: SYSLOG,
  cisco_syslog: SYSLOG,
  windows_snare_syslog: SYSLOG,
  linux_secure: SINGLE_LINE,
  access_combined: ACCESS,
  access_combined_wcookie: ACCESS,
  access_common: ACCESS,
  apache_error: { breakOnlyBefore: '^\\[', maxTimestampLookahead: 128 },
  log4j: { breakOnlyBefore: '\\d\\d?:\\d\\d:\\d\\d' },
  catalina: { shouldLinemerge: true, breakOnlyBeforeDate: true, maxTimestampLookahead: 30, timePrefix: '^' },
  iis: { shouldLinemerge: false, maxTimestampLookahead: 32 },
  generic_single_line: SINGLE_LINE,
  'cisco:asa': SINGLE_LINE,
  ...Object.fromEntries([
    'pan:log', 'pan:traffic', 'pan:threat', 'pan:url', 'pan:globalprotect', 'pan:userid', 'fortigate_traffic', 'fortigate_utm',
    'fortigate_event', 'fgt_traffic', 'fgt_utm', 'cisco:ftd', 'cisco:firepower:syslog', 'bluecoat:proxysg:access:syslog',
    'bluecoat:proxysg:access:file', 'bluecoat:proxysg:access:kv', 'squid:access', 'zscalernss-web', 'cp_log',
    'juniper:junos:firewall', 'websense:cg:kv', 'mcafee:wg:kv', 'stream:http', 'cef',
  ].map((st) => [st, SINGLE_LINE])),
};

/** transforms.conf [syslog-host] (applied with LOOKAHEAD = 4096). */
const SYSLOG_HOST = /:\d\d\s+(?:\d+\s+|(?:user|daemon|local.?)\.\w+\s+)*\[?(\w[\w.-]{2,})\]?\s/;
const SYSLOG_HOST_LOOKAHEAD = 4096;

function regex(src: string | undefined, flags = ''): RegExp | null {
  return src === undefined || src === '' ? null : new RegExp(src, flags);
}

/** Compiles one rule: the config's settings over the built-in stanza of that name, over [default]. */
export function compileRule(cfg: SourcetypeRuleConfig = {}): RawRule {
  const r = { ...DEFAULT_RULE, ...cfg };
  const tz = r.tz === undefined ? 0 : parseTzOffset(r.tz);
  if (tz === null) throw new Error(`tz '${r.tz}' is not a fixed offset like +09:00, -0500 or UTC`);
  const lb = r.lineBreaker === undefined || r.lineBreaker === '([\\r\\n]+)' ? null : new RegExp(r.lineBreaker, 'gd');
  if (lb !== null && new RegExp(`${lb.source}|`).exec('')!.length < 2) throw new Error('lineBreaker must have a capturing group');
  return {
    lineBreaker: lb,
    shouldLinemerge: r.shouldLinemerge,
    breakOnlyBeforeDate: r.breakOnlyBeforeDate,
    breakOnlyBefore: regex(r.breakOnlyBefore),
    mustBreakAfter: regex(r.mustBreakAfter),
    mustNotBreakAfter: regex(r.mustNotBreakAfter),
    mustNotBreakBefore: regex(r.mustNotBreakBefore),
    maxEvents: Math.max(1, r.maxEvents),
    truncate: r.truncate ?? null,
    timePrefix: regex(r.timePrefix),
    timeFormat: r.timeFormat === undefined || r.timeFormat === '' ? null : new TimeFormat(r.timeFormat),
    lookahead: r.maxTimestampLookahead,
    datetime: r.datetimeConfig,
    tzMinutes: tz,
    maxDaysAgo: r.maxDaysAgo,
    maxDaysHence: r.maxDaysHence,
    hostFromSyslogHeader: r.hostFromSyslogHeader,
  };
}

/** The problems of a config's `sourcetypes` table (bad regexes, bad tz), one string each, for the config error. */
export function checkSourcetypeRules(table: Readonly<Record<string, SourcetypeRuleConfig>> | undefined): string[] {
  const out: string[] = [];
  for (const [st, cfg] of Object.entries(table ?? {})) {
    try {
      compileRule({ ...BUILTIN_RULES[st], ...cfg });
    } catch (err) {
      out.push(`/sourcetypes/${st}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Every sourcetype's compiled rule: the built-in table with the config's table over it; others get [default]. */
export class RawRules {
  private readonly rules = new Map<string, RawRule>();
  readonly fallback: RawRule;
  constructor(table: Readonly<Record<string, SourcetypeRuleConfig>> = {}) {
    this.fallback = compileRule(table.default);
    for (const st of new Set([...Object.keys(BUILTIN_RULES), ...Object.keys(table)])) {
      if (st === 'default') continue;
      this.rules.set(st, compileRule({ ...table.default, ...BUILTIN_RULES[st], ...table[st] }));
    }
  }
  get(sourcetype: string): RawRule {
    return this.rules.get(sourcetype) ?? this.fallback;
  }
}

const cache = new WeakMap<object, RawRules>();
/** The rules of a config (compiled once per config object). */
export function rawRulesFor(cfg: { sourcetypes?: Readonly<Record<string, SourcetypeRuleConfig>> }): RawRules {
  let r = cache.get(cfg);
  if (!r) {
    r = new RawRules(cfg.sourcetypes);
    cache.set(cfg, r);
  }
  return r;
}

/** One event of a /raw body: its text, and its time and host when the text gave them. */
export interface RawEvent {
  text: string;
  /** Epoch seconds from the text (or the previous event's, as Splunk does), or undefined: the receive time. */
  time: number | undefined;
  host: string | undefined;
}

/** Cuts a line to at most `max` UTF-8 bytes, never inside a character (TRUNCATE). */
function truncateBytes(line: string, max: number): string {
  if (line.length * 3 <= max) return line;
  let bytes = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    const n = c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : 3;
    if (bytes + n > max) return line.slice(0, i);
    bytes += n;
    if (n === 4) i++;
  }
  return line;
}

/** Whether a line holds only whitespace (without trim()'s copy). */
function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0b && c !== 0x0c && c !== 0xa0 && c !== 0xfeff) return c > 0x7f && line.trim() === '';
  }
  return true;
}

/** LINE_BREAKER: the body's lines (blank ones dropped), each cut to TRUNCATE. */
export function splitLines(text: string, rule: RawRule, truncate: number): string[] {
  const out: string[] = [];
  const max = rule.truncate ?? truncate;
  const push = (line: string) => {
    if (!isBlank(line)) out.push(max > 0 ? truncateBytes(line, max) : line);
  };
  const lb = rule.lineBreaker;
  if (lb === null) {
    // the default ([\r\n]+), scanned without a regex
    let start = 0;
    const n = text.length;
    for (let i = 0; i <= n; i++) {
      const c = i < n ? text.charCodeAt(i) : 0x0a;
      if (c === 0x0a || c === 0x0d) {
        if (i > start) push(text.slice(start, i));
        start = i + 1;
      }
    }
    return out;
  }
  lb.lastIndex = 0;
  let start = 0;
  for (let m = lb.exec(text); m !== null; m = lb.exec(text)) {
    const g = m.indices?.[1];
    if (g) {
      push(text.slice(start, g[0]));
      start = g[1];
    }
    if (m[0].length === 0) lb.lastIndex++;
  }
  push(text.slice(start));
  return out;
}

/** Where the rule looks for a timestamp in `text` (TIME_PREFIX), or -1 when the prefix is absent. */
function timeFrom(rule: RawRule, text: string): number {
  const p = rule.timePrefix;
  if (p === null) return 0;
  const m = p.exec(text);
  return m === null ? -1 : m.index + m[0].length;
}

/** The epoch seconds of the text's timestamp, found or not (undefined), before the MAX_DAYS range check. */
export function extractTime(text: string, rule: RawRule, nowMs: number): number | undefined {
  if (rule.datetime !== 'auto') return undefined;
  const from = timeFrom(rule, text);
  if (from < 0) return undefined;
  if (rule.timeFormat !== null) {
    return findTimestamp(text, { from, lookahead: rule.lookahead, tzMinutes: rule.tzMinutes, nowMs, format: rule.timeFormat, anchored: rule.timePrefix !== null })?.time;
  }
  return findTimestamp(text, { from, lookahead: rule.lookahead, tzMinutes: rule.tzMinutes, nowMs })?.time;
}

/** Whether a time lies in the rule's MAX_DAYS_AGO / MAX_DAYS_HENCE window around `nowMs`. */
export function inRange(time: number, rule: RawRule, nowMs: number): boolean {
  const ms = time * 1000;
  return ms >= nowMs - rule.maxDaysAgo * 86_400_000 && ms <= nowMs + rule.maxDaysHence * 86_400_000;
}

/** transforms.conf [syslog-host] on an event's text. */
export function syslogHost(text: string): string | undefined {
  const m = SYSLOG_HOST.exec(text.length > SYSLOG_HOST_LOOKAHEAD ? text.slice(0, SYSLOG_HOST_LOOKAHEAD) : text);
  return m === null ? undefined : m[1];
}

/**
 * Breaks a /raw body into events by the sourcetype's rule, with their time and host. `truncate` is the
 * default TRUNCATE (limits.rawTruncate); `nowMs` the receive time (year inference, MAX_DAYS_*, 'current').
 */
export function breakEvents(text: string, rule: RawRule, truncate: number, nowMs: number): RawEvent[] {
  const lines = splitLines(text, rule, truncate);
  const out: RawEvent[] = [];
  let last: number | undefined; // the last accepted timestamp: Splunk gives an event without one the previous event's
  const finish = (eventText: string, found: number | undefined | null) => {
    let time: number | undefined;
    if (rule.datetime === 'current') time = nowMs / 1000;
    else if (rule.datetime === 'auto') {
      const t = found === null ? extractTime(eventText, rule, nowMs) : found;
      if (t !== undefined && inRange(t, rule, nowMs)) last = t;
      time = last;
    }
    out.push({ text: eventText, time, host: rule.hostFromSyslogHeader ? syslogHost(eventText) : undefined });
  };
  if (!rule.shouldLinemerge) {
    for (const line of lines) finish(line, null);
    return out;
  }
  const byDate = rule.breakOnlyBefore === null && rule.breakOnlyBeforeDate && rule.datetime === 'auto';
  let cur: string[] = [];
  let curTime: number | undefined | null = null; // the first line's timestamp when already extracted
  let noBreak = false; // MUST_NOT_BREAK_AFTER seen and MUST_BREAK_AFTER not yet
  let breakNext = false; // MUST_BREAK_AFTER matched the previous line
  for (const line of lines) {
    let lineTime: number | undefined | null = null;
    let brk: boolean;
    if (cur.length === 0) brk = true;
    else if (cur.length >= rule.maxEvents || breakNext) brk = true;
    else if (noBreak) brk = false;
    else if (rule.mustNotBreakBefore?.test(line)) brk = false;
    else if (rule.breakOnlyBefore !== null) brk = rule.breakOnlyBefore.test(line);
    else if (byDate) {
      lineTime = extractTime(line, rule, nowMs);
      brk = lineTime !== undefined;
    } else brk = true;
    if (brk && cur.length > 0) {
      finish(cur.length === 1 ? cur[0] : cur.join('\n'), cur.length === 1 ? curTime : null);
      cur = [];
      noBreak = false;
    }
    if (cur.length === 0) curTime = lineTime;
    cur.push(line);
    breakNext = rule.mustBreakAfter?.test(line) ?? false;
    if (breakNext) noBreak = false;
    else if (rule.mustNotBreakAfter?.test(line)) noBreak = true;
  }
  if (cur.length > 0) finish(cur.length === 1 ? cur[0] : cur.join('\n'), cur.length === 1 ? curTime : null);
  return out;
}
