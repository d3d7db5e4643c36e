/**
 * Timestamp recognition in event text, as Splunk's timestamp processor ($SPLUNK_HOME/etc/datetime.xml) does
 * for the common formats, and HEC's epoch `time` in any unit. Pure functions; no regex is built per call
 * (the scanners below read character codes).
 *
 * Recognised (see docs/raw-events.md for the table and what Splunk does for each):
 *   ISO 8601 / RFC 3339 / RFC 5424   2024-05-01T10:00:00.123+02:00, 2024-05-01 10:00:00,123, 2024/05/01 10:00:00
 *   RFC 3164 syslog                  Oct 11 22:14:15 (year inferred), Oct  1 22:14:15.123
 *   Cisco ASA, ctime, US             Apr 15 2017 00:21:14, Wed Oct 11 14:32:52 2000, Jan 21, 2009 10:00:00 PM
 *   Apache / NCSA, Tomcat, RFC 2822  10/Oct/2000:13:55:36 -0700, 11-Oct-2000 13:55:36.5, Tue, 15 Nov 1994 08:12:31 GMT
 *   US numeric                       10/21/2009 10:00:00 AM
 *   Epoch (datetime.xml _utcepoch)   1433188255, 1433188255.5, 1433188255500 (the digits after ten are subseconds)
 */

/** Where and what was found: epoch seconds (fractional) and the text span [start, end). */
export interface FoundTimestamp {
  time: number;
  start: number;
  end: number;
}

export interface FindOptions {
  /** First character to look at (after TIME_PREFIX's match). */
  from?: number;
  /** MAX_TIMESTAMP_LOOKAHEAD: the timestamp must lie within this many characters from `from`; <= 0: no bound. */
  lookahead?: number;
  /** Offset east of UTC, in minutes, for a timestamp that names no zone (props.conf TZ); default 0 (UTC). */
  tzMinutes?: number;
  /** The current time in ms (receive time): a timestamp without a year takes this year, or the last. */
  nowMs: number;
  /**
   * TIME_FORMAT, compiled: only this format is read, at `from` when `anchored` (a TIME_PREFIX matched), else
   * at the first word start in the window where it matches. No match: no timestamp.
   */
  format?: TimeFormat;
  anchored?: boolean;
}

const C0 = 48, C9 = 57, COLON = 58, DOT = 46, COMMA = 44, SLASH = 47, DASH = 45, PLUS = 43, SPACE = 32, TAB = 9, T_UP = 84, Z_UP = 90;
const DAY_MS = 86_400_000;
/** Splunk's MAX_DAYS_HENCE default: a year-less date further ahead than this belongs to the previous year. */
const YEARLESS_HENCE_MS = 2 * DAY_MS;

const isDigit = (c: number) => c >= C0 && c <= C9;
const isWordChar = (c: number) => isDigit(c) || isAlpha(c);
const isAlpha = (c: number) => (c | 0x20) >= 97 && (c | 0x20) <= 122;
const lower3 = (s: string, i: number) => ((s.charCodeAt(i) | 0x20) << 16) | ((s.charCodeAt(i + 1) | 0x20) << 8) | (s.charCodeAt(i + 2) | 0x20);
const key3 = (w: string) => (w.charCodeAt(0) << 16) | (w.charCodeAt(1) << 8) | w.charCodeAt(2);

const MONTHS = new Map<number, number>(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [key3(m), i]));
const WEEKDAYS = new Set(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map(key3));

/** Zone names datetime.xml knows (_zone), as minutes east of UTC (Splunk's default TZ_ALIAS mappings, US for EST etc.). */
const ZONES: ReadonlyMap<string, number> = new Map([
  ['Z', 0], ['UT', 0], ['UTC', 0], ['GMT', 0], ['WET', 0], ['WEST', 60], ['CET', 60], ['CEST', 120], ['MET', 60], ['MEST', 120],
  ['MEZ', 60], ['MESZ', 120], ['EET', 120], ['EEST', 180], ['MSK', 180], ['MSD', 240], ['IST', 330], ['JST', 540], ['KST', 540],
  ['HKT', 480], ['AST', -240], ['ADT', -180], ['EST', -300], ['EDT', -240], ['CST', -360], ['CDT', -300], ['MST', -420],
  ['MDT', -360], ['PST', -480], ['PDT', -420],
]);

