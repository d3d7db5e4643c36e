import type { RegionDef } from './regions.ts';
import { SimError } from '../../errors/sim-error.ts';

/** Set on a socket accepted by a port bound to one region (`--region-ports`). */
export const kPortRegion = Symbol.for('sim.portRegion');

/** Host name → region id for every served region (ingestorHost and localHost). Built once at boot. */
export interface RouteTable {
  readonly byHost: ReadonlyMap<string, string>;
  readonly hostList: string;
}

export function compileRouteTable(regions: readonly RegionDef[]): RouteTable {
  const byHost = new Map<string, string>();
  for (const r of regions) {
    if (r.ingestorHost) byHost.set(r.ingestorHost.toLowerCase(), r.id);
    if (r.localHost) byHost.set(r.localHost.toLowerCase(), r.id);
  }
  return { byHost, hostList: [...byHost.keys()].join(', ') };
}

/** The host name of a Host header: lower case, without port, trailing dot or IPv6 brackets. */
export function normalizeHost(host: string | undefined): string {
  if (!host) return '';
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(1, end);
  }
  const colon = h.indexOf(':');
  if (colon !== -1 && h.indexOf(':', colon + 1) === -1) h = h.slice(0, colon);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

export interface RouteInput {
  /** The Host header (or :authority). */
  host: string | undefined;
  /** The TLS SNI name, when the connection is TLS and the client sent one. */
  sni: string | undefined | null | false;
  /** The region of a region-bound port, when the request came in on one. */
  portRegion: string | undefined;
}

/** Looks like an ingestor host name (real or .localhost) of a region this server does not serve: refused, not guessed. */
const INGESTOR_LIKE = /^ingestor-[a-z0-9-]+\.(?:xdr\.trendmicro\.com|localhost)$/;

/**
 * Decides the region of a request, in one place: a region port decides; else a region host name in TLS SNI;
 * else the Host header. A Host header naming another region than the port or the SNI name is refused.
 * Any other host on the shared port (localhost, 127.0.0.1, ::1, a LAN name, no Host at all) gives null:
 * the request is routed by its token's region (tokens are bound to one region), as a Splunk client configured
 * with `https://localhost:8088` expects. An ingestor-like name of a region not served is refused (421).
 */
export function routeRegion(table: RouteTable, input: RouteInput): string | null {
  const hostName = normalizeHost(input.host);
  const hostRegion = table.byHost.get(hostName);
  const sniRegion = input.sni ? table.byHost.get(String(input.sni).toLowerCase()) : undefined;
  const fixed = input.portRegion ?? sniRegion;
  if (fixed !== undefined) {
    const by = input.portRegion !== undefined ? `this port is bound to region '${input.portRegion}'` : `the TLS SNI name '${input.sni}' is region '${sniRegion}'`;
    if (input.portRegion !== undefined && sniRegion !== undefined && sniRegion !== input.portRegion) {
      throw new SimError('SIM_ERR_ROUTE_HOST_MISMATCH', { detail: `${by}, but the TLS SNI name '${input.sni}' is region '${sniRegion}'` });
    }
    if (hostRegion !== undefined && hostRegion !== fixed) {
      throw new SimError('SIM_ERR_ROUTE_HOST_MISMATCH', { detail: `${by}, but the Host header '${hostName}' is region '${hostRegion}'` });
    }
    return fixed;
  }
  if (hostRegion !== undefined) return hostRegion;
  const sniName = input.sni ? String(input.sni).toLowerCase() : '';
  const unserved = [hostName, sniName].find((n) => INGESTOR_LIKE.test(n));
  if (unserved !== undefined) {
    throw new SimError('SIM_ERR_ROUTE_UNKNOWN_HOST', {
      detail: `'${unserved}' is not an ingestor host this server serves; use one of ${table.hostList}, any other name (e.g. localhost: routed by the token's region), or a --region-ports port`,
    });
  }
  return null;
}

/** ASCII-only header value (Node refuses other characters in headers): dashes folded, the rest escaped. */
export function headerSafe(s: string): string {
  return s.replace(/[\u2010-\u2015]/g, '-').replace(/[^\x20-\x7e]/g, (c) => encodeURIComponent(c));
}

/** The response headers of a region: its id and its data centers. Computed once per region. */
export function regionHeaders(r: RegionDef): Record<string, string> {
  return {
    'x-ingestor-region': r.id,
    'x-ingestor-host': r.ingestorHost ?? '',
    'x-ingestor-data-centers': headerSafe(
      r.dataCenters.map((d) => `${d.provider}: ${d.location}${d.futureSite ? ' (future site)' : ''}`).join('; '),
    ),
  };
}
