import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/service/app.ts';
import { loadRegions, servedRegions } from '../../src/service/region/regions.ts';
import { compileRouteTable, headerSafe, normalizeHost, regionHeaders, routeRegion } from '../../src/service/region/route.ts';

const regions = servedRegions(loadRegions());
const table = compileRouteTable(regions);
const route = (host: string | undefined, sni?: string, portRegion?: string) => {
  try { return routeRegion(table, { host, sni, portRegion }); } catch (e) { return (e as { code: string }).code; }
};

describe('routeRegion (pure)', () => {
  it('normalizes host headers', () => {
    expect(normalizeHost('Ingestor-EU.xdr.trendmicro.com.:443')).toBe('ingestor-eu.xdr.trendmicro.com');
    expect(normalizeHost('[::1]:8088')).toBe('::1');
    expect(normalizeHost(undefined)).toBe('');
  });
  it('Host decides on the shared port; any other host is left to the token (null); unserved ingestor names are refused', () => {
    expect(route('ingestor-anz.xdr.trendmicro.com')).toBe('anz');
    expect(route('ingestor-in.localhost:8093')).toBe('in');
    for (const h of ['localhost', 'localhost:8088', '127.0.0.1', '[::1]:8088', 'build-box.lan', undefined]) expect(route(h)).toBeNull();
    expect(route('ingestor-mea.xdr.trendmicro.com')).toBe('SIM_ERR_ROUTE_UNKNOWN_HOST');
    expect(route('ingestor-ue.localhost')).toBe('SIM_ERR_ROUTE_UNKNOWN_HOST');
    expect(route('localhost', 'localhost')).toBeNull();
  });
  it('SNI decides over an unknown Host; a contradicting Host is refused', () => {
    expect(route('127.0.0.1', 'ingestor-sg.xdr.trendmicro.com')).toBe('sg');
    expect(route('ingestor-sg.localhost', 'ingestor-sg.xdr.trendmicro.com')).toBe('sg');
    expect(route('ingestor-jp.localhost', 'ingestor-sg.xdr.trendmicro.com')).toBe('SIM_ERR_ROUTE_HOST_MISMATCH');
    expect(route('ingestor-jp.localhost', 'localhost')).toBe('jp');
  });
  it('a region port decides; Host or SNI of another region is refused', () => {
    expect(route('127.0.0.1:8089', undefined, 'eu')).toBe('eu');
    expect(route('ingestor-us.localhost', undefined, 'eu')).toBe('SIM_ERR_ROUTE_HOST_MISMATCH');
    expect(route('127.0.0.1', 'ingestor-us.localhost', 'eu')).toBe('SIM_ERR_ROUTE_HOST_MISMATCH');
  });
  it('region headers are ASCII', () => {
    expect(headerSafe('East US – N. Virginia, Zürich')).toBe('East US - N. Virginia, Z%C3%BCrich');
    const h = regionHeaders(regions.find((r) => r.id === 'jp')!);
    expect(h['x-ingestor-region']).toBe('jp');
    expect(h['x-ingestor-data-centers']).toMatch(/^[\x20-\x7e]+$/);
  });
});

it('redactUrl hides query-string tokens in logs', () => {
  expect(redactUrl('/services/collector?token=abc&x=1')).toBe('/services/collector?token=[redacted]&x=1');
  expect(redactUrl('/h?x=1&TOKEN=abc')).toBe('/h?x=1&TOKEN=[redacted]');
  expect(redactUrl('/h?mytoken=abc')).toBe('/h?mytoken=abc');
});
