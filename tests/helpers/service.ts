import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';
import { buildApp, type AppOptions } from '../../src/service/app.ts';
import { buildConfig, type ConfigFile, type ConfigOverrides } from '../../src/config/config.ts';
import { startServer, type RunningServer } from '../../src/service/server.ts';
import { createLocalCa } from '../../src/tools/tls/ca.ts';
import type { Classification, Verdict, ModuleDef, UndeclaredPolicy } from '../../src/pipeline/classify/types.ts';
import type { ClassifierDeps, MatcherLike, PolicyLike } from '../../src/pipeline/ingest/pipeline.ts';
import { SimError } from '../../src/errors/sim-error.ts';
import { isPolicyError } from '../../src/pipeline/filter/index.ts';

/**
 * A small, fully specified classifier for the service's tests: the service must behave the same with any
 * classifier that keeps the documented interface, so these tests do not depend on the catalog's contents.
 * Module 'fw' (sourcetype 'fw:traffic', can be turned off): fields src_ip, user. Module 'core' (locked): host_id.
 */
function mod(id: string, name: string, canBeTurnedOff: boolean, sourcetypes: string[]): ModuleDef {
  return {
    id, name, section: [], description: '', consoleLocation: [], dataHeading: 'Data Collected', canBeTurnedOff: canBeTurnedOff ? 'yes' : 'no',
    turnOffNote: canBeTurnedOff ? 'can be turned off' : 'The notice gives no way to turn it off.', aliases: [], sourcetypes, items: [],
  };
}
const MODULES = [mod('fw', 'Firewall Logs', true, ['fw:traffic']), mod('core', 'Core Telemetry', false, [])];
const ITEMS: Record<string, { item: string; module: string; category: Classification['category'] }> = {
  src_ip: { item: 'Source IP address', module: 'fw', category: 'online-identifier' },
  user: { item: 'User name', module: 'fw', category: 'direct-identifier' },
  host_id: { item: 'Host ID', module: 'core', category: 'online-identifier' },
};

function leaves(v: unknown, path: string, out: Classification[]): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => leaves(x, `${path}[${i}]`, out));
    return;
  }
  if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) leaves((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out);
    return;
  }
  const name = path.split('.').pop() ?? '';
  const hit = Object.hasOwn(ITEMS, name) ? ITEMS[name] : undefined;
  out.push(hit
    ? { path, item: hit.item, module: hit.module, category: hit.category, by: 'name', kind: name }
    : { path, item: null, module: null, category: 'non-personal', by: 'none', kind: null });
}

/** The filter's errors are SimErrors of the SIM_ERR_POLICY_* codes, the module named in the detail: the test policy's too. */
const policyError = (code: 'SIM_ERR_POLICY_MODULE_LOCKED' | 'SIM_ERR_POLICY_UNKNOWN_MODULE', moduleId: string) => new SimError(code, { detail: moduleId });

export const testMatcher: MatcherLike = {
  modules: MODULES,
  resolveModule: (x) => MODULES.find((m) => m.id === x.toLowerCase() || m.name.toLowerCase() === x.toLowerCase()),
  moduleForSourcetype: (st) => MODULES.find((m) => m.sourcetypes.includes(st)),
  classifyEvent(event) {
    const out: Classification[] = [];
    leaves(event, '', out);
    return out;
  },
};

function policy(perm: Record<string, boolean>, undeclared: UndeclaredPolicy): PolicyLike {
  return {
    undeclared,
    isUploadAllowed: (id) => perm[id] !== false,
    withPermission(idOrName, allowed) {
      const m = testMatcher.resolveModule(idOrName);
      if (!m) throw policyError('SIM_ERR_POLICY_UNKNOWN_MODULE', idOrName);
      if (!allowed && m.canBeTurnedOff === 'no') throw policyError('SIM_ERR_POLICY_MODULE_LOCKED', m.id);
      return policy({ ...perm, [m.id]: allowed }, undeclared);
    },
  };
}

export const testClassifier: ClassifierDeps = {
  matcher: testMatcher,
  compilePolicy(_m, opts) {
    const perm: Record<string, boolean> = {};
    for (const [k, v] of Object.entries(opts.uploadPermission ?? {})) {
      const m = testMatcher.resolveModule(k);
      if (!m) throw policyError('SIM_ERR_POLICY_UNKNOWN_MODULE', k);
      if (!v && m.canBeTurnedOff === 'no') throw policyError('SIM_ERR_POLICY_MODULE_LOCKED', m.id);
      perm[m.id] = v;
    }
    return policy(perm, opts.undeclared ?? 'keep');
  },
  applyPolicy(p, event, fields, _ctx, sink) {
    const out: Verdict[] = [];
    let dropped = 0, flagged = 0;
    const drop = new Set<string>();
    for (const f of fields) {
      if (f.module !== null && !p.isUploadAllowed(f.module)) {
        out.push({ ...f, action: 'drop', reason: `upload of module ${f.module} is off` }); dropped++; drop.add(f.path);
      } else if (f.module === null && p.undeclared !== 'keep') {
        if (p.undeclared === 'drop') { out.push({ ...f, action: 'drop', reason: 'undeclared' }); dropped++; drop.add(f.path); }
        else { out.push({ ...f, action: 'flag', reason: 'undeclared' }); flagged++; }
      } else out.push({ ...f, action: 'keep' });
    }
    const copy = (v: unknown, path: string): unknown => {
      if (v === null || typeof v !== 'object') return v;
      if (Array.isArray(v)) return v.map((x, i) => copy(x, `${path}[${i}]`));
      const o: Record<string, unknown> = Object.create(null);
      for (const k of Object.keys(v)) {
        const p2 = path ? `${path}.${k}` : k;
        const child = (v as Record<string, unknown>)[k];
        if (drop.has(p2)) continue;
        Object.defineProperty(o, k, { value: copy(child, p2), enumerable: true, writable: true, configurable: true });
      }
      return o;
    };
    // a caller that only counts (a none store's tally): each verdict handed over, none listed, no event made
    if (sink !== undefined) {
      for (const v of out) sink.addVerdict(v, -1);
      return { event: undefined, fields: [], dropped, flagged };
    }
    return { event: copy(event, ''), fields: out, dropped, flagged };
  },
  isPolicyError,
};

