import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { deepFreeze, readJsonFile, SchemaError, validateAgainst } from './schema.ts';
import { loadRegions, servedRegions, type RegionDef } from '../service/region/regions.ts';
import { checkSourcetypeRules, type SourcetypeRuleConfig } from '../pipeline/parse/linebreak.ts';
import type { SecretsPolicy, TenantSettingId } from '../pipeline/classify/types.ts';

export type FsyncMode = 'always' | 'batch' | 'never';
export type StoreKind = 'sqlite' | 'none';
export type UndeclaredPolicyName = 'keep' | 'flag' | 'drop';

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
}

/** What a config file holds (schemas/config.schema.json): everything but adminToken/tenants/tokens is optional. */
export type ConfigFile = Partial<Omit<SimConfig, 'store' | 'ingest' | 'limits' | 'listen' | 'dev' | 'indexes' | 'crossOriginSharingPolicy' | 'crossOriginSharingHeaders'>> & {
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

/** SIM_* environment variables: between the config file and the command line. */
export function envOverrides(env: NodeJS.ProcessEnv): ConfigOverrides {
  const o: ConfigOverrides = {};
  if (env.SIM_HOST) o.host = env.SIM_HOST;
  if (env.SIM_PORT) {
    const p = Number(env.SIM_PORT);
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new SchemaError('environment', [`SIM_PORT: '${env.SIM_PORT}' is not a port`]);
    o.port = p;
  }
  if (env.SIM_DATA_DIR) o.dataDir = env.SIM_DATA_DIR;
  if (env.SIM_REGION_PORTS) o.regionPorts = parseRegionPorts(env.SIM_REGION_PORTS);
  if (env.SIM_LOG_LEVEL) o.logLevel = env.SIM_LOG_LEVEL as SimConfig['logLevel'];
  if (env.SIM_PERMISSIONS_FROM) {
    if (env.SIM_PERMISSIONS_FROM !== 'data' && env.SIM_PERMISSIONS_FROM !== 'config') throw new SchemaError('environment', [`SIM_PERMISSIONS_FROM: '${env.SIM_PERMISSIONS_FROM}' is not data or config`]);
    o.permissionsFrom = env.SIM_PERMISSIONS_FROM;
  }
  return o;
}

/**
 * Builds the configuration: defaults < config file (or the development default) < SIM_* env < command line.
 * Validates the file against schemas/config.schema.json and checks cross-references; throws SchemaError
 * (code SIM_ERR_CONFIG_INVALID) naming each bad path.
 */
export function buildConfig(file: ConfigFile | null, ...layers: ConfigOverrides[]): SimConfig {
  const regions = servedRegions(loadRegions());
  const dev = file === null;
  const f = validateAgainst<ConfigFile>('config', dev ? devConfigFile(regions) : file, dev ? 'development config' : 'config');
  const cfg: SimConfig = {
    adminToken: f.adminToken,
    tenants: structuredClone(f.tenants),
    tokens: structuredClone(f.tokens),
    undeclared: f.undeclared ?? 'flag',
    secrets: f.secrets ?? 'keep',
    permissionsFrom: f.permissionsFrom ?? 'data',
    store: { ...DEFAULT_STORE, ...f.store },
    ingest: { workers: f.ingest?.workers ?? defaultIngestWorkers() },
    dataDir: f.dataDir ?? './data',
    listen: { host: '127.0.0.1', port: 8088, regionPorts: {}, ...f.listen },
    tls: f.tls ?? null,
    limits: { ...DEFAULT_LIMITS, ...f.limits },
    logLevel: f.logLevel ?? 'info',
    dev,
    ...(f.faults !== undefined ? { faults: structuredClone(f.faults) } : {}),
    ...(f.sourcetypes !== undefined ? { sourcetypes: structuredClone(f.sourcetypes) } : {}),
    indexes: f.indexes ? [...new Set(f.indexes)] : defaultIndexes(f.tokens),
    crossOriginSharingPolicy: f.crossOriginSharingPolicy ?? '',
    crossOriginSharingHeaders: f.crossOriginSharingHeaders ?? '',
  };
  for (const o of layers) {
    if (o.host !== undefined) cfg.listen.host = o.host;
    if (o.port !== undefined) cfg.listen.port = o.port;
    if (o.regionPorts !== undefined) cfg.listen.regionPorts = { ...cfg.listen.regionPorts, ...o.regionPorts };
    if (o.dataDir !== undefined) cfg.dataDir = o.dataDir;
    if (o.tlsDir !== undefined) cfg.tls = { dir: o.tlsDir };
    if (o.store !== undefined) cfg.store.kind = o.store;
    if (o.fsync !== undefined) cfg.store.fsync = o.fsync;
    if (o.ingestWorkers !== undefined) cfg.ingest.workers = o.ingestWorkers;
    if (o.logLevel !== undefined) cfg.logLevel = o.logLevel;
    if (o.permissionsFrom !== undefined) cfg.permissionsFrom = o.permissionsFrom;
  }
  cfg.dataDir = resolve(cfg.dataDir);
  checkReferences(cfg, regions);
  return deepFreeze(cfg);
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

function checkReferences(cfg: SimConfig, regions: readonly RegionDef[]): void {
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
  if (cfg.limits.maxDecompressedBytes < 1) problems.push('/limits/maxDecompressedBytes: must be positive');
  problems.push(...checkSourcetypeRules(cfg.sourcetypes));
  const ports = new Map<number, string>();
  if (cfg.listen.port !== 0) ports.set(cfg.listen.port, '(shared port)');
  for (const [rid, port] of Object.entries(cfg.listen.regionPorts)) {
    if (!regionIds.has(rid)) problems.push(`/listen/regionPorts/${rid}: '${rid}' is not a served region (${[...regionIds].join(', ')})`);
    if (port !== 0 && ports.has(port)) problems.push(`/listen/regionPorts/${rid}: port ${port} is already used by ${ports.get(port)}`);
    if (port !== 0) ports.set(port, rid);
  }
  if (problems.length) throw new SchemaError('config', problems);
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

/** Reads, validates and merges a config file (or the development default when `path` is undefined). */
export function loadConfig(path: string | undefined, ...layers: ConfigOverrides[]): SimConfig {
  let file = path === undefined ? null : (readJsonFile(path) as ConfigFile);
  if (file !== null && (typeof file !== 'object' || Array.isArray(file))) throw new SchemaError(path!, ['(root): must be a JSON object']);
  if (file !== null) {
    const problems: string[] = [];
    file = expandEnv(file, process.env, '', problems) as ConfigFile;
    if (problems.length) throw new SchemaError(path!, problems);
  }
  return buildConfig(file, ...layers);
}
