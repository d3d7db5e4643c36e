/**
 * The four checks of `verify`, each bounded by the timeout: DNS, TCP (direct or through an HTTP CONNECT proxy),
 * TLS (SNI, chain, host name, protocol, issuer) and HTTP (HEC health, and with a token an authenticated no-op).
 * Every function resolves (never rejects) to a StepResult plus, on failure, the verdict it implies.
 */
import { randomUUID } from 'node:crypto';
import { lookup as systemLookup } from 'node:dns/promises';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { Client } from 'undici';
import { resolveOverride, type ProxySpec, type ResolveEntry } from './options.ts';
import type { StepResult, HostVerdict } from './types.ts';

export type LookupFn = (host: string) => Promise<Array<{ address: string; family: number }>>;

/** Looks up A and AAAA through the system resolver (getaddrinfo: /etc/hosts, then DNS), as HEC clients do. */
export const defaultLookup: LookupFn = (host) => systemLookup(host, { all: true, verbatim: true });

export interface StepContext {
  host: string;
  port: number;
  timeoutMs: number;
  resolve: readonly ResolveEntry[];
  proxy: ProxySpec | null;
  /** PEM of the CA to trust instead of the system roots; null: system roots. */
  caPem: string | null;
  /** What to call the trust anchors in messages: the --ca file name or 'system roots'. */
  caLabel: string;
  lookup: LookupFn;
}

export interface StepOutcome<T> {
  result: StepResult;
  verdict: HostVerdict | null;
  value: T | null;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

function done<T>(step: StepResult['step'], t0: number, ok: boolean, detail: string, verdict: HostVerdict | null, value: T | null): StepOutcome<T> {
  return { result: { step, ok, ms: round(performance.now() - t0), detail }, verdict, value };
}

function fail(step: StepResult['step'], t0: number, detail: string, verdict: HostVerdict): StepOutcome<never> {
  return done<never>(step, t0, false, detail, verdict, null);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<'timeout'>((res) => { timer = setTimeout(() => res('timeout'), ms); }),
  ]);
}

const hostPort = (h: string, p: number) => (net.isIPv6(h) ? `[${h}]:${p}` : `${h}:${p}`);

// ---------------------------------------------------------------- DNS

