import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, defaultIngestWorkers, resolveConfig, type ConfigFile, type ConfigSources, type SimConfig } from '../../../src/config/config.ts';
import { flattenDefaults } from '../../../src/config/docs.ts';
import { mergeLayers, schemaNodeAt } from '../../../src/config/layers.ts';
import { schemaDir, SchemaError } from '../../../src/config/schema.ts';
import { envLayer, flagLayer, SETTINGS } from '../../../src/config/sources.ts';
import { isSimError } from '../../../src/errors/sim-error.ts';

const TOKEN = '11111111-1111-4111-8111-111111111111';
const file = (extra: Partial<ConfigFile> = {}): ConfigFile => ({
  adminToken: 'admin-token-1', tenants: [{ id: 'acme' }], tokens: [{ token: TOKEN, tenant: 'acme', region: 'eu' }], ...extra,
});
const fromFile = (data: unknown) => ({ data, source: 'config file cfg.json' });

/** The error resolveConfig throws for these sources (fails the test when it throws none). */
function configError(src: ConfigSources): SchemaError {
  try {
    resolveConfig(src);
  } catch (err) {
    if (err instanceof SchemaError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('layers: defaults < file < environment < flags', () => {
  // each row: a key, what the file, the environment and the flags say of it (undefined: nothing), what wins
  const rows: Array<{ key: string; read: (c: SimConfig) => unknown; file?: Partial<ConfigFile>; env?: Record<string, string>; flags?: Record<string, unknown>; want: unknown }> = [
    { key: 'listen.port (default)', read: (c) => c.listen.port, want: 8088 },
    { key: 'listen.port (file)', read: (c) => c.listen.port, file: { listen: { port: 9000 } }, want: 9000 },
    { key: 'listen.port (env over file)', read: (c) => c.listen.port, file: { listen: { port: 9000 } }, env: { SIM_PORT: '9100' }, want: 9100 },
    { key: 'listen.port (flag over env)', read: (c) => c.listen.port, file: { listen: { port: 9000 } }, env: { SIM_PORT: '9100' }, flags: { port: '9200' }, want: 9200 },
    { key: 'logLevel (default)', read: (c) => c.logLevel, want: 'info' },
    { key: 'logLevel (file)', read: (c) => c.logLevel, file: { logLevel: 'warn' }, want: 'warn' },
    { key: 'logLevel (env)', read: (c) => c.logLevel, file: { logLevel: 'warn' }, env: { SIM_LOG_LEVEL: 'debug' }, want: 'debug' },
    { key: 'logLevel (flag)', read: (c) => c.logLevel, file: { logLevel: 'warn' }, env: { SIM_LOG_LEVEL: 'debug' }, flags: { logLevel: 'silent' }, want: 'silent' },
    { key: 'store.fsync (file; store.kind stays the default)', read: (c) => [c.store.kind, c.store.fsync], file: { store: { fsync: 'always' } }, want: ['sqlite', 'always'] },
    { key: 'store.fsync (env)', read: (c) => [c.store.kind, c.store.fsync, c.store.batchEvents], file: { store: { fsync: 'always', batchEvents: 7 } }, env: { SIM_FSYNC: 'never' }, want: ['sqlite', 'never', 7] },
    { key: 'store.kind (flag), the file\'s fsync kept', read: (c) => [c.store.kind, c.store.fsync], file: { store: { fsync: 'always' } }, flags: { store: 'none' }, want: ['none', 'always'] },
    { key: 'ingest.workers (default)', read: (c) => c.ingest.workers, want: defaultIngestWorkers() },
    { key: 'ingest.workers (env text → integer)', read: (c) => c.ingest.workers, file: { ingest: { workers: 3 } }, env: { SIM_INGEST_WORKERS: '0' }, want: 0 },
    { key: 'listen.regionPorts (objects merge key by key)', read: (c) => c.listen.regionPorts, file: { listen: { regionPorts: { eu: 9001 } } }, env: { SIM_REGION_PORTS: 'jp=9002' }, flags: { regionPorts: 'eu=9003' }, want: { eu: 9003, jp: 9002 } },
    { key: 'tls (flag alone: its default folder)', read: (c) => c.tls, flags: { tls: true }, want: { dir: '/the/default' } },
    { key: 'tls (env, then flag with a folder)', read: (c) => c.tls, env: { SIM_TLS_DIR: '/from/env' }, flags: { tls: '/from/flag' }, want: { dir: '/from/flag' } },
    { key: 'dataDir (resolved)', read: (c) => c.dataDir, file: { dataDir: '/f' }, env: { SIM_DATA_DIR: '/e' }, want: '/e' },
    { key: 'an empty variable is unset', read: (c) => c.listen.host, file: { listen: { host: '::1' } }, env: { SIM_HOST: '' }, want: '::1' },
  ];
  it.each(rows)('$key', ({ read, file: f, env, flags, want }) => {
    const c = resolveConfig({ file: fromFile(file(f)), env: env ?? {}, flags: flags ?? {}, flagBare: { tls: '/the/default' } });
    expect(read(c)).toEqual(want);
  });

  it('arrays replace: a later layer\'s array is the whole array', () => {
    const m = mergeLayers([
      { source: 'a', data: { indexes: ['main', 'fw'], listen: { host: 'h' } } },
      { source: 'b', data: { indexes: ['x'], listen: { port: 1 } } },
    ]);
    expect(m.data).toEqual({ indexes: ['x'], listen: { host: 'h', port: 1 } });
    expect(m.origins.get('/indexes')?.source).toBe('b');
    expect(m.origins.get('/listen/host')?.source).toBe('a');
  });

  it('the environment is read through the one table only: other SIM_* names are ignored', () => {
    const problems: string[] = [];
    expect(envLayer({ SIM_HEAVY: '1', SIM_SEED: 'x', SIM_PORT: '1' }, problems).data).toEqual({ listen: { port: '1' } });
    expect(problems).toEqual([]);
  });

  it('every setting of the table names a key of the schema, a distinct variable and a distinct flag', () => {
    for (const s of SETTINGS) expect(schemaNodeAt(`/${s.key.split('.').join('/')}`), s.key).toBeDefined();
    expect(new Set(SETTINGS.map((s) => s.env)).size).toBe(SETTINGS.length);
    expect(new Set(SETTINGS.map((s) => s.flag.split(' ')[0])).size).toBe(SETTINGS.length);
    expect(Object.keys(flagLayer({ port: '1', logLevel: 'warn', config: 'x' }, []).data)).toEqual(['listen', 'logLevel']);
  });

  it('the defaults layer passes the schema, and every schema `default` agrees with it', () => {
    const schema = JSON.parse(readFileSync(`${schemaDir}config.schema.json`, 'utf8'));
    const flat = flattenDefaults(CONFIG_DEFAULTS);
    const visit = (node: { properties?: Record<string, { default?: unknown; properties?: object }> }, path: string[]) => {
      for (const [k, v] of Object.entries(node.properties ?? {})) {
        if (v.default !== undefined) expect(flat[[...path, k].join('.')], [...path, k].join('.')).toEqual(v.default);
        if (v.properties) visit(v as never, [...path, k]);
      }
    };
    visit(schema, []);
    // the defaults alone under a minimal file: nothing the schema refuses
    expect(() => resolveConfig({ file: fromFile(file()) })).not.toThrow();
  });
});

describe('one bad value per source: one error naming the source, the value and the path', () => {
  it('file: the file and the JSON pointer', () => {
    const e = configError({ file: fromFile(file({ undeclared: 'maybe' as never })), env: {}, flags: {} });
    expect(e.problems).toEqual(['config file cfg.json: /undeclared: must be equal to one of the allowed values ("keep", "flag", "drop")']);
  });
  it('environment: SIM_LOG_LEVEL=loud no longer reaches pino', () => {
    const e = configError({ file: fromFile(file()), env: { SIM_LOG_LEVEL: 'loud' } });
    expect(e.problems).toEqual(["environment SIM_LOG_LEVEL: 'loud' is not one of fatal, error, warn, info, debug, trace, silent (config key logLevel)"]);
  });
  it('flag: the flag as typed and the key it sets', () => {
    const e = configError({ file: fromFile(file()), flags: { ingestWorkers: '65' } });
    expect(e.problems).toEqual(["flag --ingest-workers: '65' is not a number of threads, 0-64 (config key ingest.workers)"]);
  });
  it('a value the schema cannot read from text (SIM_REGION_PORTS) names the variable too', () => {
    const e = configError({ file: fromFile(file()), env: { SIM_REGION_PORTS: 'eu:1' } });
    expect(e.problems).toEqual(["environment SIM_REGION_PORTS: 'eu:1' is not <region>=<port> (e.g. us=8088,eu=8089) (config key listen.regionPorts)"]);
  });
  it('bad values in several sources: all of them (in the schema\'s order), each with its own source', () => {
    const e = configError({ file: fromFile(file({ limits: { maxDepth: 1 } })), env: { SIM_PORT: '70000' }, flags: { fsync: 'sometimes' } });
    expect(e.problems).toEqual([
      "flag --fsync: 'sometimes' is not one of always, batch, never (config key store.fsync)",
      "environment SIM_PORT: '70000' is not a port number, 0-65535 (config key listen.port)",
      'config file cfg.json: /limits/maxDepth: must be >= 2',
    ]);
  });
  it('a cross-reference the schema cannot say names the source that set it', () => {
    const e = configError({ file: fromFile(file()), flags: { regionPorts: 'mars=9000' } });
    expect(e.problems).toEqual([expect.stringMatching(/^flag --region-ports: 'mars' is not a served region \(us, eu, .*\) \(config key listen\.regionPorts\.mars\)$/)]);
    const f = configError({ file: fromFile(file({ tokens: [{ token: TOKEN, tenant: 'zeta', region: 'eu' }] })) });
    expect(f.problems).toEqual([expect.stringMatching(/^config file cfg\.json: \/tokens\/0\/tenant: no tenant 'zeta'/)]);
  });
  it('text is coerced to the schema\'s types in the environment and flags only: a file\'s "8088" is an error', () => {
    expect(resolveConfig({ file: fromFile(file()), env: { SIM_PORT: '8090' } }).listen.port).toBe(8090);
    const e = configError({ file: fromFile(file({ listen: { port: '8088' as never } })) });
    expect(e.problems).toEqual(['config file cfg.json: /listen/port: must be integer']);
  });
  it('what the schema says is not checked again by hand: limits.maxDecompressedBytes 0 is the schema\'s minimum', () => {
    expect(configError({ file: fromFile(file({ limits: { maxDecompressedBytes: 0 } })) }).problems).toEqual(['config file cfg.json: /limits/maxDecompressedBytes: must be >= 1']);
  });
  it('a required key nobody gave is the file\'s', () => {
    const { adminToken: _, ...rest } = file();
    expect(configError({ file: fromFile(rest) }).problems).toEqual(["config file cfg.json: (root): must have required property 'adminToken'"]);
  });
  it('is a SimError of code SIM_ERR_CONFIG_INVALID (the CLI exits 2 on it), its message one problem a line', () => {
    const e = configError({ file: fromFile(file()), env: { SIM_LOG_LEVEL: 'loud' }, flags: { port: 'x' } });
    expect(isSimError(e)).toBe(true);
    expect(e.code).toBe('SIM_ERR_CONFIG_INVALID');
    expect(e.message).toBe("config is invalid:\n  - flag --port: 'x' is not a port number, 0-65535 (config key listen.port)\n  - environment SIM_LOG_LEVEL: 'loud' is not one of fatal, error, warn, info, debug, trace, silent (config key logLevel)");
  });
});

describe('the built config is frozen and passed down', () => {
  it('cannot be changed, at any depth, and the sources given are not frozen or changed', () => {
    const f = file({ listen: { regionPorts: { eu: 9001 } } });
    const c = resolveConfig({ file: fromFile(f), env: { SIM_PORT: '9000' } });
    expect(() => { (c as { logLevel: string }).logLevel = 'trace'; }).toThrow(TypeError);
    expect(() => { (c.listen as { port: number }).port = 1; }).toThrow(TypeError);
    expect(() => { (c.listen.regionPorts as Record<string, number>).jp = 1; }).toThrow(TypeError);
    expect(() => { (c.tokens as unknown as unknown[]).push({}); }).toThrow(TypeError);
    expect(() => { (c.regions[0] as { id: string }).id = 'xx'; }).toThrow(TypeError);
    expect(Object.isFrozen(f)).toBe(false);
    expect(Object.isFrozen(CONFIG_DEFAULTS)).toBe(true);
    f.listen!.regionPorts!.jp = 9002; // the caller's object stays its own
    expect(c.listen.regionPorts).toEqual({ eu: 9001 });
    expect(c.listen.port).toBe(9000);
  });
  it('carries the served regions', () => {
    const c = resolveConfig({ file: null });
    expect(c.regions.map((r) => r.id)).toEqual(['us', 'eu', 'jp', 'sg', 'anz', 'in']);
    expect(c.regions.every((r) => r.ingestorHost !== null)).toBe(true);
  });
});
