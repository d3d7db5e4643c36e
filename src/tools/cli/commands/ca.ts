import { Command } from 'commander';
import { relative } from 'node:path';
import { SimError } from '../../../errors/sim-error.ts';
import { DEFAULT_TLS_DIR } from '../../tls/defaults.ts';

// Only what defining the options needs is imported above, so that `ca --help` loads no more than
// `ingestor-sim --help` does; the CA itself (node-forge, the regions) is imported when `ca init` runs
// (tests/unit/tools/cli/help-imports.test.ts).

export function register(program: Command): void {
  const ca = program.command('ca').description('Local certificate authority for serving the regional host names over TLS.');
  ca.command('init')
    .description('Creates DIR/ca.pem (the certificate to trust) and a certificate per regional host name (real and .localhost) plus localhost. Keeps existing files unless --force.')
    .option('--dir <dir>', 'folder of the CA and the host certificates', DEFAULT_TLS_DIR)
    .option('--force', 'make a new CA and new host certificates even if files exist')
    .action(async (flags: { dir: string; force?: boolean }) => {
      const { createLocalCa, trustHint } = await import('../../tls/ca.ts');
      let r;
      try {
        r = createLocalCa(flags.dir, { force: flags.force === true });
      } catch (err) {
        throw new SimError('SIM_ERR_CLI_FAILED', { detail: (err as Error).message });
      }
      const rel = (p: string) => {
        const r = relative(process.cwd(), p);
        return r === '' || r.startsWith('..') ? p : r;
      };
      const out: string[] = [];
      out.push(r.caCreated ? `Created a new CA in ${rel(r.layout.dir)}` : `Kept the existing CA in ${rel(r.layout.dir)}`);
      out.push(`  CA certificate (trust this): ${rel(r.layout.ca)}`);
      out.push(`  SHA-256 fingerprint: ${r.caFingerprint256}`);
      for (const h of r.layout.hosts) {
        const state = r.written.includes(h.cert) ? 'written' : 'kept';
        out.push(`  ${state.padEnd(7)} ${rel(h.cert)}  (${[...h.dnsNames, ...h.ipAddresses].join(', ')})`);
      }
      out.push('', `Trust ${rel(r.layout.ca)}:`, ...trustHint(rel(r.layout.ca)));
      out.push(`Serve with it: ingestor-sim serve --tls ${rel(r.layout.dir)}`);
      process.stdout.write(out.join('\n') + '\n');
    });
}
