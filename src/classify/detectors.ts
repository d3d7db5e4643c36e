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
    default: break;
  }
  switch (name) {
    case 'ipv4': return v.length >= 7 && v.length <= 15 && isIPv4(v);
    case 'ipv6': return v.length >= 2 && v.length <= 45 && v.includes(':') && isIPv6(v);
    case 'mac': return MAC.test(v);
    case 'email': case 'upn': return v.length <= 254 && EMAIL.test(v);
    case 'url': return URL_RE.test(v);
    case 'fqdn': return v.indexOf('.') > 0 && FQDN.test(v) && !/\.(exe|dll|sys|txt|pdf|docx?|xlsx?|zip|ps1|bat|js|json|xml|log|tmp)$/i.test(v);
    case 'md5': return MD5.test(v);
    case 'sha1': return SHA1.test(v);
    case 'sha256': return SHA256.test(v);
    case 'sid': return SID.test(v);
    case 'guid': return GUID.test(v);
    case 'cve': return CVE.test(v);
    case 'phone': return PHONE.test(v);
    case 'path': return PATH.test(v);
  }
}

/** The order detectors are tried in when a field's name says nothing: most specific first. */
export const DETECTION_ORDER: readonly DetectorName[] = [
  'email', 'ipv4', 'ipv6', 'mac', 'url', 'sid', 'cve', 'sha256', 'sha1', 'md5', 'guid', 'phone', 'fqdn',
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

// A credential written into text: `password=…`, `pwd: …`, `token=…`, `$pw = '…'`, `-Password …`, a Bearer or
// JWT token, a URL with user:password@, `net user NAME PASSWORD`, Cisco `username X password 0 Y`.
const SECRET_ASSIGN = /(?:\b|\$|-|_)(?:pass(?:word|wd|phrase)?|pwd|pw|secret|token|api[_-]?key|access[_-]?key|client[_-]?secret|session(?:id|_id)?|jwt|credential)s?\s*(?:=|:|\s+(?=['"]))\s*['"]?[^\s'"&;,]{3,}/i;
const SECRET_TOKEN = /\bbearer\s+[a-z0-9._~+/-]{10,}|\beyJ[a-zA-Z0-9_-]{8,}\.[a-zA-Z0-9_-]{8,}/i;
// user:password@ in a URL. Tried only on text holding an '@': from every letter the scheme part runs to the end
// of the word, which made this the costliest test of a URL or user agent.
const SECRET_USERINFO = /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i;
// Command lines also pass credentials positionally or as switches.
const SECRET_COMMAND = /\bnet1?(?:\.exe)?\s+user\s+\S+\s+(?!\/)[^\s/]\S*|\bpassword\s+(?:[07]\s+)?\S{4,}|\s-(?:new|old)?pass(?:word)?\s+\S|ConvertTo-SecureString\s+(?:-String\s+)?['"]|\s-p\s*['"]?[^\s-][^\s]{3,}/i;

/** True when a value carries a credential; `command` adds the positional forms of command lines. */
export function carriesSecret(text: string, command: boolean): boolean {
  if (text.length < 6) return false;
  return SECRET_ASSIGN.test(text) || SECRET_TOKEN.test(text) || (text.indexOf('@') !== -1 && SECRET_USERINFO.test(text))
    || (command && SECRET_COMMAND.test(text));
}

const EMAIL_IN = /(?:^|[\s<("'\[,;:=])[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?=$|[\s>)"'\],;:.])/i;
const SID_IN = /\bS-1-5-21(?:-\d+){3,4}\b/;
const DOMAIN_USER_IN = /(?:^|[\s"'(])[A-Z][A-Z0-9-]{1,14}\\[a-z][\w.-]{1,30}\b/;
const USER_ASSIGN_IN = /\b(?:user(?:name)?|account|login|suser|duser)\s*[=:]\s*['"]?[a-z][\w.\\@-]{1,63}/i;
const IPV4_IN = /(?:^|[^\d.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\d.]?\d)/;

/** What free text says about a person: a direct identifier, an online identifier, or nothing. */
export function freeTextCategory(text: string): Category | null {
  if (EMAIL_IN.test(text) || SID_IN.test(text) || DOMAIN_USER_IN.test(text) || USER_ASSIGN_IN.test(text)) {
    return 'direct-identifier';
  }
  if (IPV4_IN.test(text)) return 'online-identifier';
  return null;
}

const RANK: Record<Category, number> = {
  'non-personal': 0, location: 1, 'online-identifier': 2, content: 3, 'direct-identifier': 4, secret: 5,
};
/** The more sensitive of two categories. */
export function moreSensitive(a: Category, b: Category): Category {
  return RANK[b] > RANK[a] ? b : a;
}