/** One scan's state: the parsed fields and where parsing stopped. One per call (no module-level scratch). */
class Fields {
  year = -1; month = -1; day = -1; hour = 0; minute = 0; second = 0; frac = 0;
  /** Minutes east of UTC when the text names a zone, else NaN. */
  zone = Number.NaN;
  pos = 0;
  constructor(readonly s: string, readonly end: number) {}

  /** Reads 1..max digits at pos; returns the number or -1 (pos moves past them). */
  digits(min: number, max: number): number {
    const { s, end } = this;
    let i = this.pos, v = 0;
    while (i < end && i - this.pos < max) {
      const c = s.charCodeAt(i);
      if (!isDigit(c)) break;
      v = v * 10 + c - C0;
      i++;
    }
    if (i - this.pos < min) return -1;
    this.pos = i;
    return v;
  }
  at(c: number): boolean {
    if (this.pos < this.end && this.s.charCodeAt(this.pos) === c) { this.pos++; return true; }
    return false;
  }
  peek(): number { return this.pos < this.end ? this.s.charCodeAt(this.pos) : -1; }
  spaces(max: number): number {
    let n = 0;
    while (n < max && this.pos < this.end && (this.s.charCodeAt(this.pos) === SPACE || this.s.charCodeAt(this.pos) === TAB)) { this.pos++; n++; }
    return n;
  }
  /** A zone name of ZONES at pos (uppercase letters, not followed by a letter); sets zone. */
  zoneName(): boolean {
    const { s, end } = this;
    let j = this.pos;
    while (j < end && j - this.pos < 5 && s.charCodeAt(j) >= 65 && s.charCodeAt(j) <= Z_UP) j++;
    if (j === this.pos || (j < end && isAlpha(s.charCodeAt(j)))) return false;
    const z = ZONES.get(s.slice(this.pos, j));
    if (z === undefined) return false;
    this.pos = j;
    this.zone = z;
    return true;
  }
  /** A month name (3 letters, then any letters, as datetime.xml's _litmonth) at pos: 0..11 or -1. */
  monthName(): number {
    const { s, end } = this;
    const i = this.pos;
    if (i + 3 > end) return -1;
    const m = MONTHS.get(lower3(s, i));
    if (m === undefined) return -1;
    let j = i + 3;
    while (j < end && isAlpha(s.charCodeAt(j))) j++;
    if (j - i > 9) return -1; // longer than "September": a word, not a month
    if (j < end && s.charCodeAt(j) === DOT) j++;
    this.pos = j;
    return m;
  }

