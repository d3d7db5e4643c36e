import type { Command } from 'commander';
import { envOverrides, loadConfig, parseRegionPorts, type ConfigOverrides, type SimConfig } from '../../../config/config.ts';
import { SchemaError } from '../../../config/schema.ts';
import { isSimError, SimError } from '../../../errors/sim-error.ts';
import { startServer, type RunningServer } from '../../../service/server.ts';
import { DEFAULT_TLS_DIR, ensureLocalCa } from '../../tls/ca.ts';

interface ServeOpts {
  config?: string;
  host?: string;
  port?: string;
  dataDir?: string;
  regionPorts?: string;
  tls?: string | true;
  store?: string;
  fsync?: string;
  ingestWorkers?: string;
  logLevel?: string;
  permissionsFrom?: string;
  allowPublicDev?: boolean;
}

function portArg(v: string, what: string): number {
  const n = Number(v);
  if (!/^\d{1,5}$/.test(v) || n > 65535) throw new SimError('SIM_ERR_USAGE', { detail: `${what}: '${v}' is not a port number (0-65535)` });
  return n;
}

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], what: string): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new SimError('SIM_ERR_USAGE', { detail: `${what}: '${v}' is not one of ${allowed.join(', ')}` });
  return v as T;
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

export function register(program: Command): void {
  program
    .command('serve')
    .description('Run the regional ingestor service: Splunk HEC on every region host, admin API on /admin/v1, metrics on /metrics')
    .option('--config <file>', 'JSON config (schemas/config.schema.json); without it: the development default')
    .option('--host <addr>', 'address to listen on (default 127.0.0.1)')
    .option('--port <n>', 'shared port, every region by Host header / SNI (default 8088; 0 = any free port)')
    .option('--data-dir <dir>', 'one folder per region under it: event log, index, lock (default ./data)')
    .option('--region-ports <spec>', 'one port per region as well, e.g. eu=8089,jp=8090')
    .option('--tls [dir]', `serve HTTPS with the certificates of 'ca init --dir DIR' (SNI picks the region); without DIR: ${DEFAULT_TLS_DIR}; a folder without a CA gets a new local one on first start`)
    .option('--store <kind>', 'sqlite | none')
    .option('--fsync <mode>', 'always | batch | never')
    .option('--ingest-workers <n>', 'threads that decode, parse and classify requests (0: in the event loop; default: one per core, at most 4)')
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent')
    .option('--permissions-from <where>', 'data | config: when the data folder keeps permissions and settings changed through the admin API, which wins at start (default data; docs/permissions.md)')
    .option('--allow-public-dev', 'serve the development default (public tokens, public admin token) on a non-loopback --host anyway')
    .action(async (o: ServeOpts) => {
      const cli: ConfigOverrides = {};
      if (o.host !== undefined) cli.host = o.host;
      if (o.port !== undefined) cli.port = portArg(o.port, '--port');
      if (o.dataDir !== undefined) cli.dataDir = o.dataDir;
      if (o.tls !== undefined) cli.tlsDir = o.tls === true ? DEFAULT_TLS_DIR : o.tls;
      const store = oneOf(o.store, ['sqlite', 'none'] as const, '--store');
      if (store) cli.store = store;
      const fsync = oneOf(o.fsync, ['always', 'batch', 'never'] as const, '--fsync');
      if (fsync) cli.fsync = fsync;
      if (o.ingestWorkers !== undefined) {
        if (!/^\d{1,2}$/.test(o.ingestWorkers) || Number(o.ingestWorkers) > 64) throw new SimError('SIM_ERR_USAGE', { detail: `--ingest-workers: '${o.ingestWorkers}' is not a number of threads (0-64)` });
        cli.ingestWorkers = Number(o.ingestWorkers);
      }
      const level = oneOf(o.logLevel, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, '--log-level');
      if (level) cli.logLevel = level;
      const pf = oneOf(o.permissionsFrom, ['data', 'config'] as const, '--permissions-from');
      if (pf) cli.permissionsFrom = pf;
      let cfg: SimConfig;
      let srv: RunningServer;
      try {
        if (o.regionPorts !== undefined) cli.regionPorts = parseRegionPorts(o.regionPorts);
        cfg = loadConfig(o.config, envOverrides(process.env), cli);
        if (cfg.tls) {
          const made = ensureLocalCa(cfg.tls.dir);
          if (made) process.stdout.write(made);
        }
        srv = await startServer(cfg, { allowPublicDev: o.allowPublicDev === true });
      } catch (err) {
        if (err instanceof SchemaError) throw new SimError('SIM_ERR_USAGE', { detail: err.message });
        if (isSimError(err)) throw err; // exits with its code's status (src/errors/codes.ts)
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
