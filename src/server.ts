import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from './app.ts';
import type { SimConfig } from './config/config.ts';
import { SimError } from './errors/sim-error.ts';
import { loadRegions, servedRegions, type RegionDef } from './region/regions.ts';
import { kPortRegion } from './region/route.ts';
import { tlsLayout } from './tls/ca.ts';
import { guardListener } from './faults/index.ts';
import { checkContinueListener } from './ingest/continue.ts';

export interface TlsMaterial {
  /** The default certificate (localhost), for clients that send no region SNI name. */
  defaultContext: { cert: string; key: string };
  /** Host name (lower case) → secure context of its region's certificate. */
  byHost: Map<string, SecureContext>;
}

/** Reads DIR/localhost(-key).pem and DIR/ingestor-<id>(-key).pem for every served region (the `ca init` layout). */
export function loadTls(dir: string, regions: readonly RegionDef[]): TlsMaterial {
  const layout = tlsLayout(dir, regions);
  const missing: string[] = [];
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      missing.push(p);
      return '';
    }
  };
  const byHost = new Map<string, SecureContext>();
  let defaultContext = { cert: '', key: '' };
  const pending: Array<{ names: string[]; cert: string; key: string }> = [];
  for (const h of layout.hosts) {
    const cert = read(h.cert);
    const key = read(h.key);
    if (h.id === 'localhost') defaultContext = { cert, key };
    else pending.push({ names: h.dnsNames, cert, key });
  }
  if (missing.length) {
    throw new SimError('SIM_ERR_TLS_FILES', { detail: `missing or unreadable: ${missing.join(', ')}; run 'ingestor-sim ca init --dir ${dir}'` });
  }
  for (const p of pending) {
    const ctx = createSecureContext({ cert: p.cert, key: p.key });
    for (const n of p.names) byHost.set(n.toLowerCase(), ctx);
  }
  return { defaultContext, byHost };
}

export interface RunningServer {
  app: FastifyInstance;
  /** Base URL of the shared port (all regions by Host header / SNI). */
  url: string;
  /** Region id → base URL of its own port (--region-ports). */
  regionUrls: Record<string, string>;
  close(): Promise<void>;
}

export type ServerOptions = Omit<AppOptions, 'serverFactory'> & {
  /** On close, how long requests in flight may take before their connections are cut (default 5000 ms). */
  closeGraceMs?: number;
};

function urlOf(scheme: string, server: http.Server): string {
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `${scheme}://${host}:${a.port}`;
}

function listenNode(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Starts the service: the shared port (every region by Host / SNI) and one port per region of
 * cfg.listen.regionPorts, all HTTP or all HTTPS (cfg.tls: SNI picks the region's certificate).
 * close() stops taking requests (HEC answers 503 code 23 meanwhile), commits what waits and closes the stores.
 */
export async function startServer(cfg: SimConfig, opts: ServerOptions = {}): Promise<RunningServer> {
  const regions = opts.regions ?? servedRegions(loadRegions());
  const tls = cfg.tls ? loadTls(cfg.tls.dir, regions) : null;
  const scheme = tls ? 'https' : 'http';
  const make = (handler: http.RequestListener, portRegion?: string): http.Server => {
    let server: http.Server;
    if (tls) {
      server = https.createServer({
        ...tls.defaultContext,
        SNICallback: (name, cb) => cb(null, tls.byHost.get(name.toLowerCase())),
      }, handler) as unknown as http.Server;
      if (portRegion) server.on('secureConnection', (s: TLSSocket) => { (s as unknown as Record<symbol, string>)[kPortRegion] = portRegion; });
    } else {
      server = http.createServer(handler);
      if (portRegion) server.on('connection', (s: Socket) => { (s as unknown as Record<symbol, string>)[kPortRegion] = portRegion; });
    }
    server.keepAliveTimeout = 75_000;
    return server;
  };
  let handler: http.RequestListener | undefined;
  const app = buildApp(cfg, {
    ...opts,
    regions,
    serverFactory: (h) => {
      handler = h as http.RequestListener;
      return make(handler);
    },
  });
  const extra: Array<{ id: string; server: http.Server; unguard: () => void }> = [];
  try {
    await app.listen({ host: cfg.listen.host, port: cfg.listen.port });
    for (const [id, port] of Object.entries(cfg.listen.regionPorts)) {
      const server = make(handler!, id);
      server.on('checkContinue', checkContinueListener(app.sim, handler!)); // refuse before 100 Continue (as the shared port)
      // TCP-level faults (refused / dropped) of this region's own port (src/faults); wraps our 'connection' listeners.
      const unguard = guardListener(server, id, app.faults);
      extra.push({ id, server, unguard });
      await listenNode(server, port, cfg.listen.host);
    }
  } catch (err) {
    for (const e of extra) {
      e.unguard();
      e.server.close();
    }
    await app.close();
    throw err;
  }
  const regionUrls = Object.fromEntries(extra.map((e) => [e.id, urlOf(scheme, e.server)]));
  for (const e of extra) app.sim.regions.get(e.id)!.port = (e.server.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    app,
    url: urlOf(scheme, app.server),
    regionUrls,
    close() {
      closing ??= (async () => {
        app.sim.shuttingDown = true;
        const grace = opts.closeGraceMs ?? 5000;
        await Promise.all(extra.map((e) => new Promise<void>((resolve) => {
          e.unguard();
          const force = setTimeout(() => e.server.closeAllConnections(), grace);
          e.server.close(() => { clearTimeout(force); resolve(); });
          e.server.closeIdleConnections();
        })));
        const force = setTimeout(() => app.server.closeAllConnections(), grace);
        try {
          await app.close();
        } finally {
          clearTimeout(force);
        }
      })();
      return closing;
    },
  };
}