  /** hh:mm:ss[.,frac][ AM|PM][zone]; false when not a time. */
  time(): boolean {
    const h = this.digits(1, 2);
    if (h < 0 || h > 23 || !this.at(COLON)) return false;
    const mi = this.digits(2, 2);
    if (mi < 0 || mi > 59 || !this.at(COLON)) return false;
    const se = this.digits(2, 2);
    if (se < 0 || se > 60) return false;
    this.hour = h; this.minute = mi; this.second = se;
    const c = this.peek();
    if ((c === DOT || c === COMMA) && this.pos + 1 < this.end && isDigit(this.s.charCodeAt(this.pos + 1))) {
      this.pos++;
      let scale = 0.1, f = 0;
      while (this.pos < this.end && isDigit(this.s.charCodeAt(this.pos))) {
        f += (this.s.charCodeAt(this.pos) - C0) * scale;
        scale /= 10;
        this.pos++;
      }
      this.frac = f;
    }
    if (this.peek() === COLON && this.pos + 1 < this.end && isDigit(this.s.charCodeAt(this.pos + 1))) return false; // (?!:\d)
    this.ampm();
    this.zoneAfter();
    return true;
  }
  private ampm(): void {
    const save = this.pos;
    this.spaces(2);
    if (this.pos + 2 <= this.end) {
      const a = this.s.charCodeAt(this.pos) | 0x20, m = this.s.charCodeAt(this.pos + 1) | 0x20;
      if ((a === 97 || a === 112) && m === 109 && !(this.pos + 2 < this.end && isAlpha(this.s.charCodeAt(this.pos + 2)))) {
        if (this.hour > 12 || this.hour === 0) { this.pos = save; return; }
        if (a === 112 && this.hour < 12) this.hour += 12;
        if (a === 97 && this.hour === 12) this.hour = 0;
        this.pos += 2;
        return;
      }
    }
    this.pos = save;
  }
  /** Z | [ ]±hh[:]mm | [ ]±hh | ' '<name>[±hh:mm] after a time; leaves pos alone when none. */
  private zoneAfter(): void {
    const { s, end } = this;
    const save = this.pos;
    if (this.peek() === Z_UP && !(this.pos + 1 < end && isAlpha(s.charCodeAt(this.pos + 1)))) { this.pos++; this.zone = 0; return; }
    const sp = this.spaces(2);
    const c = this.peek();
    if (c === PLUS || c === DASH) {
      if (this.offset()) return;
    } else if (sp > 0 && c >= 65 && c <= Z_UP) {
      let j = this.pos;
      while (j < end && j - this.pos < 5 && s.charCodeAt(j) >= 65 && s.charCodeAt(j) <= Z_UP) j++;
      if (!(j < end && isAlpha(s.charCodeAt(j)))) {
        const z = ZONES.get(s.slice(this.pos, j));
        if (z !== undefined) {
          this.pos = j;
          this.zone = z;
          const k = this.pos;
          if ((this.peek() === PLUS || this.peek() === DASH) && !this.offset()) this.pos = k;
          return;
        }
      }
    }
    this.pos = save;
  }
  /** ±hh[:]mm or ±hh at pos (the sign included); sets zone. */
  offset(): boolean {
    const save = this.pos;
    const sign = this.s.charCodeAt(this.pos) === DASH ? -1 : 1;
    this.pos++;
    const start = this.pos;
    const hh = this.digits(2, 2);
    if (hh < 0 || hh > 14) { this.pos = save; return false; }
    let mm = 0;
    if (this.at(COLON)) {
      mm = this.digits(2, 2);
      if (mm < 0) { this.pos = save; return false; }
    } else if (this.pos + 2 <= this.end && isDigit(this.s.charCodeAt(this.pos))) {
      mm = this.digits(2, 2);
      if (mm < 0) { this.pos = save; return false; }
    }
    if (isDigit(this.peek()) || mm > 59 || this.pos === start) { this.pos = save; return false; }
    this.zone = sign * (hh * 60 + mm);
    return true;
  }
}

/** `dd[/- ]Mon[/- ]yyyy[: ]time` (NCSA, Tomcat, RFC 2822 after the weekday); f.pos at the day. */
function euroDate(f: Fields): boolean {
  const d = f.digits(1, 2);
  if (d < 1 || d > 31) return false;
  const sep = f.peek();
  if (sep !== SLASH && sep !== DASH && sep !== SPACE) return false;
  f.pos++;
  if (sep === SPACE) f.spaces(1);
  const m = f.monthName();
  if (m < 0) return false;
  if (sep === SPACE) f.spaces(2); else if (!f.at(sep)) return false;
  const y = f.digits(4, 4);
  if (y < 0) return false;
  if (!f.at(COLON) && f.spaces(2) === 0) return false;
  f.year = y; f.month = m; f.day = d;
  return f.time();
}

/** `yyyy[-/.]mm[-/.]dd[T ]time` (ISO 8601, RFC 3339/5424, log4j, PAN-OS); f.pos at the year. */
function isoDate(f: Fields): boolean {
  const y = f.digits(4, 4);
  const sep = f.peek();
  if (y < 0 || (sep !== DASH && sep !== SLASH && sep !== DOT)) return false;
  f.pos++;
  const m = f.digits(1, 2);
  if (m < 1 || m > 12 || !f.at(sep)) return false;
  const d = f.digits(1, 2);
  if (d < 1 || d > 31) return false;
  if (!f.at(T_UP) && !f.at(116) && f.spaces(2) === 0) return false;
  f.year = y; f.month = m - 1; f.day = d;
  return f.time();
}

