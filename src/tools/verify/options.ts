/** Parsing of verify's inputs: --resolve, --timeout, proxy URL and HTTPS_PROXY / NO_PROXY. Pure functions. */
import { isIP } from 'node:net';
import { SimError } from '../../errors/sim-error.ts';

/** Bad input (a flag's value) is SimError SIM_ERR_USAGE: the CLI exits 2 with its detail. */
const usage = (detail: string) => new SimError('SIM_ERR_USAGE', { detail });

/** One `--resolve HOST:PORT:ADDR[,ADDR...]` entry, as curl has it. PORT may be `*` (any port). */
export interface ResolveEntry {
  host: string;
  port: number | '*';
  addresses: string[];
}

function stripBrackets(a: string): string {
  return a.startsWith('[') && a.endsWith(']') ? a.slice(1, -1) : a;
}

/** Parses `HOST:PORT:ADDR[,ADDR]`; IPv6 addresses may be in brackets (`[::1]`). */
export function parseResolve(spec: string): ResolveEntry {
  const m = /^([^:\s]+):(\d{1,5}|\*):(.+)$/.exec(spec.trim());
  if (!m) throw usage(`--resolve '${spec}': expected HOST:PORT:ADDR (e.g. ingestor-us.xdr.trendmicro.com:443:127.0.0.1)`);
  const port = m[2] === '*' ? '*' : Number(m[2]);
  if (port !== '*' && (port < 1 || port > 65535)) throw usage(`--resolve '${spec}': port ${m[2]} is out of range 1-65535`);
  const addresses = m[3].split(',').map((a) => stripBrackets(a.trim()));
  for (const a of addresses) {
    if (isIP(a) === 0) throw usage(`--resolve '${spec}': '${a}' is not an IPv4 or IPv6 address`);
  }
  return { host: m[1].toLowerCase(), port, addresses };
}

/** The addresses that `--resolve` entries give for host:port, or null when none matches (first match wins, as in curl). */
export function resolveOverride(entries: readonly ResolveEntry[], host: string, port: number): string[] | null {
  const h = host.toLowerCase();
  const e = entries.find((x) => x.host === h && (x.port === '*' || x.port === port));
  return e ? e.addresses : null;
}

/** Parses a duration: `5s`, `500ms`, `1.5s`, `1m`, or a bare number of seconds. Returns milliseconds. */
export function parseDuration(text: string, what = '--timeout'): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(text.trim());
  if (!m) throw usage(`${what} '${text}': expected a duration like 5s, 500ms or 1m`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  if (!(ms >= 1) || ms > 600_000) throw usage(`${what} '${text}': must be between 1ms and 10m`);
  return Math.round(ms);
}

export interface ProxySpec {
  host: string;
  port: number;
  /** `user:password` for Proxy-Authorization: Basic, when the URL carries it. */
  auth: string | null;
  /** The URL without credentials, for messages. */
  display: string;
}

/** Parses an HTTP proxy URL (`http://[user:pass@]host[:port]`, default port 80; a bare `host:port` is taken as http). */
export function parseProxyUrl(text: string): ProxySpec {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw usage(`proxy '${text}' is not a URL (expected http://host:port)`);
  }
  if (u.protocol !== 'http:') throw usage(`proxy '${text}': only http:// proxies (HTTP CONNECT) are supported, not ${u.protocol}//`);
  const port = u.port === '' ? 80 : Number(u.port);
  const auth = u.username || u.password ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : null;
  const host = stripBrackets(u.hostname);
  return { host, port, auth, display: `http://${u.host}` };
}

/**
 * Whether NO_PROXY exempts host:port. Entries are comma/space separated: `*` (everything), a host name that also
 * matches its subdomains (`example.com`, `.example.com`), an IP address, each optionally with `:port`.
 */
export function noProxyMatches(noProxy: string | undefined, host: string, port: number): boolean {
  if (!noProxy) return false;
  const h = host.toLowerCase();
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let name = entry;
    let ePort: number | null = null;
    const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (v6) {
      name = v6[1];
      ePort = v6[2] ? Number(v6[2]) : null;
    } else if (entry.split(':').length === 2) {
      const [n, p] = entry.split(':');
      name = n;
      ePort = /^\d+$/.test(p) ? Number(p) : null;
    }
    if (ePort !== null && ePort !== port) continue;
    if (name.startsWith('*.')) name = name.slice(1);
    if (name.startsWith('.')) name = name.slice(1);
    if (h === name || h.endsWith(`.${name}`)) return true;
  }
  return false;
}

/**
 * The proxy to use for host:port: `--proxy` wins; else HTTPS_PROXY / https_proxy (then ALL_PROXY) unless NO_PROXY
 * exempts the host. `--proxy ''` (empty) means no proxy even when the environment sets one.
 */
export function pickProxy(cliProxy: string | undefined, env: NodeJS.ProcessEnv, host: string, port: number): ProxySpec | null {
  if (cliProxy !== undefined) return cliProxy === '' ? null : parseProxyUrl(cliProxy);
  const fromEnv = env.HTTPS_PROXY || env.https_proxy || env.ALL_PROXY || env.all_proxy;
  if (!fromEnv) return null;
  if (noProxyMatches(env.NO_PROXY ?? env.no_proxy, host, port)) return null;
  return parseProxyUrl(fromEnv);
}
