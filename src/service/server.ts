import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import { buildApp, type AppOptions } from './app.ts';
import type { SimConfig } from '../config/config.ts';
import { SimError } from '../errors/sim-error.ts';
import { loadRegions, servedRegions, type RegionDef } from './region/regions.ts';
import { kPortRegion } from './region/route.ts';
import { tlsLayout } from '../tools/tls/ca.ts';
import { guardListener } from './faults/index.ts';
import { checkContinueListener } from './hec/continue.ts';
import { hecClientErrorHandler, rawHecAnswer } from './hec/client-error.ts';
import { SchemaError } from '../config/schema.ts';
import type { Limits } from '../config/config.ts';

/**
 * Open connections across every port of the service, per remote address and in all (issue 13 item 7). A new
 * connection past the client's own cap is refused; past the global cap it evicts the oldest connection of the
 * address holding the most (when that address holds more than the newcomer's), so that one client holding
 * thousands of sockets cannot lock everyone else out; else it is refused. A refused plain-HTTP connection gets
 * 503 code 9 as HEC JSON before it is closed (a TLS one is closed: there is no session to answer in). Refused
 * sockets never reach the HTTP parser.
 */
export class ConnectionGuard {
  open = 0;
  refused = 0;
  evicted = 0;
  private readonly byAddr = new Map<string, Set<Socket>>();
  private lastWarn = 0;

  constructor(private readonly limits: Pick<Limits, 'maxConnections' | 'maxConnectionsPerClient'>, private readonly warn: (msg: string) => void = () => {}) {}

  /** Connections from one address now. */
  of(addr: string): number {
    return this.byAddr.get(addr)?.size ?? 0;
  }

  admit(socket: Socket): boolean {
    const addr = clientKey(socket.remoteAddress ?? '');
    const mine = this.of(addr);
    if (mine >= this.limits.maxConnectionsPerClient) return this.refuse(`${addr} holds ${mine} connections (limits.maxConnectionsPerClient)`);
    if (this.open >= this.limits.maxConnections && !this.evictFor(mine)) return this.refuse(`${this.open} connections are open (limits.maxConnections)`);
    let set = this.byAddr.get(addr);
    if (set === undefined) this.byAddr.set(addr, (set = new Set()));
    set.add(socket);
    this.open++;
    socket.once('close', () => this.forget(addr, socket));
    return true;
  }

  private forget(addr: string, socket: Socket): void {
    const set = this.byAddr.get(addr);
    if (set?.delete(socket)) {
      this.open--;
      if (set.size === 0) this.byAddr.delete(addr);
    }
  }

  private evictFor(mine: number): boolean {
    let big: [string, Set<Socket>] | undefined;
    for (const e of this.byAddr) if (big === undefined || e[1].size > big[1].size) big = e;
    if (big === undefined || big[1].size <= mine + 1) return false;
    const victim = big[1].values().next().value as Socket;
    this.forget(big[0], victim);
    victim.destroy();
    this.evicted++;
    return true;
  }

  private refuse(why: string): false {
    this.refused++;
    const now = Date.now();
    if (now - this.lastWarn > 10_000) {
      this.lastWarn = now;
      this.warn(`refusing connections: ${why}; ${this.refused} refused, ${this.evicted} evicted so far`);
    }
    return false;
  }
}

const BUSY_ANSWER = rawHecAnswer(new SimError('SIM_ERR_HEC_BUSY_CONNECTIONS', { detail: 'too many connections from this address or in all; retry later' }));

/** Puts the guard in front of a server's own 'connection' listeners (before src/service/faults wraps them in turn). */
function guardConnections(server: http.Server, guard: ConnectionGuard, plain: boolean): void {
  const original = server.listeners('connection') as Array<(s: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    if (!guard.admit(socket)) {
      socket.on('error', () => undefined);
      if (plain) {
        socket.end(BUSY_ANSWER);
        socket.destroySoon();
      } else socket.destroy();
      return;
    }
    for (const l of original) l.call(server, socket);
  });
}

/**
 * The "client" of a remote address for the per-client cap: an IPv4 address (also IPv4-mapped IPv6) as it is, an
 * IPv6 address by its /64 prefix (one host commonly has a whole /64 to pick source addresses from).
 */
