import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { deepFreeze, readJsonFile, schemaValidator, SchemaError } from './schema.ts';
import { attributeAjvErrors, attributeProblem, coerceTextLayer, mergeLayers, type Layer } from './layers.ts';
import { envLayer, flagLayer, overridesLayer } from './sources.ts';
import { loadRegions, servedRegions, type RegionDef } from '../service/region/regions.ts';
import { checkSourcetypeRules, type SourcetypeRuleConfig } from '../pipeline/parse/linebreak.ts';
import type { SecretsPolicy, TenantSettingId, UndeclaredPolicy } from '../pipeline/classify/types.ts';

export { parseRegionPorts, SETTINGS } from './sources.ts';

export type FsyncMode = 'always' | 'batch' | 'never';
export type StoreKind = 'sqlite' | 'none';
/** The undeclared-field policy: one of the filter's actions (src/pipeline/classify/types.ts Action). */
export type UndeclaredPolicyName = UndeclaredPolicy;

export interface TokenDef {
  token: string;
  name?: string;
  tenant: string;
  region: string;
  module?: string;
  useAck?: boolean;
  allowQueryStringAuth?: boolean;
  disabled?: boolean;
  indexes?: string[];
  defaults?: { index?: string; source?: string; sourcetype?: string; host?: string };
}

export interface TenantDef {
  id: string;
  uploadPermission?: Record<string, boolean>;
  /** Tenant settings the data-source page names (src/pipeline/policy/settings.ts). */
  settings?: Partial<Record<TenantSettingId, boolean>>;
  /** What is stored of secret fields' values for this tenant; absent: the config-wide `secrets`. */
  secrets?: SecretsPolicy;
  /** What happens to this tenant's undeclared fields; absent: the config-wide `undeclared`. */
  undeclared?: UndeclaredPolicyName;
}

/**
 * A tenant's secrets and undeclared policies as the config gives them: its own entry's, else the config-wide
 * ones (which follow defaults < file < env < flags). The admin API may change them later (docs/permissions.md).
 */
export function tenantFilterPolicies(cfg: Pick<SimConfig, 'secrets' | 'undeclared'>, t: Pick<TenantDef, 'secrets' | 'undeclared'> | undefined): { secrets: SecretsPolicy; undeclared: UndeclaredPolicyName } {
  return { secrets: t?.secrets ?? cfg.secrets, undeclared: t?.undeclared ?? cfg.undeclared };
}

export interface StoreConfig {
  kind: StoreKind;
  fsync: FsyncMode;
  /**
   * Group commit (fsync=batch): a write that finds the store idle waits this many ms for companions (0: none,
   * it commits at once); writes that arrive while a commit is running always go into the next one ...
   */
  batchMs: number;
  /** ... and one commit takes at most this many events (a commit waiting batchMs starts as soon as they wait). */
  batchEvents: number;
  /** Bound of each region's write queue (events not yet committed); beyond it HEC answers 503 code 9. */
  maxQueuedEvents: number;
  /** Distinct field path shapes a region store keeps (default 10,000; src/store/paths.ts); past them, one overflow bucket. */
  maxFieldPaths?: number;
}

export interface IngestConfig {
  /** Ingest worker threads that decode, parse, classify and filter requests; 0: all in the event loop. */
  workers: number;
}