async function resolveName(name: string, port: number, ctx: StepContext): Promise<{ addresses: string[]; how: string } | { error: string }> {
  if (net.isIP(name)) return { addresses: [name], how: 'IP address (no lookup)' };
  const forced = resolveOverride(ctx.resolve, name, port);
  if (forced) return { addresses: forced, how: `--resolve ${name}:${port} (no DNS query)` };
  const lower = name.toLowerCase().replace(/\.$/, '');
  if (lower === 'localhost' || lower.endsWith('.localhost')) {
    // RFC 6761 §6.3: localhost names are loopback; curl and browsers answer them without asking DNS.
    return { addresses: ['127.0.0.1', '::1'], how: 'A 127.0.0.1; AAAA ::1 (.localhost is loopback, RFC 6761: no DNS query)' };
  }
  try {
    const r = await withTimeout(ctx.lookup(name), ctx.timeoutMs);
    if (r === 'timeout') return { error: `no answer for ${name} within ${ctx.timeoutMs} ms` };
    if (r.length === 0) return { error: `no A or AAAA record for ${name}` };
    const a = r.filter((x) => x.family === 4).map((x) => x.address);
    const aaaa = r.filter((x) => x.family === 6).map((x) => x.address);
    const parts = [a.length ? `A ${a.join(', ')}` : 'no A', aaaa.length ? `AAAA ${aaaa.join(', ')}` : 'no AAAA'];
    return { addresses: r.map((x) => x.address), how: parts.join('; ') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOTFOUND' ? 'no such name or no A/AAAA record (ENOTFOUND)'
      : code === 'EAI_AGAIN' ? 'the resolver did not answer (EAI_AGAIN, temporary failure)'
      : `${code ?? 'error'}: ${(err as Error).message}`;
    return { error: `${name}: ${why}` };
  }
}

/** DNS: the target's A/AAAA (or, through a proxy, the proxy's: the proxy resolves the target). */
export async function dnsStep(ctx: StepContext): Promise<StepOutcome<string[]>> {
  const t0 = performance.now();
  if (ctx.proxy) {
    const r = await resolveName(ctx.proxy.host, ctx.proxy.port, ctx);
    if ('error' in r) return fail('dns', t0, `proxy ${ctx.proxy.display}: ${r.error}`, 'dns-failure');
    return done('dns', t0, true, `proxy ${ctx.proxy.display}: ${r.how}; ${ctx.host} is resolved by the proxy`, null, r.addresses);
  }
  const r = await resolveName(ctx.host, ctx.port, ctx);
  if ('error' in r) return fail('dns', t0, r.error, 'dns-failure');
  return done('dns', t0, true, r.how, null, r.addresses);
}

// ---------------------------------------------------------------- TCP

type ConnFailure = { kind: 'refused' | 'timeout' | 'unreachable' | 'other'; text: string };

function connectOnce(address: string, port: number, timeoutMs: number): Promise<net.Socket | ConnFailure> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ kind: 'timeout', text: `${hostPort(address, port)} no answer within ${timeoutMs} ms (packets dropped)` });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      const code = err.code ?? 'error';
      if (code === 'ECONNREFUSED') resolve({ kind: 'refused', text: `${hostPort(address, port)} refused (ECONNREFUSED: RST to the SYN)` });
      else if (code === 'ECONNRESET') resolve({ kind: 'refused', text: `${hostPort(address, port)} reset (ECONNRESET)` });
      else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') resolve({ kind: 'unreachable', text: `${hostPort(address, port)} unreachable (${code}: ICMP reject or no route)` });
      else if (code === 'ETIMEDOUT') resolve({ kind: 'timeout', text: `${hostPort(address, port)} timed out (ETIMEDOUT)` });
      else resolve({ kind: 'other', text: `${hostPort(address, port)} ${code}: ${err.message}` });
    });
  });
}

/** Tries the addresses in order; the first that connects wins. */
async function connectAny(addresses: readonly string[], port: number, timeoutMs: number): Promise<{ socket: net.Socket; address: string; failures: ConnFailure[] } | { failures: ConnFailure[] }> {
  const failures: ConnFailure[] = [];
  for (const a of addresses) {
    const r = await connectOnce(a, port, timeoutMs);
    if (r instanceof net.Socket) return { socket: r, address: a, failures };
    failures.push(r);
  }
  return { failures };
}

function failureVerdict(failures: readonly ConnFailure[]): HostVerdict {
  return failures.some((f) => f.kind !== 'timeout') ? 'refused' : 'timeout';
}

/** Sends CONNECT host:port and reads the proxy's status line; resolves to the status code and reason. */
function httpConnect(socket: net.Socket, ctx: StepContext): Promise<{ status: number; reason: string } | ConnFailure> {
  return new Promise((resolve) => {
    const target = hostPort(ctx.host, ctx.port);
    let buf = Buffer.alloc(0);
    const finish = (r: { status: number; reason: string } | ConnFailure) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      resolve(r);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', text: `proxy did not answer CONNECT ${target} within ${ctx.timeoutMs} ms` }), ctx.timeoutMs);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) {
        if (buf.length > 16_384) finish({ kind: 'other', text: 'proxy answer to CONNECT has no end of headers in 16 KiB' });
        return;
      }
      const m = /^HTTP\/1\.[01] (\d{3}) ?([^\r\n]*)/.exec(buf.subarray(0, end).toString('latin1'));
      if (!m) return finish({ kind: 'other', text: `proxy answered CONNECT with something that is not HTTP: ${JSON.stringify(buf.subarray(0, 40).toString('latin1'))}` });
      const rest = buf.subarray(end + 4);
      if (rest.length) socket.unshift(rest);
      socket.pause();
      finish({ status: Number(m[1]), reason: m[2] });
    };
    const onError = (err: NodeJS.ErrnoException) => finish({ kind: 'refused', text: `proxy connection failed during CONNECT: ${err.code ?? err.message}` });
    const onClose = () => finish({ kind: 'refused', text: 'proxy closed the connection without answering CONNECT' });
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    const headers = [`CONNECT ${target} HTTP/1.1`, `Host: ${target}`, 'User-Agent: ingestor-sim-verify'];
    if (ctx.proxy?.auth) headers.push(`Proxy-Authorization: Basic ${Buffer.from(ctx.proxy.auth).toString('base64')}`);
    socket.write(`${headers.join('\r\n')}\r\n\r\n`);
  });
}

