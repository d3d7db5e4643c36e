import { Option, type Command } from 'commander';
import type { SimConfig } from '../../../config/config.ts';
import { flagAttribute, SETTINGS } from '../../../config/setting-defs.ts';
import { isSimError, SimError } from '../../../errors/sim-error.ts';
import type { RunningServer } from '../../../service/server.ts';
import { DEFAULT_TLS_DIR } from '../../tls/defaults.ts';

// Only what defining the options needs is imported above (commander, the settings' table, the errors), so that
// `serve --help` loads no more than `ingestor-sim --help` does; the config, the service (fastify, the store, the
// classifier ...) and TLS are imported when the action runs (tests/unit/tools/cli/help-imports.test.ts).

interface ServeOpts {
  config?: string;
  allowPublicDev?: boolean;
  /** the settings of SETTINGS (--port, --log-level, …), as commander parsed them: text, or true for --tls alone */
  [setting: string]: string | boolean | undefined;
}

/** The startup banner: where to send data, with which token. */
export function banner(cfg: SimConfig, srv: RunningServer): string {
  const lines: string[] = [];
  const regions = [...srv.app.sim.regions.values()];
  const port = new URL(srv.url).port;
  const scheme = new URL(srv.url).protocol.replace(':', '');
  // Splunk's documented URL first (https://localhost:8088): any host that is not a region's is routed by the token's region
  const host = new URL(srv.url).hostname.replace(/^\[|\]$/g, '');
  const local = ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].includes(host) ? `${scheme}://localhost:${port}` : srv.url;
  lines.push(`ingestor-sim serving ${regions.length} regions on ${local} (any host name: the token's region; listening on ${srv.url})`);
  if (cfg.tls) lines.push(`  tls: certificates of ${cfg.tls.dir}; clients trust ${cfg.tls.dir}/ca.pem (NODE_EXTRA_CA_CERTS=..., curl --cacert ...)`);
  lines.push(`  data: ${cfg.store.kind === 'none' ? 'none (counts only)' : `${cfg.dataDir} (event log + SQLite index, fsync ${cfg.store.fsync})`}`);
  const pool = srv.app.sim.pool;
  lines.push(`  ingest: ${pool ? `${pool.size} worker thread${pool.size === 1 ? '' : 's'} (decode, parse, classify)` : 'in the event loop'}`);
  lines.push(`  or by region host name (Host header${cfg.tls ? ' / TLS SNI' : ''}); *.localhost resolves in curl/browsers, not in Node (map it in /etc/hosts):`);
  for (const r of regions) {
    const own = srv.regionUrls[r.def.id] ? `  port ${srv.regionUrls[r.def.id]}` : '';
    lines.push(`  ${r.def.id.padEnd(4)} ${scheme}://${r.def.localHost}:${port}  Host: ${r.def.ingestorHost}${own}`);
  }
  if (cfg.dev) {
    lines.push('development default (no --config): these tokens are deterministic and public; never expose this server');
  }
  lines.push('tokens:');
  for (const t of cfg.tokens) {
    lines.push(`  ${t.region.padEnd(4)} ${t.token}  tenant ${t.tenant}${t.module ? `  module ${t.module}` : ''}${t.useAck ? '  useAck' : ''}${t.disabled ? '  disabled' : ''}`);
  }
  lines.push(cfg.dev ? `admin token: ${cfg.adminToken}` : 'admin token: (from the config file)');
  const us = cfg.tokens.find((t) => t.region === regions[0]?.def.id && !t.disabled);
  if (us) {
    lines.push('try:');
    lines.push(`  curl -s ${cfg.tls ? `--cacert ${cfg.tls.dir}/ca.pem ` : ''}${local}/services/collector/event -H 'Authorization: Splunk ${us.token}' -d '{"event":{"src_ip":"10.0.0.1","user":"alice"},"sourcetype":"pan:traffic"}'`);
    lines.push(`  curl -s ${cfg.tls ? `--cacert ${cfg.tls.dir}/ca.pem ` : ''}${local}/admin/v1/events -H 'Authorization: Bearer ${cfg.dev ? cfg.adminToken : '<adminToken>'}'`);
  }
  return `${lines.join('\n')}\n`;
}

const TLS_SETTING = SETTINGS.find((s) => s.key === 'tls.dir')!;

export function register(program: Command): void {
  const serve = program
    .command('serve')
    .description('Run the regional ingestor service: Splunk HEC on every region host, admin API on /admin/v1, metrics on /metrics')
    .option('--config <file>', 'JSON config (schemas/config.schema.json); without it: the development default');
  // the settings the environment can give too, from one table (src/config/sources.ts); values are checked by the schema
  for (const s of SETTINGS) {
    serve.addOption(new Option(s.flag, s === TLS_SETTING ? `${s.description}; without DIR: ${DEFAULT_TLS_DIR}` : s.description));
  }
  serve
    .option('--allow-public-dev', 'serve the development default (public tokens, public admin token) on a non-loopback --host anyway')
    .action(async (o: ServeOpts) => {
      const [{ loadServeConfig }, { startServer }, { ensureLocalCa }] = await Promise.all([
        import('../../../config/config.ts'), import('../../../service/server.ts'), import('../../tls/ca.ts'),
      ]);
      let cfg: SimConfig;
      let srv: RunningServer;
      try {
        cfg = loadServeConfig(o.config, process.env, o, { [flagAttribute(TLS_SETTING)]: DEFAULT_TLS_DIR });
        if (cfg.tls) {
          const made = ensureLocalCa(cfg.tls.dir, { regions: cfg.regions });
          if (made) process.stdout.write(made);
        }
        srv = await startServer(cfg, { allowPublicDev: o.allowPublicDev === true, regions: cfg.regions });
      } catch (err) {
        if (isSimError(err)) throw err; // exits with its code's status (src/errors/codes.ts: 2 for a config error)
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
          throw new SimError('SIM_ERR_CLI_FAILED', { detail: `cannot listen: ${e.message}` });
        }
        throw err;
      }
      // the signal handlers first, then the banner: a supervisor that reads the banner and stops the server at
      // once must not find the default handler (death by SIGTERM, nothing committed)
      const stopped = new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          process.stderr.write(`ingestor-sim: ${sig}: closing (committing what waits)\n`);
          srv.close().then(resolve, (err) => {
            process.stderr.write(`ingestor-sim: error while closing: ${(err as Error).message}\n`);
            process.exitCode = 1;
            resolve();
          });
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      process.stdout.write(banner(cfg, srv));
      await stopped;
    });
}
