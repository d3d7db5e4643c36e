import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { SimError } from '../../../errors/sim-error.ts';
import type { ResolveEntry } from '../../verify/options.ts';

// Only what defining the options needs is imported above, so that `verify --help` loads no more than
// `ingestor-sim --help` does; the checks (undici, TLS, DNS), their option parsers and the regions are imported
// when the action runs (tests/unit/tools/cli/help-imports.test.ts).

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
      const [{ X509Certificate }, { verifyTargets, reportToJson }, { formatTable }, { parseDuration, parseResolve, parseProxyUrl }, { targetsFrom }] = await Promise.all([
        import('node:crypto'), import('../../verify/check.ts'), import('../../verify/format.ts'), import('../../verify/options.ts'),
        import('../../verify/targets.ts'),
      ]);
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