export interface TcpValue {
  socket: net.Socket;
  /** The address that answered (the proxy's when a proxy is used). */
  address: string;
}

/** TCP: connect to the first address that answers; through a proxy, connect to it and CONNECT to host:port. */
export async function tcpStep(ctx: StepContext, addresses: readonly string[]): Promise<StepOutcome<TcpValue>> {
  const t0 = performance.now();
  const port = ctx.proxy ? ctx.proxy.port : ctx.port;
  const r = await connectAny(addresses, port, ctx.timeoutMs);
  if (!('socket' in r)) {
    const what = ctx.proxy ? `proxy ${ctx.proxy.display} unreachable: ` : '';
    return fail('tcp', t0, what + r.failures.map((f) => f.text).join('; '), failureVerdict(r.failures));
  }
  const earlier = r.failures.length ? ` (after: ${r.failures.map((f) => f.text).join('; ')})` : '';
  if (!ctx.proxy) return done('tcp', t0, true, `connected to ${hostPort(r.address, port)}${earlier}`, null, { socket: r.socket, address: r.address });
  const c = await httpConnect(r.socket, ctx);
  const target = hostPort(ctx.host, ctx.port);
  if ('kind' in c) {
    r.socket.destroy();
    return fail('tcp', t0, `via proxy ${ctx.proxy.display}: ${c.text}`, c.kind === 'timeout' ? 'timeout' : 'refused');
  }
  if (c.status < 200 || c.status > 299) {
    r.socket.destroy();
    const meaning = c.status === 502 ? 'the proxy could not connect (refused or reset upstream)'
      : c.status === 504 ? 'the proxy timed out connecting (dropped upstream)'
      : c.status === 407 ? 'the proxy wants credentials (put user:password in the proxy URL)'
      : c.status === 403 ? 'the proxy policy denies this host or port'
      : 'the proxy refused the tunnel';
    return fail('tcp', t0, `via proxy ${ctx.proxy.display}: CONNECT ${target} answered ${c.status} ${c.reason}: ${meaning}`, c.status === 504 ? 'timeout' : 'refused');
  }
  return done('tcp', t0, true, `via proxy ${ctx.proxy.display} (${hostPort(r.address, port)}): CONNECT ${target} answered ${c.status} ${c.reason}`, null, { socket: r.socket, address: r.address });
}

// ---------------------------------------------------------------- TLS

/** OpenSSL verify errors that mean "the chain does not lead to a trusted CA" (as opposed to expiry, a bad signature...). */
export const UNTRUSTED_CHAIN_ERRORS = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_UNTRUSTED',
]);

export interface CertFacts {
  /** node:tls authorization: the chain verified against the trust anchors. */
  authorized: boolean;
  /** OpenSSL's verify error code when not authorized. */
  authorizationError: string | null;
  /** tls.checkServerIdentity's message when the certificate is not for the host, else null. */
  nameError: string | null;
  /** Leaf subject CN, its SAN names, issuer (CN / O), whether the leaf is self-signed. */
  subjectCN: string;
  subjectAltNames: string;
  issuer: string;
  selfSigned: boolean;
  validTo: string;
}

/**
 * The TLS rule (pure): a handshake that completed is judged on its certificate.
 * - chain valid and name matches: ok;
 * - name matches, within its dates, not self-signed, but the chain does not lead to the expected CA (the --ca file, or
 *   the system roots): 'tls-intercepted': a valid-looking certificate for the host from another CA is what a
 *   TLS-inspecting proxy or firewall presents;
 * - anything else (name mismatch, expired, self-signed leaf, bad signature...): 'tls-failure'.
 */
