import { createRequire } from 'node:module';
import * as net from 'node:net';
import type { Category, DetectorName } from './types.ts';

/*
 * Value detectors. Each regex is compiled once, here. They run only where a field's name says nothing,
 * to refine a kind (`dest` holding an IP), or to escalate the category of free text.
 */

const MAC = /^(?:[0-9a-f]{2}([:-]))(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}$|^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i;
const EMAIL = /^[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$/i;
const URL_RE = /^(?:https?|ftp|wss?):\/\/[^\s]+$/i;
const FQDN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\.?$/i;
const { isIPv4, isIPv6 } = net; // bound once (see compile.ts)
const MD5 = /^[0-9a-f]{32}$/i;
const SHA1 = /^[0-9a-f]{40}$/i;
const SHA256 = /^[0-9a-f]{64}$/i;
const SID = /^S-1-\d+(?:-\d+){1,14}$/i;
const GUID = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;
const CVE = /^CVE-\d{4}-\d{4,}$/i;
const PHONE = /^(?:\+\d{1,3}[\s.-]?)(?:\(?\d{1,4}\)?[\s.-]?){2,5}\d{2,4}$|^\(\d{3}\)\s?\d{3}-\d{4}$/;
/** A command line: a program (quoted, or named with an extension), then arguments, or a program then a switch. */
const CMDLINE = /^(?:"[^"]+"|[^\s"]+)\s+["'/-]|^(?:"[^"]+"|[^\s"]*\.(?:exe|com|bat|cmd|ps1|sh|py|pl|rb|jar))\s+\S/i;
const SSN = /^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/;
const IBAN = /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/;
const JWT = /^eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*$/;
const PEM_PRIVATE = /^-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----/;
/** Cloud and SaaS keys whose shape is documented by their issuers (AWS, GitHub, Slack, Google, Stripe, GitLab). */
const CLOUD_KEY = /^(?:(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,}|xox[abposr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|(?:sk|rk)_live_[0-9A-Za-z]{20,}|glpat-[0-9A-Za-z_-]{20})$/;
const WEBHOOK = /^https:\/\/(?:hooks\.slack\.com\/(?:services|workflows|triggers)\/|(?:discord|discordapp)\.com\/api\/webhooks\/|[a-z0-9-]+\.webhook\.office\.com\/|outlook\.office\.com\/webhook\/)/i;
/** Malware names (`BehavesLike.PDF.Exploit.vx`, `Trojan.Win32.Agent.abc`): dotted, with a family word, never a host. */
const MALWARE_NAME = /^(?:BehavesLike|Trojan|Worm|Virus|Backdoor|Exploit|HackTool|Riskware|Adware|PUA|PUP|Ransom|Win32|Win64|W32|JS|VBS|HTML|PDF|Mal|Generic|Heur|TROJ|TSPY|BKDR|WORM|RANSOM)[.:/]/i;
/** A dotted user name (`joe.black`, `first.last`): two or three short lowercase words, the last not a top-level domain. */
const DOTTED_NAME = /^[a-z]+(?:\.[a-z]+){1,2}$/;
const COMMON_TLDS = new Set(['com', 'net', 'org', 'edu', 'gov', 'mil', 'int', 'io', 'co', 'uk', 'de', 'jp', 'fr', 'cn', 'ru', 'info', 'biz', 'us', 'eu', 'ca', 'au', 'in', 'local', 'lan', 'corp', 'internal', 'example', 'test', 'app', 'dev', 'cloud', 'ai', 'me', 'tv', 'nl', 'se', 'ch', 'it', 'es', 'br', 'kr', 'sg', 'tw', 'hk', 'nz', 'za', 'mx', 'pl', 'be', 'at', 'dk', 'no', 'fi', 'ie', 'il', 'site', 'online', 'xyz', 'top', 'arpa', 'localdomain', 'home', 'intra', 'ad']);

/** The Luhn check of a run of digits. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (dbl) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

/** A payment card number: 13–19 digits (spaces or dashes between groups), a card network's first digit, Luhn. */
export function isCardNumber(v: string): boolean {
  if (v.length < 13 || v.length > 23) return false;
  const c0 = v.charCodeAt(0);
  if (c0 < 48 || c0 > 57) return false;
  let digits = '';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) digits += v[i];
    else if (c !== 32 && c !== 45) return false;
  }
  if (digits.length < 13 || digits.length > 19) return false;
  const f = digits.charCodeAt(0) - 48;
  if (f < 2 || f > 6) return false; // 2 (Mastercard 2-series), 3 (Amex, JCB, Diners), 4 (Visa), 5 (Mastercard), 6 (Discover, UnionPay)
  if (/^(\d)\1+$/.test(digits)) return false;
  return luhn(digits);
}

/** An IBAN: country, check digits, account; the ISO 13616 mod-97 check. */
export function isIban(v: string): boolean {
  if (v.length < 15 || v.length > 42) return false;
  const t = v.indexOf(' ') === -1 ? v.toUpperCase() : v.replace(/ /g, '').toUpperCase();
  if (!IBAN.test(t)) return false;
  const r = t.slice(4) + t.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < r.length; i++) {
    const c = r.charCodeAt(i);
    const n = c >= 65 ? c - 55 : c - 48;
    rem = (n >= 10 ? rem * 100 + n : rem * 10 + n) % 97;
  }
  return rem === 1;
}

type PhoneLib = typeof import('libphonenumber-js/min');
let phoneLib: PhoneLib | null = null;
/** libphonenumber-js, loaded when a value first looks like a phone number (its metadata costs startup time). */
function phoneNumbers(): PhoneLib {
  return phoneLib ??= createRequire(import.meta.url)('libphonenumber-js/min') as PhoneLib;
}

/** A phone number a numbering plan knows (libphonenumber): written in international form, or US national with brackets. */
export function isPhoneNumber(v: string): boolean {
  if (v.length < 7 || v.length > 24) return false;
  const c0 = v.charCodeAt(0);
  if (c0 !== 43 && c0 !== 40) return false; // '+' or '('
  if (!/^[+(]?[\d\s().-]+$/.test(v)) return false;
  const p = phoneNumbers().parsePhoneNumberFromString(v, 'US');
  return p !== undefined && p.isValid();
}

/** A dotted name that is not a host: a malware name or `first.last`. */
export function notAHost(v: string): boolean {
  if (MALWARE_NAME.test(v)) return true;
  const tld = v.endsWith('.') ? v.slice(v.lastIndexOf('.', v.length - 2) + 1, -1) : v.slice(v.lastIndexOf('.') + 1);
  // a top-level domain is a country's two letters or a known generic one, in one case (`Remote.Code.Execution` is no host)
  if (tld.length > 2 && !COMMON_TLDS.has(tld.toLowerCase())) return true;
  if (tld !== tld.toLowerCase() && tld !== tld.toUpperCase()) return true;
  if (DOTTED_NAME.test(v)) return !COMMON_TLDS.has(v.slice(v.lastIndexOf('.') + 1));
  return false;
}

const FILE_EXT = /\.(exe|dll|sys|txt|pdf|docx?|xlsx?|zip|ps1|bat|js|json|xml|log|tmp)$/i;
const PATH = /^(?:[a-z]:\\|\\\\[^\\]+\\|\/(?:usr|bin|sbin|etc|home|var|opt|tmp|users|root|lib|applications|system|private)\/)/i;

/** Tests one detector against a string value. */
export function testDetector(name: DetectorName, v: string): boolean {
  // cheap rejections first: most values fail on one character test, not a regex
  switch (name) {
    case 'email': case 'upn': if (v.indexOf('@') < 1) return false; break;
    case 'ipv4': { const c = v.charCodeAt(0); if (c < 48 || c > 57) return false; break; }
    case 'url': if (v.indexOf('://') < 2) return false; break;
    case 'sid': if (v.charCodeAt(0) !== 83 && v.charCodeAt(0) !== 115) return false; break;
    case 'cve': if (v.length < 13 || (v.charCodeAt(0) | 32) !== 99) return false; break;
    case 'md5': if (v.length !== 32) return false; break;
    case 'sha1': if (v.length !== 40) return false; break;
    case 'sha256': if (v.length !== 64) return false; break;
    case 'guid': if (v.length < 36 || v.length > 38) return false; break;
    case 'mac': if (v.length < 14 || v.length > 17) return false; break;
    case 'phone': if (v.length < 7 || v.length > 24) return false; break;
    case 'cmdline': if (v.length < 5 || v.indexOf(' ') === -1) return false; break;
    case 'card': if (v.length < 13 || v.length > 23) return false; break;
    case 'iban': if (v.length < 15 || v.length > 42 || !ibanHead(v)) return false; break;
    case 'ssn': if (v.length !== 11 || v.charCodeAt(3) !== 45) return false; break;
    case 'jwt': if (v.length < 20 || v.charCodeAt(0) !== 101 || !v.startsWith('eyJ')) return false; break;
    case 'pem': if (v.charCodeAt(0) !== 45 || !v.startsWith('-----BEGIN ')) return false; break;
    case 'cloud-key': if (v.length < 20 || v.length > 120) return false; break;
    case 'webhook': if (v.length < 30 || (v.charCodeAt(0) | 32) !== 104) return false; break;
    default: break;
  }
  switch (name) {
    case 'ipv4': return v.length >= 7 && v.length <= 15 && isIPv4(v);
    case 'ipv6': return v.length >= 2 && v.length <= 45 && v.includes(':') && isIPv6(v);
    case 'mac': return MAC.test(v);
    case 'email': case 'upn': return v.length <= 254 && EMAIL.test(v);
    case 'url': return URL_RE.test(v);
    case 'fqdn': return v.indexOf('.') > 0 && FQDN.test(v) && !FILE_EXT.test(v) && !notAHost(v);
    case 'md5': return MD5.test(v);
    case 'sha1': return SHA1.test(v);
    case 'sha256': return SHA256.test(v);
    case 'sid': return SID.test(v);
    case 'guid': return GUID.test(v);
    case 'cve': return CVE.test(v);
    case 'phone': return PHONE.test(v) && isPhoneNumber(v);
    case 'path': return PATH.test(v);
    case 'card': return isCardNumber(v);
    case 'cmdline': return CMDLINE.test(v);
    case 'iban': return isIban(v);
    case 'ssn': return SSN.test(v);
    case 'jwt': return JWT.test(v);
    case 'pem': return PEM_PRIVATE.test(v);
    case 'cloud-key': return CLOUD_KEY.test(v);
    case 'webhook': return WEBHOOK.test(v);
  }
}

/** Two letters then two digits: how every IBAN starts. */
function ibanHead(v: string): boolean {
  const a = v.charCodeAt(0) | 32, b = v.charCodeAt(1) | 32, c = v.charCodeAt(2), d = v.charCodeAt(3);
  return a >= 97 && a <= 122 && b >= 97 && b <= 122 && c >= 48 && c <= 57 && d >= 48 && d <= 57;
}

/**
 * The first detector of DETECTION_ORDER that matches a value, or null: the same answer as trying each in turn
 * (a test holds that), with the value's first character, length and separators looked at once, so that most
 * values reach one or two regular expressions at most.
 */
export function detectValue(v: string): DetectorName | null {
  const n = v.length;
  if (n === 0) return null;
  const c0 = v.charCodeAt(0);
  const digit0 = c0 >= 48 && c0 <= 57;
  const lower0 = c0 | 32;
  if (c0 === 45 && testDetector('pem', v)) return 'pem';
  if (c0 === 101 && testDetector('jwt', v)) return 'jwt';
  if (n >= 20 && n <= 120 && (c0 === 65 || c0 === 103 || c0 === 120 || c0 === 115 || c0 === 114) && testDetector('cloud-key', v)) return 'cloud-key';
  if (n >= 30 && lower0 === 104 && testDetector('webhook', v)) return 'webhook';
  const at = v.indexOf('@');
  if (at >= 1 && testDetector('email', v)) return 'email';
  if (digit0 && testDetector('ipv4', v)) return 'ipv4';
  const colon = v.indexOf(':');
  if (colon !== -1 && testDetector('ipv6', v)) return 'ipv6';
  if (n >= 14 && n <= 17 && testDetector('mac', v)) return 'mac';
  if (colon >= 2 && testDetector('url', v)) return 'url';
  if (lower0 === 115 && testDetector('sid', v)) return 'sid';
  if (lower0 === 99 && testDetector('cve', v)) return 'cve';
  if (n === 64 && testDetector('sha256', v)) return 'sha256';
  if (n === 40 && testDetector('sha1', v)) return 'sha1';
  if (n === 32 && testDetector('md5', v)) return 'md5';
  if (n >= 36 && n <= 38 && testDetector('guid', v)) return 'guid';
  if (n === 11 && digit0 && testDetector('ssn', v)) return 'ssn';
  if (n >= 13 && n <= 23 && digit0 && testDetector('card', v)) return 'card';
  if (n >= 15 && n <= 42 && !digit0 && testDetector('iban', v)) return 'iban';
  if ((c0 === 43 || c0 === 40) && testDetector('phone', v)) return 'phone';
  if (v.indexOf('.') > 0 && testDetector('fqdn', v)) return 'fqdn';
  return null;
}

/** The order detectors are tried in when a field's name says nothing: most specific first. */
export const DETECTION_ORDER: readonly DetectorName[] = [
  'pem', 'jwt', 'cloud-key', 'webhook', 'email', 'ipv4', 'ipv6', 'mac', 'url', 'sid', 'cve', 'sha256', 'sha1', 'md5', 'guid', 'ssn', 'card', 'iban', 'phone', 'fqdn',
];

/** A scalar leaf as a string for the detectors (first string element of an array of scalars). */
export function valueText(v: unknown): string | null {
  if (typeof v === 'string') {
    const n = v.length;
    return n > 0 && (v.charCodeAt(0) <= 32 || v.charCodeAt(n - 1) <= 32) ? v.trim() : v;
  }
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) {
    for (const x of v) if (typeof x === 'string' || typeof x === 'number') return String(x).trim();
  }
  return null;
}

/** The whole text of a leaf for free-text scans (arrays joined). */
export function fullText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.filter((x) => typeof x === 'string' || typeof x === 'number').join(' ');
  return typeof v === 'number' ? String(v) : '';
}