export interface Limits {
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  maxDepth: number;
  maxEventBytes: number;
  rawTruncate: number;
  maxAckChannels: number;
  /** Ack channels one token may hold; at most (and by default) an equal share of maxAckChannels among the useAck tokens. */
  maxAckChannelsPerToken?: number;
  /** Acks of one channel not yet read as true (Splunk: ..._per_ack_channel, 1,000,000); past it 429 code 27. */
  maxPendingAcksPerChannel: number;
  ackIdleSeconds: number;
  // ---- global bounds (docs/reliability.md): past them HEC answers 503 code 9 at once ----
  /** Bytes of request bodies on the wire held at once, across all HEC requests (received, not yet answered). */
  maxInflightBytes: number;
  /** Bytes of decompressed / decoded bodies held at once, across all requests and ingest threads. */
  maxInflightDecodedBytes: number;
  /** Requests waiting for or in the ingest threads (or the event loop's decode) at once. */
  maxQueuedRequests: number;
  /** Events in one request, /event envelopes or /raw lines; more: 413, nothing of it stored. */
  maxEventsPerRequest: number;
  // ---- connections (src/service/server.ts) ----
  /** Open connections across every port; a new one past it evicts the oldest of the biggest holder, else is refused. */
  maxConnections: number;
  /** Open connections from one remote address. */
  maxConnectionsPerClient: number;
  /** A request's headers must be complete this long after it starts (slowloris bound). */
  headersTimeoutMs: number;
  /** A whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

/** The merged, validated, frozen configuration passed down to buildApp and the server. */
export interface SimConfig {
  adminToken: string;
  tenants: TenantDef[];
  tokens: TokenDef[];
  undeclared: UndeclaredPolicyName;
  /** What is stored of the values of `secret` fields. */
  secrets: SecretsPolicy;
  /** When the data folder keeps permissions too (src/pipeline/policy/persist.ts): which wins at start. */
  permissionsFrom: 'data' | 'config';
  store: StoreConfig;
  ingest: IngestConfig;
  dataDir: string;
  listen: { host: string; port: number; regionPorts: Record<string, number> };
  tls: { dir: string } | null;
  limits: Limits;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** True when no config file was given (the development default). */
  dev: boolean;
  /** Initial fault injection per region (validated by src/service/faults), when the file has any. */
  faults?: Record<string, unknown>;
  /** /raw event breaking and timestamp rules per sourcetype, over the built-in table (docs/raw-events.md). */
  sourcetypes?: Record<string, SourcetypeRuleConfig>;
  /** The indexes that exist (Splunk's answer for any other: 400 code 7); default `main` + every index the tokens name. */
  indexes: string[];
  /** CORS as Splunk's inputs.conf [http] crossOriginSharingPolicy / crossOriginSharingHeaders (src/service/region/cors.ts); '' = off. */
  crossOriginSharingPolicy: string;
  crossOriginSharingHeaders: string;
  /** The served regions (regions/ with an ingestor host), read once per process (src/service/region/regions.ts). */
  regions: readonly RegionDef[];
}

/** What a config file holds (schemas/config.schema.json): everything but adminToken/tenants/tokens is optional. */
export type ConfigFile = Partial<Omit<SimConfig, 'store' | 'ingest' | 'limits' | 'listen' | 'dev' | 'regions' | 'indexes' | 'crossOriginSharingPolicy' | 'crossOriginSharingHeaders'>> & {
  indexes?: string[];
  crossOriginSharingPolicy?: string;
  crossOriginSharingHeaders?: string;
  adminToken: string;
  tenants: TenantDef[];
  tokens: TokenDef[];
  store?: Partial<StoreConfig>;
  ingest?: Partial<IngestConfig>;
  limits?: Partial<Limits>;
  listen?: Partial<SimConfig['listen']>;
};

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 100 * 1024 * 1024,
  maxDecompressedBytes: 200 * 1024 * 1024,
  maxDepth: 100,
  maxEventBytes: 5 * 1024 * 1024,
  rawTruncate: 10_000,
  maxAckChannels: 1_000_000,
  maxPendingAcksPerChannel: 1_000_000,
  ackIdleSeconds: 600,
  maxInflightBytes: 512 * 1024 * 1024,
  maxInflightDecodedBytes: 1024 * 1024 * 1024,
  maxQueuedRequests: 128,
  maxEventsPerRequest: 100_000,
  maxConnections: 8192,
  maxConnectionsPerClient: 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 75_000,
};

export const DEFAULT_STORE: StoreConfig = {
  kind: 'sqlite',
  fsync: 'batch',
  batchMs: 0,
  batchEvents: 5_000,
  maxQueuedEvents: 100_000,
};

/** Ingest worker threads by default: one per core, at most 4 (the event loop then does HTTP and the stores' bookkeeping). */
export function defaultIngestWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

export const DEV_ADMIN_TOKEN = 'dev-admin-token';
export const DEV_TENANT = 'dev';

/**
 * Development tokens: deterministic GUIDs, one per served region, so scripts and docs can use them.
 * They are public; never use the development default beyond your own machine.
 */
export function devTokenFor(index: number): string {
  return `00000000-0000-4000-8000-${(index + 1).toString(16).padStart(12, '0')}`;
}

export function devConfigFile(regions: readonly RegionDef[] = servedRegions(loadRegions())): ConfigFile {
  return {
    adminToken: DEV_ADMIN_TOKEN,
    tenants: [{ id: DEV_TENANT, uploadPermission: {} }],
    tokens: regions.map((r, i) => ({ token: devTokenFor(i), name: `dev-${r.id}`, tenant: DEV_TENANT, region: r.id })),
    undeclared: 'flag',
  };
}

/** Typed values over the config (tests, benchmarks); the same settings as the SIM_* variables and serve's flags (src/config/sources.ts). */
export interface ConfigOverrides {
  host?: string;
  port?: number;
  dataDir?: string;
  regionPorts?: Record<string, number>;
  tlsDir?: string;
  store?: StoreKind;
  fsync?: FsyncMode;
  ingestWorkers?: number;
  logLevel?: SimConfig['logLevel'];
  permissionsFrom?: SimConfig['permissionsFrom'];
}