export function judgeCertificate(f: CertFacts): { verdict: HostVerdict | null; why: string } {
  if (f.authorized && !f.nameError) return { verdict: null, why: 'chain valid, name matches' };
  if (f.nameError) {
    return { verdict: 'tls-failure', why: `certificate is not for this host: ${f.nameError}${f.authorized ? '' : `; chain: ${f.authorizationError}`}` };
  }
  if (f.authorizationError && UNTRUSTED_CHAIN_ERRORS.has(f.authorizationError) && !f.selfSigned) {
    return { verdict: 'tls-intercepted', why: `certificate for the host issued by '${f.issuer}', which does not chain to the expected CA (${f.authorizationError}): a TLS-inspecting proxy or firewall` };
  }
  if (f.authorizationError === 'DEPTH_ZERO_SELF_SIGNED_CERT' || f.selfSigned) return { verdict: 'tls-failure', why: `self-signed certificate (${f.authorizationError ?? 'self-signed'})` };
  if (f.authorizationError === 'UNSPECIFIED') {
    return { verdict: 'tls-failure', why: 'certificate rejected by OpenSSL without a named reason (UNSPECIFIED: e.g. a name outside the CA\'s name constraints)' };
  }
  return { verdict: 'tls-failure', why: `certificate rejected: ${f.authorizationError ?? 'unknown error'}` };
}

function dn(o: tls.Certificate | undefined): string {
  if (!o) return '?';
  const cn = Array.isArray(o.CN) ? o.CN[0] : o.CN;
  const org = Array.isArray(o.O) ? o.O[0] : o.O;
  return [cn, org && org !== cn ? `O=${org}` : ''].filter(Boolean).join(', ') || '?';
}

export function certFacts(socket: tls.TLSSocket, host: string): CertFacts {
  const cert = socket.getPeerCertificate(false) as tls.PeerCertificate;
  const nameErr = cert && Object.keys(cert).length ? tls.checkServerIdentity(host, cert) : new Error('no certificate');
  const authErr = socket.authorizationError as unknown as string | Error | null;
  const subject = cert?.subject;
  const issuer = cert?.issuer;
  const selfSigned = !!subject && !!issuer && JSON.stringify(subject) === JSON.stringify(issuer);
  return {
    authorized: socket.authorized,
    authorizationError: authErr == null ? null : typeof authErr === 'string' ? authErr : ((authErr as NodeJS.ErrnoException).code ?? authErr.message),
    nameError: nameErr ? nameErr.message : null,
    subjectCN: (Array.isArray(subject?.CN) ? subject?.CN[0] : subject?.CN) ?? '',
    subjectAltNames: cert?.subjectaltname ?? '',
    issuer: dn(issuer),
    selfSigned,
    validTo: cert?.valid_to ?? '',
  };
}

/** Opens TLS over `socket` with SNI = host; resolves to the secure socket or a failure description. */
export function tlsHandshake(socket: net.Socket, ctx: StepContext): Promise<tls.TLSSocket | { verdict: HostVerdict; text: string }> {
  return new Promise((resolve) => {
    socket.resume();
    const s = tls.connect({
      socket,
      servername: net.isIP(ctx.host) ? undefined : ctx.host,
      ca: ctx.caPem ?? undefined,
      rejectUnauthorized: false, // judged below, to tell interception from other failures
      ALPNProtocols: ['http/1.1'],
    });
    const finish = (r: tls.TLSSocket | { verdict: HostVerdict; text: string }) => {
      clearTimeout(timer);
      s.removeAllListeners('secureConnect');
      s.removeAllListeners('error');
      s.removeAllListeners('close');
      if (!(r instanceof tls.TLSSocket)) s.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ verdict: 'timeout', text: `TCP connected, but no TLS answer within ${ctx.timeoutMs} ms: connections are accepted and then dropped (a firewall or proxy holding them, or a hung server)` }), ctx.timeoutMs);
    s.once('secureConnect', () => finish(s));
    s.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (code === 'ECONNRESET' || code === 'EPIPE') {
        finish({ verdict: 'refused', text: `connection reset by the peer during the TLS handshake (${code}): a firewall rejecting with tcp-reset after connect, an SNI filter, or a listener that refuses` });
      } else if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL/.test(code)) {
        finish({ verdict: 'tls-failure', text: `the server does not speak TLS on port ${ctx.port} (plain HTTP?): ${code}` });
      } else {
        finish({ verdict: 'tls-failure', text: `handshake failed: ${code || 'error'} ${err.message}` });
      }
    });
    s.once('close', () => finish({ verdict: 'tls-failure', text: 'the peer closed the connection during the TLS handshake' }));
  });
}

