/**
 * The settings the environment and `serve`'s flags can give, in one table: each names its config key (a path of
 * the config file), its SIM_* variable and its flag. The value's type is the schema's (text is coerced by it,
 * src/config/layers.ts), so nothing here checks values by hand; the serve command defines its flags from this
 * table and docs/configuration.md lists both from it. The layers made from it are src/config/sources.ts.
 * Light on purpose (commander and SchemaError, no Ajv): `ingestor-sim serve --help` loads it, and
 * tests/unit/tools/cli/help-imports.test.ts fails if that help loads more than it should.
 */
import { Option } from 'commander';
import { SchemaError } from './schema-error.ts';

export interface SettingDef {
  /** The config key, dotted as in the docs (listen.port). */
  readonly key: string;
  /** The environment variable (between the config file and the flags). */
  readonly env: string;
  /** The serve flag as commander defines it ('--port <n>'). */
  readonly flag: string;
  readonly description: string;
  /** The property of ConfigOverrides (the programmatic layer of tests and benchmarks) that sets it. */
  readonly override: string;
  /** Text → value before the schema sees it, for values the schema cannot read from text (us=8088,eu=8089). */
  readonly parse?: (text: string) => unknown;
  /** With `parse`: the text's form, for the docs. */
  readonly textForm?: string;
}

/** Parses `us=8088,eu=8089`. */
export function parseRegionPorts(spec: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z]{2,4})=(\d{1,5})$/.exec(part);
    if (!m || Number(m[2]) > 65535) throw new SchemaError('--region-ports', [`'${part}' is not <region>=<port> (e.g. us=8088,eu=8089)`]);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

export const SETTINGS: readonly SettingDef[] = [
  { key: 'listen.host', env: 'SIM_HOST', flag: '--host <addr>', override: 'host', description: 'address to listen on (default 127.0.0.1)' },
  { key: 'listen.port', env: 'SIM_PORT', flag: '--port <n>', override: 'port', description: 'shared port, every region by Host header / SNI (default 8088; 0 = any free port)' },
  { key: 'dataDir', env: 'SIM_DATA_DIR', flag: '--data-dir <dir>', override: 'dataDir', description: 'one folder per region under it: event log, index, lock (default ./data)' },
  { key: 'listen.regionPorts', env: 'SIM_REGION_PORTS', flag: '--region-ports <spec>', override: 'regionPorts', parse: parseRegionPorts, textForm: 'us=8088,eu=8089', description: 'one port per region as well, e.g. eu=8089,jp=8090' },
  { key: 'tls.dir', env: 'SIM_TLS_DIR', flag: '--tls [dir]', override: 'tlsDir', description: "serve HTTPS with the certificates of 'ca init --dir DIR' (SNI picks the region); a folder without a CA gets a new local one on first start" },
  { key: 'store.kind', env: 'SIM_STORE', flag: '--store <kind>', override: 'store', description: 'sqlite | none' },
  { key: 'store.fsync', env: 'SIM_FSYNC', flag: '--fsync <mode>', override: 'fsync', description: 'always | batch | never' },
  { key: 'ingest.workers', env: 'SIM_INGEST_WORKERS', flag: '--ingest-workers <n>', override: 'ingestWorkers', description: 'threads that decode, parse and classify requests (0: in the event loop; default: one per core, at most 4)' },
  { key: 'logLevel', env: 'SIM_LOG_LEVEL', flag: '--log-level <level>', override: 'logLevel', description: 'fatal | error | warn | info | debug | trace | silent' },
  { key: 'permissionsFrom', env: 'SIM_PERMISSIONS_FROM', flag: '--permissions-from <where>', override: 'permissionsFrom', description: 'data | config: when the data folder keeps permissions and settings changed through the admin API, which wins at start (default data; docs/permissions.md)' },
];

/** The property commander stores a flag's value under (--data-dir → dataDir). */
export function flagAttribute(s: SettingDef): string {
  return new Option(s.flag).attributeName();
}