// A credential written into text: `password=…`, `pwd: …`, `token=…`, `$pw = '…'`, `-Password …`, `"password":"…"`
// (JSON held in a string), a Bearer or JWT token, a URL with user:password@, a connection string's `Password=…;`.
const SECRET_ASSIGN = /(?:\b|\$|-|_)(?:pass(?:word|wd|phrase)?|pwd|pw|secret|token|api[_-]?key|access[_-]?key|secret[_-]?access[_-]?key|client[_-]?secret|session(?:id|_id)?|jwt|credential|private[_-]?key)s?['"]?\s*(?:=|:|\s+(?=['"]))\s*['"]?[^\s'"&;,]{3,}/i;
const SECRET_TOKEN = /\bbearer\s+[a-z0-9._~+/-]{10,}|\beyJ[a-zA-Z0-9_-]{8,}\.[a-zA-Z0-9_-]{8,}|hooks\.slack\.com\/services\/[a-z0-9/]{20,}/i;
// Keys whose issuers document their shape (case matters): PEM private keys, AWS access key ids, GitHub, Slack, Google, Stripe.
const SECRET_KEYS = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{36,}|\bxox[abposr]-[A-Za-z0-9-]{10,}|\bAIza[0-9A-Za-z_-]{35}\b|\b(?:sk|rk)_live_[0-9A-Za-z]{20,}/;
// user:password@ in a URL or a connection string (`mongodb://u:p@h`, `postgres://…`). Tried only on text holding an '@'.
const SECRET_USERINFO = /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i;
// Command lines also pass credentials positionally or as switches: `net user NAME PASS`, `net use \\srv /user:u p`,
// Cisco `username X password 0 Y`, `-p…` (mysql), `-u user:pass` (curl), `--password x`, `--password=x`, `-pw x`.
const SECRET_COMMAND = /\bnet1?(?:\.exe)?\s+user\s+\S+\s+(?!\/)[^\s/]\S*|\bnet1?(?:\.exe)?\s+use\s+.*\/u(?:ser)?:\S+\s+(?!\/)[^\s/]\S*|\bpassword\s+(?:[07]\s+)?\S{4,}|\s-(?:new|old)?pass(?:word)?\s+\S|ConvertTo-SecureString\s+(?:-String\s+)?['"]|\s-p\s*['"]?[^\s-][^\s]{3,}|\s(?:-u|--user)\s+['"]?[^\s:'"]+:[^\s'"]{2,}|\s--?(?:password|passwd|pass|pw|pwd)(?:=|\s+)['"]?[^\s'"-][^\s'"]*/i;

/** True when a value carries a credential; `command` adds the positional forms of command lines. */
export function carriesSecret(text: string, command: boolean): boolean {
  if (text.length < 6) return false;
  const t = text.length > MAX_SCAN ? text.slice(0, MAX_SCAN) : text;
  return SECRET_ASSIGN.test(t) || SECRET_TOKEN.test(t) || SECRET_KEYS.test(t) || (t.indexOf('@') !== -1 && SECRET_USERINFO.test(t))
    || (command && SECRET_COMMAND.test(t));
}

/** Text is scanned up to this many characters (bounded work per field). */
export const MAX_SCAN = 4096;

const EMAIL_IN = /(?:^|[\s<("'\[,;:=])[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?=$|[\s>)"'\],;:.])/i;
const SID_IN = /\bS-1-5-21(?:-\d+){3,4}\b/;
const DOMAIN_USER_IN = /(?:^|[\s"'(])[A-Z][A-Z0-9-]{1,14}\\[a-z][\w.-]{1,30}\b/;
const USER_ASSIGN_IN = /\b(?:user(?:name)?|account|login|suser|duser)\s*[=:]\s*['"]?[a-z][\w.\\@-]{1,63}/i;
const IPV4_IN = /(?:^|[^\d.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\d.]?\d)/;
const SSN_IN = /(?:^|[^\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/;
const CARD_IN = /(?:^|[^\d])([2-6]\d{3}(?:[ -]?\d{4}){2}[ -]?\d{1,7})(?!\d)/g;
const IBAN_IN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g;
const PHONE_IN = /(?:^|[\s:(=,;])(\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4})(?![\d])/g;

function anyMatch(re: RegExp, text: string, check: (m: string) => boolean): boolean {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (check(m[1] ?? m[0])) return true;
    if (m[0] === '') re.lastIndex++;
  }
  return false;
}

/** What free text says about a person, once over the text: the most sensitive of what it carries, or null. */
export function freeTextCategory(text: string): Category | null {
  const t = text.length > MAX_SCAN ? text.slice(0, MAX_SCAN) : text;
  let digits = 0;
  for (let i = 0; i < t.length && digits < 9; i++) { const c = t.charCodeAt(i); if (c >= 48 && c <= 57) digits++; }
  if (digits >= 9) {
    if (t.indexOf('-') !== -1 && SSN_IN.test(t)) return 'government-id';
    if (anyMatch(CARD_IN, t, isCardNumber)) return 'financial';
    if (anyMatch(IBAN_IN, t, isIban)) return 'financial';
  }
  if (EMAIL_IN.test(t) || SID_IN.test(t) || DOMAIN_USER_IN.test(t) || USER_ASSIGN_IN.test(t)) return 'direct-identifier';
  if (digits >= 7 && t.indexOf('+') !== -1 && anyMatch(PHONE_IN, t, isPhoneNumber)) return 'direct-identifier';
  if (IPV4_IN.test(t)) return 'online-identifier';
  return null;
}

const RANK: Record<Category, number> = {
  'non-personal': 0, unknown: 1, location: 2, 'online-identifier': 3, content: 4, 'direct-identifier': 5, financial: 6, 'government-id': 7, secret: 8,
};
/** The more sensitive of two categories. */
export function moreSensitive(a: Category, b: Category): Category {
  return RANK[b] > RANK[a] ? b : a;
}