/** TLS: handshake with SNI, then judge the certificate (judgeCertificate). */
export async function tlsStep(ctx: StepContext, socket: net.Socket): Promise<StepOutcome<tls.TLSSocket>> {
  const t0 = performance.now();
  const r = await tlsHandshake(socket, ctx);
  if (!(r instanceof tls.TLSSocket)) return fail('tls', t0, r.text, r.verdict);
  const f = certFacts(r, ctx.host);
  const judged = judgeCertificate(f);
  const detail = `${r.getProtocol() ?? '?'}, certificate CN=${f.subjectCN} (${f.subjectAltNames || 'no SAN'}) issued by '${f.issuer}', trust: ${ctx.caLabel}; ${judged.why}${judged.verdict === null ? `; valid until ${f.validTo}` : ''}`;
  if (judged.verdict) {
    r.destroy();
    return fail('tls', t0, detail, judged.verdict);
  }
  return done('tls', t0, true, detail, null, r);
}

// ---------------------------------------------------------------- HTTP

interface HecAnswer {
  status: number;
  code: number | null;
  text: string | null;
  body: string;
  /** The emulator's X-Sim-Refused-Reason header (why a token was refused), when present. */
  reason?: string | null;
}

type HttpFailure = { error: string; verdict: HostVerdict };