export const ADMIN = 'test-admin-token';
export const T = {
  us: '11111111-1111-4111-8111-111111111111',
  eu: '22222222-2222-4222-8222-222222222222',
  ack: '33333333-3333-4333-8333-333333333333',
  query: '44444444-4444-4444-8444-444444444444',
  off: '55555555-5555-4555-8555-555555555555',
  idx: '66666666-6666-4666-8666-666666666666',
  core: '77777777-7777-4777-8777-777777777777',
};

export function testConfigFile(extra: Partial<ConfigFile> = {}): ConfigFile {
  return {
    adminToken: ADMIN,
    tenants: [{ id: 'acme', uploadPermission: {} }, { id: 'beta', uploadPermission: { fw: false } }],
    tokens: [
      { token: T.us, name: 'us-app', tenant: 'acme', region: 'us' },
      { token: T.eu, tenant: 'acme', region: 'eu' },
      { token: T.ack, tenant: 'acme', region: 'us', useAck: true },
      { token: T.query, tenant: 'acme', region: 'us', allowQueryStringAuth: true },
      { token: T.off, tenant: 'acme', region: 'us', disabled: true },
      { token: T.idx, tenant: 'beta', region: 'us', indexes: ['main', 'sec'] },
      { token: T.core, tenant: 'acme', region: 'jp', module: 'core' },
    ],
    undeclared: 'keep',
    ...extra,
  };
}

export interface Started {
  app: FastifyInstance;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/** buildApp + listen on 127.0.0.1 port 0; a temp data dir unless given. */
export async function start(file: ConfigFile = testConfigFile(), over: ConfigOverrides = {}, opts: Partial<AppOptions> = {}): Promise<Started> {
  const ownDir = over.dataDir === undefined;
  const dataDir = over.dataDir ?? mkdtempSync(join(tmpdir(), 'sim-test-'));
  const cfg = buildConfig(file, { ...over, dataDir });
  const app = buildApp(cfg, { logger: false, defaultMetrics: false, classifier: testClassifier, ...opts });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  return {
    app, url: `http://127.0.0.1:${addr.port}`, dataDir,
    async close() {
      await app.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const agent = new Agent({ keepAliveTimeout: 1000 });

export interface Res { status: number; headers: Record<string, string | string[] | undefined>; text: string; json: any }

/** One request over the real socket with undici; `host` sets the Host header. */
export async function call(base: string, method: string, path: string, o: { host?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...(o.host ? { host: o.host } : {}), ...o.headers };
  const r = await request(`${base}${path}`, { method: method as 'GET', headers, body: o.body, dispatcher: agent });
  const text = await r.body.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.statusCode, headers: r.headers as Res['headers'], text, json };
}

export const US = 'ingestor-us.xdr.trendmicro.com';
export const EU = 'ingestor-eu.xdr.trendmicro.com';
export const splunk = (t: string) => ({ authorization: `Splunk ${t}` });

/**
 * The real `startServer` over HTTPS with a fresh local CA (as `serve --tls` makes one), for the real-client
 * tests: `ca` is the CA file a client trusts, `call` reaches the service as `localhost` over that TLS, and
 * `close` stops it and removes the folder.
 */
export interface TlsStarted {
  srv: RunningServer;
  dir: string;
  port: string;
  ca: string;
  call(method: string, path: string, o?: { headers?: Record<string, string>; body?: string }): Promise<any>;
  close(): Promise<void>;
}

export async function startTls(name: string, file: ConfigFile, over: ConfigOverrides, classifier: ClassifierDeps): Promise<TlsStarted> {
  const dir = mkdtempSync(join(tmpdir(), `sim-${name}-`));
  const { layout } = createLocalCa(join(dir, 'tls'));
  const tlsAgent = new Agent({ connect: { ca: readFileSync(layout.ca, 'utf8'), servername: 'localhost' } });
  const cfg = buildConfig(file, { dataDir: join(dir, 'data'), port: 0, tlsDir: join(dir, 'tls'), ...over });
  const srv = await startServer(cfg, { classifier, logger: false, defaultMetrics: false });
  return {
    srv, dir, port: new URL(srv.url).port, ca: layout.ca,
    async call(method, path, o = {}) {
      const r = await request(`${srv.url}${path}`, { method: method as 'GET', headers: { host: 'localhost', ...o.headers }, body: o.body, dispatcher: tlsAgent });
      return r.body.json();
    },
    async close() {
      await tlsAgent.close();
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
