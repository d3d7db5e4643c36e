import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { Command, Option } from 'commander';
import { SimError } from '../../../errors/sim-error.ts';
import { loadRegions, servedRegions } from '../../../service/region/regions.ts';
import { verifyTargets, reportToJson } from '../../verify/check.ts';
import { formatTable } from '../../verify/format.ts';
import { parseDuration, parseResolve, parseProxyUrl, type ResolveEntry } from '../../verify/options.ts';
import type { Target } from '../../verify/types.ts';

interface VerifyFlags {
  region?: string;
  host?: string;
  port?: string;
  local?: boolean;
  resolve: string[];
  ca?: string;
  proxy?: string;
  token?: string;
  timeout: string;
  json?: boolean;
  verbose?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new SimError('SIM_ERR_USAGE', { detail: `--port '${text}' is not a port (1-65535)` });
  return Number(text);
}

/** Which hosts to check, from --region / --host / --port / --local. */
export function targetsFrom(flags: Pick<VerifyFlags, 'region' | 'host' | 'port' | 'local'>): Target[] {
  const all = loadRegions();
  const served = servedRegions(all);
  const port = flags.port !== undefined ? parsePort(flags.port) : null;
  let ids: string[];
  if (flags.region === undefined || flags.region.trim() === 'all') {
    ids = served.map((r) => r.id);
  } else {
    ids = flags.region.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    if (ids.length === 0) throw new SimError('SIM_ERR_USAGE', { detail: `--region '${flags.region}': name at least one region or 'all'` });
    for (const id of ids) {
      const def = all.find((r) => r.id === id);
      if (!def) throw new SimError('SIM_ERR_USAGE', { detail: `--region: unknown region '${id}' (served: ${served.map((r) => r.id).join(', ')}, or all)` });
      if (!def.ingestorHost) throw new SimError('SIM_ERR_USAGE', { detail: `--region: region '${id}' has no ingestor host (${def.note ?? 'not served'})` });
    }
  }
  if (flags.host !== undefined) {
    const host = flags.host.trim().replace(/^\[(.*)\]$/, '$1');
    if (!host || /[\s/]/.test(host)) throw new SimError('SIM_ERR_USAGE', { detail: `--host '${flags.host}' is not a host name or address` });
    if (flags.region !== undefined && ids.length > 1) throw new SimError('SIM_ERR_USAGE', { detail: '--host checks one host: give at most one --region with it (the label of the result)' });
    return [{ region: flags.region !== undefined ? ids[0] : 'custom', host, port: port ?? 443 }];
  }
  return ids.map((id) => {
    const def = served.find((r) => r.id === id)!;
    if (flags.local) return { region: id, host: def.localHost ?? def.ingestorHost!, port: port ?? def.defaultPort ?? 443 };
    return { region: id, host: def.ingestorHost!, port: port ?? 443 };
  });
}

export function register(program: Command): void {
  program
    .command('verify')
    .description('Checks, per regional ingestor host, DNS, TCP, TLS and the HEC endpoint, and says what a firewall or proxy in between does.')
    .option('--region <ids>', "regions to check, comma-separated, or 'all' (default: all served regions)")
    .option('--host <host>', 'check this host instead of the regional ones')
    .option('--port <port>', 'TCP port (default 443; with --local the region\'s emulator port)')
    .option('--local', 'check the emulator names ingestor-<id>.localhost on their default ports (8088...)')
    .option('--resolve <host:port:addr>', 'use ADDR for HOST:PORT instead of DNS, as curl --resolve (repeatable)', collect, [])
    .option('--ca <file>', 'trust this CA certificate (PEM) instead of the system roots')
    .option('--proxy <url>', "HTTP CONNECT proxy (default: HTTPS_PROXY unless NO_PROXY matches; '' for none)")
    .option('--token <token>', 'HEC token: also checks that this host accepts it (an authenticated request that stores nothing)')
    .addOption(new Option('--timeout <duration>', 'per-step timeout, e.g. 5s, 500ms').default('5s'))
    .option('--json', 'print JSON for scripts instead of the table')
    .option('--verbose', "the table also shows each step's detail for healthy regions")
    .action(async (flags: VerifyFlags) => {
      // bad values throw SimError SIM_ERR_USAGE (exit 2)
      const timeoutMs = parseDuration(flags.timeout);
      const resolve: ResolveEntry[] = flags.resolve.map(parseResolve);
      if (flags.proxy) parseProxyUrl(flags.proxy);
      let caPem: string | null = null;
      if (flags.ca !== undefined) {
        try {
          caPem = readFileSync(flags.ca, 'utf8');
        } catch (err) {
          throw new SimError('SIM_ERR_USAGE', { detail: `--ca ${flags.ca}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
        }
        try {
          new X509Certificate(caPem);
        } catch {
          throw new SimError('SIM_ERR_USAGE', { detail: `--ca ${flags.ca}: not a PEM certificate` });
        }
      }
      if (flags.token !== undefined && !flags.token.trim()) throw new SimError('SIM_ERR_USAGE', { detail: '--token is empty' });
      const targets = targetsFrom(flags);
      const report = await verifyTargets(targets, {
        timeoutMs,
        resolve,
        caPem,
        caFile: flags.ca ?? null,
        proxy: flags.proxy,
        token: flags.token ?? null,
      });
      process.stdout.write(flags.json ? `${reportToJson(report)}\n` : formatTable(report, flags.verbose === true));
      process.exitCode = report.regions.every((r) => r.verdict === 'healthy') ? 0 : 1;
    });
}