/** `mm/dd/yyyy time` (US numeric); f.pos at the month. */
function usDate(f: Fields): boolean {
  const m = f.digits(1, 2);
  if (m < 1 || m > 12 || !f.at(SLASH)) return false;
  const d = f.digits(1, 2);
  if (d < 1 || d > 31 || !f.at(SLASH)) return false;
  const y = f.digits(4, 4);
  if (y < 0 || f.spaces(2) === 0) return false;
  f.year = y; f.month = m - 1; f.day = d;
  return f.time();
}

/**
 * `Mon dd [yyyy] time [yyyy]` and `Mon dd, yyyy time` (RFC 3164, Cisco ASA, ctime, US); f.pos at the month name.
 * Without a year, f.year stays -1 (the caller infers it).
 */
function monthFirst(f: Fields): boolean {
  const m = f.monthName();
  if (m < 0) return false;
  if (f.spaces(2) === 0 && !f.at(DASH) && !f.at(SLASH)) return false;
  const d = f.digits(1, 2);
  if (d < 1 || d > 31) return false;
  f.month = m; f.day = d;
  f.at(COMMA);
  if (f.spaces(2) === 0) return false;
  const save = f.pos;
  const y = f.digits(4, 4);
  if (y >= 0 && f.peek() !== COLON) {
    f.year = y;
    if (f.spaces(2) === 0) return false;
  } else {
    f.pos = save;
  }
  if (!f.time()) return false;
  if (f.year < 0) {
    const after = f.pos;
    if (f.spaces(2) > 0) {
      const y2 = f.digits(4, 4);
      if (y2 >= 0 && !isDigit(f.peek()) && f.peek() !== COLON) f.year = y2; else f.pos = after;
    }
  }
  return true;
}

/**
 * datetime.xml's _utcepoch: `(?<=^|[\s#,"=([|{])(?:1[0-5]|9)\d{8}(?:\.?(\d{1,6}))?(?![\d(])` as Splunk 4–8 ship
 * it ("update regex before 2017"; it stops at 1599999999, Sept 2020, the epoch half of Splunk's 2020 datetime.xml
 * fix), here with `1\d{9}`: up to 2033.
 */
function epoch(f: Fields, i: number): boolean {
  const { s, end } = f;
  if (i > 0) {
    const p = s.charCodeAt(i - 1);
    if (!(p === SPACE || p === TAB || p === 10 || p === 13 || p === 35 || p === COMMA || p === 34 || p === 61 || p === 40 || p === 91 || p === 124 || p === 123)) return false;
  }
  const c0 = s.charCodeAt(i);
  const n = c0 === 57 ? 9 : 10; // 9\d{8} (1973-2001) or 1\d{9} (2001-2033)
  if (n === 10 && c0 !== 49) return false;
  f.pos = i;
  const secs = f.digits(n, n);
  if (secs < 0) return false;
  f.at(DOT);
  const fs = f.pos;
  let frac = 0, scale = 0.1;
  while (f.pos < end && f.pos - fs < 6 && isDigit(s.charCodeAt(f.pos))) {
    frac += (s.charCodeAt(f.pos) - C0) * scale;
    scale /= 10;
    f.pos++;
  }
  const next = f.peek();
  if (isDigit(next) || next === 40) return false;
  if (s.charCodeAt(f.pos - 1) === DOT) f.pos--; // "1433188255." : the dot is not part of it
  f.year = -2; // marks an epoch
  f.frac = secs + frac;
  return true;
}

