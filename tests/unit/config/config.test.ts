import { describe, expect, it } from 'vitest';
import { buildConfig, devConfigFile, devTokenFor, loadConfig, parseRegionPorts, resolveConfig, type ConfigFile } from '../../../src/config/config.ts';
import { envLayer } from '../../../src/config/sources.ts';

const base = (): ConfigFile => ({
  adminToken: 'admin-token-1', tenants: [{ id: 'acme' }],
  tokens: [{ token: '11111111-1111-4111-8111-111111111111', tenant: 'acme', region: 'eu' }],
});

describe('buildConfig', () => {
  it('fills defaults and freezes', () => {
    const c = buildConfig(base());
    expect(c).toMatchObject({ undeclared: 'flag', dev: false, store: { kind: 'sqlite', fsync: 'batch' }, listen: { host: '127.0.0.1', port: 8088, regionPorts: {} }, tls: null });
    expect(c.limits.maxEventBytes).toBe(5 * 1024 * 1024);
    expect(Object.isFrozen(c.store)).toBe(true);
  });
  it('layers: file < env < CLI', () => {
    const c = buildConfig({ ...base(), listen: { port: 9000 }, store: { fsync: 'always' } }, { port: 9100, dataDir: '/tmp/x' }, { port: 9200, fsync: 'never', regionPorts: { eu: 9300 } });
    expect(c.listen.port).toBe(9200);
    expect(c.dataDir).toBe('/tmp/x');
    expect(c.store.fsync).toBe('never');
    expect(c.listen.regionPorts).toEqual({ eu: 9300 });
  });
  it('development default: one deterministic token per served region', () => {
    const c = buildConfig(null);
    expect(c.dev).toBe(true);
    expect(c.tokens.map((t) => t.region)).toEqual(['us', 'eu', 'jp', 'sg', 'anz', 'in']);
    expect(c.tokens[0].token).toBe(devTokenFor(0));
    expect(devTokenFor(0)).toBe('00000000-0000-4000-8000-000000000001');
    expect(devConfigFile().adminToken).toBe(c.adminToken);
  });
  it('schema errors name every bad path', () => {
    const bad = { ...base(), adminToken: 'x', undeclared: 'maybe', tokens: [{ token: 'abc', tenant: 'acme', region: 'eu', extra: 1 }] } as unknown as ConfigFile;
    expect(() => buildConfig(bad)).toThrow(/\/adminToken: must NOT have fewer than 8 characters[\s\S]*\/tokens\/0: must NOT have additional properties 'extra'[\s\S]*\/tokens\/0\/token: must match pattern[\s\S]*\/undeclared: must be equal to one of the allowed values \("keep", "flag", "drop"\)/);
  });
  it('cross-references: duplicate tokens/tenants, unknown tenant/region, port clashes', () => {
    const f = base();
    f.tenants.push({ id: 'acme' });
    f.tokens.push({ ...f.tokens[0], token: f.tokens[0].token.toUpperCase() }, { token: '22222222-2222-4222-8222-222222222222', tenant: 'zeta', region: 'mea' });
    f.listen = { port: 8088, regionPorts: { us: 8088, xx: 9000 } };
    let msg = '';
    try { buildConfig(f); } catch (e) { msg = (e as Error).message; }
    expect(msg).toContain("/tenants/1/id: tenant 'acme' is defined twice");
    expect(msg).toContain('/tokens/1/token: token 11111111-1111-4111-8111-111111111111 is defined twice');
    expect(msg).toContain("/tokens/2/tenant: no tenant 'zeta'");
    expect(msg).toContain("/tokens/2/region: 'mea' is not a served region");
    expect(msg).toContain('/listen/regionPorts/us: port 8088 is already used by (shared port)');
    expect(msg).toContain("/listen/regionPorts/xx: 'xx' is not a served region");
  });
  it('loadConfig: unreadable and non-JSON files are named', () => {
    expect(() => loadConfig('/nonexistent/cfg.json')).toThrow(/\/nonexistent\/cfg.json is invalid:[\s\S]*cannot be read/);
  });
});

describe('parseRegionPorts and env', () => {
  it('parses and refuses', () => {
    expect(parseRegionPorts('us=8088, eu=8089')).toEqual({ us: 8088, eu: 8089 });
    expect(() => parseRegionPorts('us=99999')).toThrow(/'us=99999' is not <region>=<port>/);
    expect(() => parseRegionPorts('us:1')).toThrow(/is not <region>=<port>/);
  });
  it('SIM_* variables', () => {
    // the environment is a partial layer of the file's shape; the port's text becomes a number by the schema
    const env = { SIM_PORT: '9999', SIM_HOST: '::1', SIM_DATA_DIR: '/d', SIM_REGION_PORTS: 'jp=1', SIM_LOG_LEVEL: 'warn' };
    const problems: string[] = [];
    expect(envLayer(env, problems).data).toEqual({ listen: { port: '9999', host: '::1', regionPorts: { jp: 1 } }, dataDir: '/d', logLevel: 'warn' });
    expect(problems).toEqual([]);
    const c = resolveConfig({ file: null, env });
    expect([c.listen.port, c.listen.host, c.dataDir, c.listen.regionPorts, c.logLevel]).toEqual([9999, '::1', '/d', { jp: 1 }, 'warn']);
    expect(() => resolveConfig({ file: null, env: { SIM_PORT: 'x' } })).toThrow(/SIM_PORT: 'x' is not a port/);
  });
});
