import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate, isGuid } from '../auth/auth.ts';
import type { TokenDef } from '../../config/config.ts';
import { SimError } from '../../errors/sim-error.ts';
import { kPortRegion, routeRegion } from '../region/route.ts';
import type { RegionRuntime, SimState } from '../state.ts';

/**
 * The HEC plugin's onRequest hook (src/service/hec/plugin.ts): what the request line and headers decide before
 * the body is read — the region (port, SNI or Host), the token bound to it, the channel — and the same routing and
 * token check for the refusal before `100 Continue` (continue.ts). The routes' handlers are in routes.ts.
 */

/** A request's query, as Fastify parses it. */
export type Query = Record<string, string | string[] | undefined>;

/** The first value of a query parameter (a repeated one is read as its first). */
export function q1(req: FastifyRequest, name: string): string | undefined {
  const v = (req.query as Query)[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Routes a request to its region (one place; later hooks see `request.region`); null: any host, routed by the token. */
function regionOf(sim: SimState, req: FastifyRequest): RegionRuntime | null {
  return routedRegion(sim, req.raw);
}

/** The region a request's port, TLS SNI name or Host header names (src/service/region/route.ts), or null: any other host. */
function routedRegion(sim: SimState, raw: IncomingMessage): RegionRuntime | null {
  const sock = raw.socket as typeof raw.socket & { servername?: string | false; [kPortRegion]?: string };
  const id = routeRegion(sim.routes, { host: raw.headers.host, sni: sock.servername, portRegion: sock[kPortRegion] });
  return id === null ? null : sim.regions.get(id)!;
}

/**
 * What the request line and headers decide of a HEC request: its region (from the port, SNI or Host; any other
 * host: the token's region) and its token, bound to that region. `onRegion` hears of the region as soon as it
 * is known, so that its response headers go with any refusal. Shared by the HEC hook and the check before
 * `100 Continue` (src/service/hec/continue.ts), so that both refuse alike.
 */
export function routeAndToken(
  sim: SimState, raw: IncomingMessage, queryTokens: string | readonly string[] | undefined,
  onRegion: (region: RegionRuntime) => void, warn: (obj: object, msg: string) => void,
): { region: RegionRuntime; def: TokenDef } {
  let region = routedRegion(sim, raw);
  if (region !== null) onRegion(region);
  if (sim.shuttingDown) throw new SimError('SIM_ERR_HEC_SHUTTING_DOWN');
  // every ?token= value (a repeated one is refused, not read as its first: `?token=&token=<t>`)
  const { def } = authenticate(sim.tokens, raw.headers.authorization, queryTokens);
  if (region === null) {
    // any host (localhost, an address, a LAN name) on the shared port: the token's region (src/service/region/route.ts)
    const own = sim.regions.get(def.region);
    if (own === undefined) throw new SimError('SIM_ERR_AUTH_TOKEN_WRONG_REGION', { headers: { 'x-sim-refused-reason': `token is bound to region '${def.region}', which this server does not serve` } });
    region = own;
    onRegion(region);
  } else if (def.region !== region.def.id) {
    const reason = `token is bound to region '${def.region}', but the request reached region '${region.def.id}' (${region.def.ingestorHost}); send it to ingestor-${def.region}`;
    warn({ region: region.def.id, tokenRegion: def.region, tenant: def.tenant }, `refused token of another region: ${reason}`);
    throw new SimError('SIM_ERR_AUTH_TOKEN_WRONG_REGION', { headers: { 'x-sim-refused-reason': reason } });
  }
  return { region, def };
}

/**
 * The onRequest hook of every HEC route: region routing (response headers), then authentication with the
 * token bound to the region, then the channel. Runs before the body is read. Callback style: it never waits,
 * and an async hook costs every request a promise and a turn of the microtask queue.
 */
export function hecOnRequest(this: FastifyInstance, req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
  try {
    routeAndAuthenticate(this.sim, req, reply);
  } catch (err) {
    done(err as Error);
    return;
  }
  done();
}

function routeAndAuthenticate(sim: SimState, req: FastifyRequest, reply: FastifyReply): void {
  const kind = req.routeOptions.config.hec;
  if (kind === undefined) return;
  if (kind === 'health') {
    try {
      const region = regionOf(sim, req);
      if (region === null) throw new Error('no region host');
      req.region = region.def.id;
      reply.headers(region.headers);
      req.hec = { region, token: null, channel: null };
    } catch {
      req.hec = null; // health answers for the whole server on a non-region host (e.g. a container health check)
    }
    return;
  }
  // HEC takes any Content-Type (splunk-logging labels JSON as form-urlencoded; some clients send none or
  // junk): the body is read as bytes whatever the header says, so an unparseable one must not become a 415.
  req.headers['content-type'] = 'application/octet-stream';
  const { region, def } = routeAndToken(sim, req.raw, (req.query as Query).token, (r) => {
    req.region = r.def.id;
    reply.headers(r.headers);
  }, (obj, msg) => req.log.warn(obj, msg));
  let channel: string | null = null;
  const ch = (req.headers['x-splunk-request-channel'] as string | undefined) ?? q1(req, 'channel');
  if (kind === 'ack' && !def.useAck) {
    throw new SimError('SIM_ERR_HEC_ACK_DISABLED', { detail: 'this token has no "useAck": true' });
  }
  if (ch !== undefined && ch !== '') {
    if (!isGuid(ch)) throw new SimError('SIM_ERR_HEC_CHANNEL_INVALID', { detail: `channel '${ch.slice(0, 80)}' is not a GUID` });
    channel = ch;
  } else if (def.useAck) {
    throw new SimError('SIM_ERR_HEC_CHANNEL_MISSING', { detail: 'this token uses acks: send X-Splunk-Request-Channel: <GUID> or ?channel=' });
  }
  const cookie = q1(req, 'channel_cookie');
  if (cookie && channel && /^[A-Za-z0-9_.-]{1,64}$/.test(cookie)) reply.header('set-cookie', `${cookie}=${channel}`);
  // the tenant's policy in force when the request arrived is the one applied, however long it waits
  req.hec = { region, token: def, channel, policy: sim.policies.get(def.tenant) };
}