function tryAt(s: string, i: number, end: number): Fields | null {
  const c = s.charCodeAt(i);
  const prev = i > 0 ? s.charCodeAt(i - 1) : SPACE;
  if (isDigit(c)) {
    if (isDigit(prev) || isAlpha(prev) || prev === DOT) return null;
    let run = i;
    while (run < end && isDigit(s.charCodeAt(run))) run++;
    const len = run - i;
    const sep = run < end ? s.charCodeAt(run) : -1;
    if (len === 4 && (sep === DASH || sep === SLASH || sep === DOT)) {
      const f = new Fields(s, end);
      f.pos = i;
      return isoDate(f) ? f : null;
    }
    if (len <= 2 && (sep === SLASH || sep === DASH || (sep === SPACE && run + 1 < end && isAlpha(s.charCodeAt(run + 1))))) {
      const f = new Fields(s, end);
      f.pos = i;
      if (euroDate(f)) return f;
      if (sep === SLASH) {
        const g = new Fields(s, end);
        g.pos = i;
        return usDate(g) ? g : null;
      }
      return null;
    }
    if (len >= 9) {
      const f = new Fields(s, end);
      return epoch(f, i) ? f : null;
    }
    return null;
  }
  if (isAlpha(c)) {
    if (isAlpha(prev) || isDigit(prev)) return null;
    if (i + 3 > end) return null;
    const k = lower3(s, i);
    const wd = WEEKDAYS.has(k);
    if (!wd && !MONTHS.has(k)) return null;
    const f = new Fields(s, end);
    f.pos = i;
    if (wd) {
      f.pos = i + 3;
      while (f.pos < end && isAlpha(s.charCodeAt(f.pos))) f.pos++;
      f.at(COMMA);
      if (f.spaces(2) === 0) return null;
      const start = f.pos;
      if (isDigit(f.peek())) return euroDate(f) ? f : null;
      f.pos = start;
      return monthFirst(f) ? f : null;
    }
    return monthFirst(f) ? f : null;
  }
  return null;
}

/** Days from 1970-01-01 to y-m-d (m 1..12), proleptic Gregorian (H. Hinnant's days_from_civil): no Date call. */
function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y--;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The fields' instant in ms for year `y` (no closure: tsx wraps every function made at run time). */
function msAt(f: Fields, y: number, zone: number): number {
  return daysFromCivil(y, f.month + 1, f.day) * DAY_MS + ((f.hour * 60 + f.minute - zone) * 60 + f.second) * 1000;
}

function toEpoch(f: Fields, tzMinutes: number, nowMs: number): number {
  if (f.year === -2) return f.frac;
  const zone = Number.isNaN(f.zone) ? tzMinutes : f.zone;
  let ms: number;
  if (f.year >= 0) {
    ms = msAt(f, f.year, zone);
  } else {
    // no year (RFC 3164): the latest year that does not put it more than Splunk's MAX_DAYS_HENCE ahead
    // (this year; last year for "Dec 31" read on Jan 1; next year for "Jan 1" read a minute before it)
    const local = new Date(nowMs + tzMinutes * 60_000);
    const y = local.getUTCFullYear();
    ms = msAt(f, y, zone);
    if (ms > nowMs + YEARLESS_HENCE_MS) ms = msAt(f, y - 1, zone);
    else if (f.month === 0 && local.getUTCMonth() === 11) {
      const next = msAt(f, y + 1, zone);
      if (next <= nowMs + YEARLESS_HENCE_MS) ms = next;
    }
  }
  return ms / 1000 + f.frac;
}

/**
 * The first timestamp in `s` at or after `from` and within `lookahead` characters of it, or null. Scans left to
 * right; at each word start the recognisers above are tried, and the first that parses wins.
 */
export function findTimestamp(s: string, opts: FindOptions): FoundTimestamp | null {
  const from = opts.from ?? 0;
  const la = opts.lookahead ?? 128;
  const end = la > 0 ? Math.min(s.length, from + la) : s.length;
  const fmt = opts.format;
  if (fmt !== undefined) {
    for (let i = from; i < end; i++) {
      if (i > from && (opts.anchored || isWordChar(s.charCodeAt(i - 1)))) {
        if (opts.anchored) break;
        continue;
      }
      const f = fmt.parse(s, i, end);
      if (f !== null) return { time: toEpoch(f, opts.tzMinutes ?? 0, opts.nowMs), start: i, end: f.pos };
    }
    return null;
  }
  for (let i = from; i < end; i++) {
    const f = tryAt(s, i, end);
    if (f !== null) return { time: toEpoch(f, opts.tzMinutes ?? 0, opts.nowMs), start: i, end: f.pos };
  }
  return apart(s, from, end, opts);
}

/**
 * datetime.xml matches its date and time patterns separately: a date in one place and a time in another
 * (FortiGate's and Sophos' `date=2022-04-25 time=15:27:08`) make a timestamp. The first ISO date
 * (`yyyy-mm-dd`, `yyyy/mm/dd`) and the first `hh:mm:ss[.frac][zone]`, each at a word start, in either order.
 */
