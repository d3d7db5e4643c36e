/** Runs the steps for each target and gives each a verdict and a one-line fix. */
import net from 'node:net';
import type tls from 'node:tls';
import { pickProxy, type ResolveEntry } from './options.ts';
import { defaultLookup, dnsStep, httpStep, tcpStep, tlsHandshake, tlsStep, type LookupFn, type StepContext } from './steps.ts';
import type { RegionResult, Target, HostVerdict, VerifyReport } from './types.ts';

export interface VerifyOptions {
  timeoutMs: number;
  resolve?: readonly ResolveEntry[];
  /** PEM of the CA to trust instead of the system roots. */
  caPem?: string | null;
  /** The --ca file name, for messages. */
  caFile?: string | null;
  /** --proxy: undefined = from the environment, '' = none. */
  proxy?: string;
  env?: NodeJS.ProcessEnv;
  token?: string | null;
  lookup?: LookupFn;
}

const hp = (h: string, p: number) => (net.isIPv6(h) ? `[${h}]:${p}` : `${h}:${p}`);

/** One line saying what to open or change, from the verdict. Pure. */
export function fixFor(verdict: HostVerdict, target: Target, ctx: { proxy: string | null; addresses: readonly string[]; caFile: string | null }): string | undefined {
  const where = hp(target.host, target.port);
  const addrs = ctx.addresses.length ? ` (${ctx.addresses.join(', ')})` : '';
  const proxyNote = ctx.proxy ? ` on the proxy ${ctx.proxy}` : '';
  switch (verdict) {
    case 'healthy':
      return undefined;
    case 'dns-failure':
      return ctx.proxy
        ? `Make the proxy host of ${ctx.proxy} resolvable, or give its address with --resolve HOST:PORT:ADDR.`
        : `Make ${target.host} resolvable (A/AAAA) by this machine's DNS, or map it in /etc/hosts; --resolve ${target.host}:${target.port}:ADDR tests without DNS.`;
    case 'refused':
      return ctx.proxy
        ? `Allow CONNECT to ${where}${proxyNote}, and outbound TCP ${target.port} to ${target.host} from the proxy.`
        : `Open outbound TCP ${target.port} to ${target.host}${addrs}: the connection is actively refused or reset (a REJECT rule, or nothing listening).`;
    case 'timeout':
      return ctx.proxy
        ? `Open outbound TCP ${target.port} to ${target.host} from the proxy ${ctx.proxy} (and to the proxy from here): packets are dropped silently.`
        : `Open outbound TCP ${target.port} to ${target.host}${addrs}: packets are dropped silently (a DROP rule or no route), or the server does not answer.`;
    case 'tls-intercepted':
      return `Exempt ${target.host} from TLS inspection${proxyNote || ' on the proxy/firewall'} (HEC clients must see the ingestor's own certificate), or if this CA is intended, trust it with --ca FILE.`;
    case 'tls-failure':
      return `Check that ${where} is the ingestor (SNI ${target.host}) and that nothing in between rewrites TLS; trust the right CA with --ca FILE${ctx.caFile ? ` (now: ${ctx.caFile})` : ''}.`;
    case 'http-error':
      return `The network path to ${where} is open; fix the HEC answer shown (token, region, or server health) and retry.`;
  }
}

/** Checks one target, step by step; a failed step ends the checks of that target. */
export async function verifyTarget(target: Target, opts: VerifyOptions): Promise<RegionResult> {
  const env = opts.env ?? process.env;
  const proxy = pickProxy(opts.proxy, env, target.host, target.port);
  const ctx: StepContext = {
    host: target.host,
    port: target.port,
    timeoutMs: opts.timeoutMs,
    resolve: opts.resolve ?? [],
    proxy,
    caPem: opts.caPem ?? null,
    caLabel: opts.caFile ? `--ca ${opts.caFile}` : 'system roots',
    lookup: opts.lookup ?? defaultLookup,
  };
  const result: RegionResult = { region: target.region, host: target.host, port: target.port, verdict: 'healthy', steps: [] };
  let addresses: string[] = [];
  const end = (verdict: HostVerdict): RegionResult => {
    result.verdict = verdict;
    const fix = fixFor(verdict, target, { proxy: proxy?.display ?? null, addresses, caFile: opts.caFile ?? null });
    if (fix) result.fix = fix;
    return result;
  };

  const dns = await dnsStep(ctx);
  result.steps.push(dns.result);
  if (dns.verdict || !dns.value) return end(dns.verdict ?? 'dns-failure');
  addresses = dns.value;

  const tcp = await tcpStep(ctx, addresses);
  result.steps.push(tcp.result);
  if (tcp.verdict || !tcp.value) return end(tcp.verdict ?? 'refused');
  const connected = tcp.value;

  const t = await tlsStep(ctx, connected.socket);
  result.steps.push(t.result);
  if (t.verdict || !t.value) return end(t.verdict ?? 'tls-failure');

  // A second connection, should the server close the first between the two HTTP requests.
  const reconnect = async (): Promise<tls.TLSSocket> => {
    const again = await tcpStep(ctx, [connected.address]);
    if (!again.value) throw new Error(`reconnect failed: ${again.result.detail}`);
    const s = await tlsHandshake(again.value.socket, ctx);
    if ('verdict' in s) throw new Error(`reconnect failed: ${s.text}`);
    return s;
  };
  const http = await httpStep(ctx, t.value, opts.token ?? null, reconnect);
  result.steps.push(http.result);
  if (http.verdict) return end(http.verdict);
  return end('healthy');
}

/** Checks all targets concurrently; results keep the targets' order. */
export async function verifyTargets(targets: readonly Target[], opts: VerifyOptions): Promise<VerifyReport> {
  const regions = await Promise.all(targets.map((t) => verifyTarget(t, opts)));
  return { regions };
}

/** The JSON document of `verify --json`. */
export function reportToJson(report: VerifyReport): string {
  return JSON.stringify({
    regions: report.regions.map((r) => ({
      region: r.region,
      host: r.host,
      verdict: r.verdict,
      steps: r.steps.map((s) => ({ step: s.step, ok: s.ok, ms: s.ms, detail: s.detail })),
      ...(r.fix ? { fix: r.fix } : {}),
    })),
  }, null, 2);
}