/**
 * The defaults layer: what the code applies where no source says otherwise (docs/configuration.md's Default
 * column is generated from it; the schema's `default` annotations must agree, a test checks). ingest.workers is
 * not here: its default depends on the machine (defaultsLayer adds it).
 */
export const CONFIG_DEFAULTS: Readonly<Record<string, unknown>> = deepFreeze({
  undeclared: 'flag',
  secrets: 'keep',
  permissionsFrom: 'data',
  store: { ...DEFAULT_STORE },
  dataDir: './data',
  listen: { host: '127.0.0.1', port: 8088, regionPorts: {} },
  limits: { ...DEFAULT_LIMITS },
  logLevel: 'info',
  crossOriginSharingPolicy: '',
  crossOriginSharingHeaders: '',
});

function defaultsLayer(): Layer {
  return { source: 'defaults', data: { ...CONFIG_DEFAULTS, ingest: { workers: defaultIngestWorkers() } } };
}

/** Where the configuration comes from, lowest precedence first after the defaults. */
export interface ConfigSources {
  /** The config file's content and how problems name it ('config file cfg.json'); null: the development default. */
  file: { data: unknown; source: string } | null;
  /** SIM_* variables (src/config/sources.ts SETTINGS); absent: none. */
  env?: NodeJS.ProcessEnv;
  /** serve's parsed options (commander's); `flagBare`: the value of an optional-argument flag given alone (--tls). */
  flags?: Readonly<Record<string, unknown>>;
  flagBare?: Readonly<Record<string, string>>;
  /** Typed layers over everything (tests, benchmarks). */
  overrides?: readonly ConfigOverrides[];
}

/**
 * Builds the configuration from partial layers: defaults < config file (or the development default) < SIM_*
 * environment < flags (< overrides), deep-merged (arrays replace), validated once against
 * schemas/config.schema.json, cross-references checked, deep-frozen. Throws SchemaError
 * (SIM_ERR_CONFIG_INVALID; serve exits 2) with one line per bad value naming its source and path.
 */
export function resolveConfig(src: ConfigSources): SimConfig {
  const regions = servedRegions(loadRegions());
  const dev = src.file === null;
  const what = dev ? 'development config' : 'config';
  let fileLayer: Layer;
  if (src.file === null) fileLayer = { source: 'development default', data: devConfigFile(regions) as unknown as Record<string, unknown> };
  else {
    const d = src.file.data;
    if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new SchemaError(what, [`${src.file.source}: (root): must be a JSON object`]);
    fileLayer = { source: src.file.source, data: d as Record<string, unknown> };
  }
  const problems: string[] = [];
  const layers: Layer[] = [defaultsLayer(), fileLayer];
  if (src.env !== undefined) layers.push(envLayer(src.env, problems));
  if (src.flags !== undefined) layers.push(flagLayer(src.flags, problems, src.flagBare));
  for (const o of src.overrides ?? []) layers.push(overridesLayer(o as Record<string, unknown>));
  for (const l of layers) if (l.given !== undefined) coerceTextLayer(l.data);
  const merged = mergeLayers(layers);
  delete merged.data.$schema;
  const validate = schemaValidator('config');
  if (!validate(merged.data)) problems.push(...attributeAjvErrors(validate.errors ?? [], merged, fileLayer));
  if (problems.length) throw new SchemaError(what, problems, validate.errors ?? []);
  const m = merged.data as unknown as Omit<SimConfig, 'tls' | 'dev' | 'indexes' | 'regions'> & { tls?: { dir: string }; indexes?: string[] };
  const cfg: SimConfig = {
    ...m,
    dataDir: resolve(m.dataDir),
    tls: m.tls ?? null,
    dev,
    indexes: m.indexes ? [...new Set(m.indexes)] : defaultIndexes(m.tokens),
    regions,
  };
  const refs = checkReferences(cfg, regions);
  if (refs.length) throw new SchemaError(what, refs.map((p) => attributeProblem(p, merged, fileLayer)));
  return deepFreeze(cfg);
}

/** resolveConfig of a config file's content (null: the development default) and typed overrides. */
export function buildConfig(file: ConfigFile | null, ...overrides: ConfigOverrides[]): SimConfig {
  return resolveConfig({ file: file === null ? null : { data: file, source: 'config file' }, overrides });
}