function apart(s: string, from: number, end: number, opts: FindOptions): FoundTimestamp | null {
  let date: Fields | null = null, time: Fields | null = null;
  let dStart = -1, tStart = -1;
  for (let i = from; i < end && (date === null || time === null); i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) continue;
    const prev = i > from ? s.charCodeAt(i - 1) : SPACE;
    if (isWordChar(prev) || prev === DOT || prev === COLON || prev === DASH || prev === SLASH) continue;
    const f = new Fields(s, end);
    f.pos = i;
    if (date === null && dateOnly(f)) { date = f; dStart = i; continue; }
    f.pos = i;
    if (time === null && f.time()) { time = f; tStart = i; }
  }
  if (date === null || time === null) return null;
  date.hour = time.hour; date.minute = time.minute; date.second = time.second; date.frac = time.frac; date.zone = time.zone;
  return { time: toEpoch(date, opts.tzMinutes ?? 0, opts.nowMs), start: Math.min(dStart, tStart), end: Math.max(date.pos, time.pos) };
}

/** `yyyy[-/]mm[-/]dd` alone (no time after it), for apart(). */
function dateOnly(f: Fields): boolean {
  const y = f.digits(4, 4);
  const sep = f.peek();
  if (y < 0 || (sep !== DASH && sep !== SLASH)) return false;
  f.pos++;
  const m = f.digits(2, 2);
  if (m < 1 || m > 12 || !f.at(sep)) return false;
  const d = f.digits(2, 2);
  if (d < 1 || d > 31 || isDigit(f.peek())) return false;
  f.year = y; f.month = m - 1; f.day = d;
  return true;
}

/**
 * HEC `time` to epoch seconds. Splunk documents seconds (`<sec>.<ms>`); clients also send milliseconds
 * (splunk-events), microseconds and nanoseconds, and HEC takes them (the magnitude says which): a value of
 * 1e11 or more is read as ms, 1e14 or more as µs, 1e17 or more as ns. Seconds below 1e11 reach the year 5138.
 */
export function epochSeconds(t: number): number {
  const a = Math.abs(t);
  if (a < 1e11) return t;
  if (a < 1e14) return t / 1e3;
  if (a < 1e17) return t / 1e6;
  return t / 1e9;
}

/** Parses a props.conf TZ-style fixed offset ("+09:00", "-0500", "UTC") to minutes east of UTC; null if not one. */
export function parseTzOffset(tz: string): number | null {
  const z = ZONES.get(tz.toUpperCase());
  if (z !== undefined) return z;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(tz);
  if (!m) return null;
  const v = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return v > 14 * 60 ? null : (m[1] === '-' ? -v : v);
}

/**
 * A props.conf TIME_FORMAT (Splunk's strptime), compiled once: %Y %y %m %d %e %j %H %k %I %l %M %S %p %b %B %h
 * %a %A %z %:z %::z %Z %s %N %3N %6N %9N %Q %3Q %6Q %9Q %T %F %D %%; a space matches any run of whitespace,
 * other characters themselves.
 */
export class TimeFormat {
  private readonly ops: Array<string | { spec: string; width: number }> = [];
  constructor(readonly source: string) {
    const expand = source.replace(/%T/g, '%H:%M:%S').replace(/%F/g, '%Y-%m-%d').replace(/%D/g, '%m/%d/%y');
    let lit = '';
    for (let i = 0; i < expand.length; i++) {
      const c = expand[i];
      if (c !== '%') { lit += c; continue; }
      let j = i + 1;
      let width = 0;
      while (j < expand.length && expand[j] >= '0' && expand[j] <= '9') width = width * 10 + Number(expand[j++]);
      let spec = expand[j] ?? '';
      if (spec === ':') {
        while (expand[j] === ':') j++;
        spec = expand[j] === 'z' ? 'z' : '';
      }
      if (spec === '%') { lit += '%'; i = j; continue; }
      if (!'YymdejHkIlMSpbBhaAzZsNQ'.includes(spec) || spec === '') throw new Error(`TIME_FORMAT '${source}': %${expand.slice(i + 1, j + 1)} is not supported`);
      if (lit) { this.ops.push(lit); lit = ''; }
      this.ops.push({ spec, width });
      i = j;
    }
    if (lit) this.ops.push(lit);
  }