async function hecRequest(client: Client, ctx: StepContext, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<HecAnswer | HttpFailure> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no answer within ${ctx.timeoutMs} ms`)), ctx.timeoutMs);
  try {
    const res = await client.request({ method, path, headers: { 'user-agent': 'ingestor-sim-verify', ...headers }, body, signal: ac.signal });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size <= 65_536) chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    let code: number | null = null;
    let hecText: string | null = null;
    try {
      const j = JSON.parse(text) as { code?: unknown; text?: unknown };
      if (typeof j.code === 'number') code = j.code;
      if (typeof j.text === 'string') hecText = j.text;
    } catch { /* not JSON: judged by the caller */ }
    const reason = res.headers['x-sim-refused-reason'];
    return { status: res.statusCode, code, text: hecText, body: text, reason: typeof reason === 'string' ? reason : null };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (ac.signal.aborted || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') {
      return { error: `no answer within ${ctx.timeoutMs} ms after TLS: the request is held and never answered (dropped)`, verdict: 'timeout' };
    }
    if (e.code === 'ECONNRESET' || e.code === 'UND_ERR_SOCKET' || e.code === 'EPIPE') {
      return { error: `${e.code}: the connection was reset or closed when the request was sent, before any answer (a filtering proxy or firewall, or an unreachable region)`, verdict: 'refused' };
    }
    return { error: `${e.code ?? 'error'}: ${e.message}`, verdict: 'http-error' };
  } finally {
    clearTimeout(timer);
  }
}

const show = (a: HecAnswer) => (a.code !== null ? `${a.status} code ${a.code} '${a.text ?? ''}'` : `${a.status} (not an HEC JSON body: ${JSON.stringify(a.body.slice(0, 60))})`);

/** Judges the health answer: 200 with HEC code 17/24/25 is healthy. */
export function judgeHealth(a: HecAnswer): { ok: boolean; why: string } {
  if (a.status === 200 && a.code !== null && [17, 24, 25].includes(a.code)) return { ok: true, why: show(a) };
  if (a.status === 200 && a.code === null) return { ok: false, why: `${show(a)}: something answers, but not an HEC endpoint (a proxy's or captive portal's page?)` };
  if (a.status === 503) return { ok: false, why: `${show(a)}: HEC is up but unhealthy (busy, queues full or shutting down): retry later` };
  if (a.status === 404) return { ok: false, why: `${show(a)}: no HEC health endpoint on this host and port` };
  return { ok: false, why: show(a) };
}

/**
 * Judges the answer to the authenticated no-op (POST /services/collector/ack with {"acks":[]} and a fresh channel;
 * it stores nothing). Auth is checked first, so: 200 (ACK on) or 400 code 14 "ACK is disabled" (ACK off), or 400
 * code 10/11 (channel rules), mean the token was accepted; 401 code 2/3 and 403 code 1/4 mean it was not.
 */
export function judgeTokenProbe(a: HecAnswer): { ok: boolean; why: string } {
  if (a.status === 200 && a.code === null && /"acks"/.test(a.body)) return { ok: true, why: `200 ${a.body.trim().slice(0, 40)}: token accepted (indexer acknowledgment on)` };
  if (a.status === 200 && a.code === 0) return { ok: true, why: `${show(a)}: token accepted` };
  if (a.status === 400 && a.code === 14) return { ok: true, why: `${show(a)}: token accepted (its indexer acknowledgment is off)` };
  if (a.status === 400 && (a.code === 10 || a.code === 11)) return { ok: true, why: `${show(a)}: token accepted` };
  if (a.code === 4) return { ok: false, why: `${show(a)}: token refused: unknown here (a token of another region, or mistyped)${a.reason ? `; the server says: ${a.reason}` : ''}` };
  if (a.code === 1) return { ok: false, why: `${show(a)}: token refused: it is disabled` };
  if (a.code === 2 || a.code === 3) return { ok: false, why: `${show(a)}: token refused: the Authorization header did not arrive intact (a proxy stripping it?)` };
  if (a.status === 503) return { ok: false, why: `${show(a)}: server busy: retry later` };
  return { ok: false, why: `${show(a)}: unexpected answer` };
}

export type Reconnect = () => Promise<net.Socket>;

/** HTTP: GET /services/collector/health and, with a token, the authenticated no-op, over the checked TLS socket. */
export async function httpStep(ctx: StepContext, socket: tls.TLSSocket, token: string | null, reconnect: Reconnect): Promise<StepOutcome<null>> {
  const t0 = performance.now();
  let first: net.Socket | null = socket;
  const origin = `https://${net.isIPv6(ctx.host) ? `[${ctx.host}]` : ctx.host}:${ctx.port}`;
  const client = new Client(origin, {
    connect: (_opts, cb) => {
      if (first) {
        const s = first;
        first = null;
        setImmediate(() => cb(null, s)); // undici expects the callback after connect() returns
      } else {
        reconnect().then((s) => cb(null, s), (e: Error) => cb(e, null));
      }
    },
    pipelining: 1,
    headersTimeout: ctx.timeoutMs,
    bodyTimeout: ctx.timeoutMs,
  });
  try {
    const parts: string[] = [];
    const h = await hecRequest(client, ctx, 'GET', '/services/collector/health', {});
    if ('error' in h) return fail('http', t0, `GET /services/collector/health: ${h.error}`, h.verdict);
    const hj = judgeHealth(h);
    parts.push(`GET /services/collector/health → ${hj.why}`);
    if (!hj.ok) return fail('http', t0, parts.join('; '), 'http-error');
    if (token !== null) {
      const a = await hecRequest(client, ctx, 'POST', '/services/collector/ack', {
        authorization: `Splunk ${token}`,
        'x-splunk-request-channel': randomUUID(),
        'content-type': 'application/json',
      }, '{"acks":[]}');
      if ('error' in a) return fail('http', t0, `${parts[0]}; POST /services/collector/ack: ${a.error}`, a.verdict);
      const aj = judgeTokenProbe(a);
      parts.push(`POST /services/collector/ack → ${aj.why}`);
      if (!aj.ok) return fail('http', t0, parts.join('; '), 'http-error');
    }
    return done('http', t0, true, parts.join('; '), null, null);
  } finally {
    client.destroy().catch(() => undefined);
  }
}