/** The indexes that exist when the config names none: `main` and every index a token lists or defaults to. */
export function defaultIndexes(tokens: readonly TokenDef[]): string[] {
  const out = new Set(['main']);
  for (const t of tokens) {
    for (const x of t.indexes ?? []) out.add(x);
    if (t.defaults?.index) out.add(t.defaults.index);
  }
  return [...out];
}

function checkReferences(cfg: SimConfig, regions: readonly RegionDef[]): string[] {
  const problems: string[] = [];
  const regionIds = new Set(regions.map((r) => r.id));
  const tenants = new Set<string>();
  cfg.tenants.forEach((t, i) => {
    if (tenants.has(t.id)) problems.push(`/tenants/${i}/id: tenant '${t.id}' is defined twice`);
    tenants.add(t.id);
  });
  const tokens = new Set<string>();
  cfg.tokens.forEach((t, i) => {
    const key = t.token.toLowerCase();
    if (tokens.has(key)) problems.push(`/tokens/${i}/token: token ${t.token} is defined twice`);
    tokens.add(key);
    if (!tenants.has(t.tenant)) problems.push(`/tokens/${i}/tenant: no tenant '${t.tenant}' (tenants: ${[...tenants].join(', ')})`);
    if (!regionIds.has(t.region)) problems.push(`/tokens/${i}/region: '${t.region}' is not a served region (${[...regionIds].join(', ')})`);
  });
  const indexes = new Set(cfg.indexes);
  cfg.tokens.forEach((t, i) => {
    (t.indexes ?? []).forEach((x, j) => { if (!indexes.has(x)) problems.push(`/tokens/${i}/indexes/${j}: index '${x}' is not in /indexes (${cfg.indexes.join(', ')})`); });
    const d = t.defaults?.index;
    if (d !== undefined && !indexes.has(d)) problems.push(`/tokens/${i}/defaults/index: index '${d}' is not in /indexes (${cfg.indexes.join(', ')})`);
  });
  problems.push(...checkSourcetypeRules(cfg.sourcetypes));
  const ports = new Map<number, string>();
  if (cfg.listen.port !== 0) ports.set(cfg.listen.port, '(shared port)');
  for (const [rid, port] of Object.entries(cfg.listen.regionPorts)) {
    if (!regionIds.has(rid)) problems.push(`/listen/regionPorts/${rid}: '${rid}' is not a served region (${[...regionIds].join(', ')})`);
    if (port !== 0 && ports.has(port)) problems.push(`/listen/regionPorts/${rid}: port ${port} is already used by ${ports.get(port)}`);
    if (port !== 0) ports.set(port, rid);
  }
  return problems;
}

/**
 * Puts environment variables into a config file's strings: a string that is exactly `${NAME}` becomes the value
 * of NAME (so secrets such as tokens need not be written in the file; the container's default config does
 * this). An unset or empty variable is an error naming the path.
 */
export function expandEnv(v: unknown, env: NodeJS.ProcessEnv, path = '', problems: string[] = []): unknown {
  if (typeof v === 'string') {
    const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(v);
    if (!m) return v;
    const val = env[m[1]];
    if (val === undefined || val === '') problems.push(`${path || '(root)'}: environment variable ${m[1]} is not set`);
    return val ?? v;
  }
  if (Array.isArray(v)) return v.map((x, i) => expandEnv(x, env, `${path}/${i}`, problems));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = expandEnv(x, env, `${path}/${k}`, problems);
    return out;
  }
  return v;
}

/**
 * A config file's content with `${NAME}` strings put in from `env` (expandEnv); throws SchemaError naming the
 * file for one that cannot be read, is not JSON or names an unset variable.
 */
export function readConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): unknown {
  const data = readJsonFile(path);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new SchemaError(path, ['(root): must be a JSON object']);
  const problems: string[] = [];
  const out = expandEnv(data, env, '', problems);
  if (problems.length) throw new SchemaError(path, problems);
  return out;
}

/**
 * serve's configuration: the file at `path` (or the development default when undefined) < the SIM_* variables
 * of `env` < `flags` (commander's options of serve).
 */
export function loadServeConfig(path: string | undefined, env: NodeJS.ProcessEnv, flags: Readonly<Record<string, unknown>>, flagBare?: Readonly<Record<string, string>>): SimConfig {
  const file = path === undefined ? null : { data: readConfigFile(path, env), source: `config file ${path}` };
  return resolveConfig({ file, env, flags, flagBare });
}

/** Reads, validates and merges a config file (or the development default when `path` is undefined); no environment layer. */
export function loadConfig(path: string | undefined, ...overrides: ConfigOverrides[]): SimConfig {
  const file = path === undefined ? null : { data: readConfigFile(path), source: `config file ${path}` };
  return resolveConfig({ file, overrides });
}
