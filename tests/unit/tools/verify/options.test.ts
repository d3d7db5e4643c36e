import { describe, expect, it } from 'vitest';
import { noProxyMatches, parseDuration, parseProxyUrl, parseResolve, pickProxy, resolveOverride } from '../../../../src/tools/verify/options.ts';

describe('parseResolve', () => {
  it('reads HOST:PORT:ADDR like curl, with several and bracketed IPv6 addresses', () => {
    expect(parseResolve('Ingestor-US.xdr.trendmicro.com:443:127.0.0.1')).toEqual({ host: 'ingestor-us.xdr.trendmicro.com', port: 443, addresses: ['127.0.0.1'] });
    expect(parseResolve('h:8443:[::1],127.0.0.2')).toEqual({ host: 'h', port: 8443, addresses: ['::1', '127.0.0.2'] });
    expect(parseResolve('h:*:::1')).toEqual({ host: 'h', port: '*', addresses: ['::1'] });
  });
  it('says what is wrong', () => {
    expect(() => parseResolve('h:443')).toThrow(/expected HOST:PORT:ADDR/);
    expect(() => parseResolve('h:70000:127.0.0.1')).toThrow(/out of range/);
    expect(() => parseResolve('h:443:not-an-ip')).toThrow(/'not-an-ip' is not an IPv4 or IPv6 address/);
  });
  it('matches host (any case) and port; first entry wins', () => {
    const e = [parseResolve('a:443:127.0.0.1'), parseResolve('a:*:127.0.0.2')];
    expect(resolveOverride(e, 'A', 443)).toEqual(['127.0.0.1']);
    expect(resolveOverride(e, 'a', 8443)).toEqual(['127.0.0.2']);
    expect(resolveOverride(e, 'b', 443)).toBeNull();
  });
});

describe('parseDuration', () => {
  it('reads s, ms, m and bare seconds', () => {
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2')).toBe(2000);
    expect(parseDuration('1m')).toBe(60_000);
  });
  it('refuses junk and out-of-range values', () => {
    expect(() => parseDuration('soon')).toThrow(expect.objectContaining({ name: 'SimError', code: 'SIM_ERR_USAGE', exitStatus: 2 }));
    expect(() => parseDuration('0s')).toThrow(/between 1ms and 10m/);
    expect(() => parseDuration('11m')).toThrow(/between 1ms and 10m/);
  });
});

describe('proxy settings', () => {
  it('parses http proxy URLs with credentials; refuses other schemes', () => {
    expect(parseProxyUrl('http://u%40x:p@proxy.corp:3128')).toEqual({ host: 'proxy.corp', port: 3128, auth: 'u@x:p', display: 'http://proxy.corp:3128' });
    expect(parseProxyUrl('127.0.0.1:8080')).toMatchObject({ host: '127.0.0.1', port: 8080, auth: null });
    expect(parseProxyUrl('http://[::1]')).toMatchObject({ host: '::1', port: 80 });
    expect(() => parseProxyUrl('socks5://h:1080')).toThrow(/only http:\/\/ proxies/);
  });
  it('NO_PROXY: *, suffixes, leading dots, ports, IPv6', () => {
    expect(noProxyMatches('*', 'x', 443)).toBe(true);
    expect(noProxyMatches('example.com', 'a.example.com', 443)).toBe(true);
    expect(noProxyMatches('.example.com', 'example.com', 443)).toBe(true);
    expect(noProxyMatches('example.com', 'badexample.com', 443)).toBe(false);
    expect(noProxyMatches('localhost,127.0.0.1', '127.0.0.1', 443)).toBe(true);
    expect(noProxyMatches('h:8443', 'h', 443)).toBe(false);
    expect(noProxyMatches('h:8443', 'h', 8443)).toBe(true);
    expect(noProxyMatches('[::1]:443', '::1', 443)).toBe(true);
    expect(noProxyMatches('::1', '::1', 443)).toBe(true);
    expect(noProxyMatches(undefined, 'h', 443)).toBe(false);
  });
  it('pickProxy: --proxy wins, empty --proxy disables, else HTTPS_PROXY unless NO_PROXY', () => {
    const env = { HTTPS_PROXY: 'http://envproxy:3128', NO_PROXY: '.localhost' };
    expect(pickProxy('http://cli:1', env, 'h', 443)?.host).toBe('cli');
    expect(pickProxy('', env, 'h', 443)).toBeNull();
    expect(pickProxy(undefined, env, 'h', 443)?.host).toBe('envproxy');
    expect(pickProxy(undefined, env, 'ingestor-us.localhost', 443)).toBeNull();
    expect(pickProxy(undefined, { https_proxy: 'http://lower:1' }, 'h', 443)?.host).toBe('lower');
    expect(pickProxy(undefined, {}, 'h', 443)).toBeNull();
  });
});