  /** The fields this format reads at `i` (before `end`), or null. */
  parse(s: string, i: number, end: number): Fields | null {
    const f = new Fields(s, end);
    f.pos = i;
    let pm = -1, doy = -1;
    for (const op of this.ops) {
      if (typeof op === 'string') {
        for (let k = 0; k < op.length; k++) {
          const c = op.charCodeAt(k);
          if (c === SPACE) { f.spaces(1 << 20); continue; }
          if (!f.at(c)) return null;
        }
        continue;
      }
      let v: number;
      switch (op.spec) {
        case 'Y': v = f.digits(4, 4); if (v < 0) return null; f.year = v; break;
        case 'y': v = f.digits(2, 2); if (v < 0) return null; f.year = v < 69 ? 2000 + v : 1900 + v; break;
        case 'm': v = f.digits(1, 2); if (v < 1 || v > 12) return null; f.month = v - 1; break;
        case 'd': case 'e': f.spaces(1); v = f.digits(1, 2); if (v < 1 || v > 31) return null; f.day = v; break;
        case 'j': v = f.digits(1, 3); if (v < 1 || v > 366) return null; doy = v; break;
        case 'H': case 'k': f.spaces(1); v = f.digits(1, 2); if (v < 0 || v > 23) return null; f.hour = v; break;
        case 'I': case 'l': f.spaces(1); v = f.digits(1, 2); if (v < 1 || v > 12) return null; f.hour = v; break;
        case 'M': v = f.digits(2, 2); if (v < 0 || v > 59) return null; f.minute = v; break;
        case 'S': v = f.digits(2, 2); if (v < 0 || v > 60) return null; f.second = v; break;
        case 'p': {
          if (f.pos + 2 > end) return null;
          const a = s.charCodeAt(f.pos) | 0x20, m = s.charCodeAt(f.pos + 1) | 0x20;
          if ((a !== 97 && a !== 112) || m !== 109) return null;
          pm = a === 112 ? 1 : 0;
          f.pos += 2;
          break;
        }
        case 'b': case 'B': case 'h': v = f.monthName(); if (v < 0) return null; f.month = v; break;
        case 'a': case 'A': {
          if (f.pos + 3 > end || !WEEKDAYS.has(lower3(s, f.pos))) return null;
          f.pos += 3;
          while (f.pos < end && isAlpha(s.charCodeAt(f.pos))) f.pos++;
          break;
        }
        case 'z': if (!(f.peek() === PLUS || f.peek() === DASH) || !f.offset()) { if (!f.at(Z_UP)) return null; f.zone = 0; } break;
        case 'Z': if (!f.zoneName() && !((f.peek() === PLUS || f.peek() === DASH) && f.offset())) return null; break;
        case 's': {
          const st = f.pos;
          let secs = 0;
          while (f.pos < end && isDigit(s.charCodeAt(f.pos))) secs = secs * 10 + s.charCodeAt(f.pos++) - C0;
          if (f.pos === st) return null;
          f.year = -2;
          f.frac += secs;
          break;
        }
        case 'N': case 'Q': {
          const width = op.width || (op.spec === 'N' ? 9 : 3);
          const st = f.pos;
          let frac = 0, scale = 0.1;
          while (f.pos < end && f.pos - st < width && isDigit(s.charCodeAt(f.pos))) {
            frac += (s.charCodeAt(f.pos++) - C0) * scale;
            scale /= 10;
          }
          if (f.pos === st) return null;
          f.frac += frac;
          break;
        }
      }
    }
    if (f.year === -2) return f;
    if (pm >= 0) {
      if (f.hour === 12) f.hour = 0;
      if (pm === 1) f.hour += 12;
    }
    if (doy > 0) {
      if (f.year < 0) return null;
      const d = new Date(Date.UTC(f.year, 0, doy));
      f.month = d.getUTCMonth();
      f.day = d.getUTCDate();
    }
    if (f.month < 0 || f.day < 0) return null; // a format must give a date (or %s)
    return f;
  }
}