export function clientKey(addr: string): string {
  if (!addr.includes(':')) return addr;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(addr);
  if (mapped) return mapped[1];
  const [head, tail] = addr.toLowerCase().split('%')[0].split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** Whether a listen address reaches only this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

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
  /**
   * Serve the development default (public tokens and admin token) on a non-loopback address anyway
   * (`serve --allow-public-dev`). Without it startServer refuses.
   */
  allowPublicDev?: boolean;
};

function urlOf(scheme: string, server: http.Server): string {
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `${scheme}://${host}:${a.port}`;
}

/**
 * The accept queue: Node's default (511) overflows when thousands of connections arrive at once, and the kernel
 * then drops SYNs — a normal client's too, which retries after 1, 2, 4 s. Linux caps it at net.core.somaxconn.
 */
const BACKLOG = 4096;

function listenNode(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, BACKLOG, () => {
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
  if (cfg.dev && !isLoopbackHost(cfg.listen.host) && opts.allowPublicDev !== true) {
    throw new SchemaError('--host', [
      `the development default (no --config) has public tokens and the public admin token '${cfg.adminToken}'; `
      + `serving it on ${cfg.listen.host} lets anyone who reaches this machine read and change it. Give --config with your own `
      + 'tokens (docs/reliability.md), listen on 127.0.0.1, or pass --allow-public-dev if you mean it',
    ]);
  }
  const regions = opts.regions ?? servedRegions(loadRegions());
  const tls = cfg.tls ? loadTls(cfg.tls.dir, regions) : null;
  const limits = cfg.limits;
  // one count of connections across every port (src/service/server.ts ConnectionGuard)
  let warn: (msg: string) => void = () => {};
  const guard = new ConnectionGuard(limits, (m) => warn(m));
  const timeouts = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the header and request timeouts this often (default 30 s: a slowloris would get that much more)
    connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(limits.headersTimeoutMs / 4))),
  };
  const scheme = tls ? 'https' : 'http';
  const make = (handler: http.RequestListener, portRegion?: string): http.Server => {
    let server: http.Server;
    if (tls) {
      server = https.createServer({
        ...timeouts,
        ...tls.defaultContext,
        SNICallback: (name, cb) => cb(null, tls.byHost.get(name.toLowerCase())),
      }, handler) as unknown as http.Server;
      if (portRegion) server.on('secureConnection', (s: TLSSocket) => { (s as unknown as Record<symbol, string>)[kPortRegion] = portRegion; });
    } else {
      server = http.createServer(timeouts, handler);
      if (portRegion) server.on('connection', (s: Socket) => { (s as unknown as Record<symbol, string>)[kPortRegion] = portRegion; });
    }
    server.headersTimeout = timeouts.headersTimeout;
    server.requestTimeout = timeouts.requestTimeout;
    server.keepAliveTimeout = timeouts.keepAliveTimeout;
    // region ports: Node's own 400/408/431 as HEC JSON (Fastify installs the same handler on the shared port)
    if (portRegion) server.on('clientError', hecClientErrorHandler);
    guardConnections(server, guard, !tls);
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
  warn = (m) => app.log.warn(m);
  app.decorate('connections', guard);
  new Gauge({
    name: 'ingestor_sim_connections', help: 'Connections: open now, refused and evicted since the start (limits.maxConnections / maxConnectionsPerClient)',
    labelNames: ['state'] as const, registers: [app.sim.metrics.registry],
    collect() {
      this.set({ state: 'open' }, guard.open);
      this.set({ state: 'refused' }, guard.refused);
      this.set({ state: 'evicted' }, guard.evicted);
    },
  });
  const extra: Array<{ id: string; server: http.Server; unguard: () => void }> = [];
  try {
    await app.listen({ host: cfg.listen.host, port: cfg.listen.port, backlog: BACKLOG });
    for (const [id, port] of Object.entries(cfg.listen.regionPorts)) {
      const server = make(handler!, id);
      server.on('checkContinue', checkContinueListener(app.sim, handler!)); // refuse before 100 Continue (as the shared port)
      // TCP-level faults (refused / dropped) of this region's own port (src/service/faults); wraps our 'connection' listeners.
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
  for (const e of extra) app.sim.setRegionPort(e.id, (e.server.address() as AddressInfo).port);
  let closing: Promise<void> | null = null;
  return {
    app,
    url: urlOf(scheme, app.server),
    regionUrls,
    close() {
      closing ??= (async () => {
        app.sim.setShuttingDown(true);
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

declare module 'fastify' {
  interface FastifyInstance {
    /** The connection guard of a service started by startServer (src/service/server.ts). */
    connections?: ConnectionGuard;
  }
}
