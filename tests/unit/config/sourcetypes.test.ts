import { describe, expect, it } from 'vitest';
import { buildConfig, type ConfigFile } from '../../../src/config/config.ts';

const base = (sourcetypes: unknown): ConfigFile => ({
  adminToken: 'admin-token-1', tenants: [{ id: 'acme' }],
  tokens: [{ token: '11111111-1111-4111-8111-111111111111', tenant: 'acme', region: 'eu' }],
  sourcetypes: sourcetypes as ConfigFile['sourcetypes'],
});

describe('config: the sourcetypes table (docs/raw-events.md)', () => {
  it('takes props.conf settings in camelCase, frozen with the rest', () => {
    const c = buildConfig(base({ 'acme:app': { shouldLinemerge: false, timePrefix: 'at=', tz: '+09:00', maxEvents: 10 }, default: { truncate: 0 } }));
    expect(c.sourcetypes).toEqual({ 'acme:app': { shouldLinemerge: false, timePrefix: 'at=', tz: '+09:00', maxEvents: 10 }, default: { truncate: 0 } });
    expect(Object.isFrozen(c.sourcetypes!['acme:app'])).toBe(true);
    expect(buildConfig(base(undefined)).sourcetypes).toBeUndefined();
  });

  it('the schema refuses unknown settings and bad values, by path', () => {
    expect(() => buildConfig(base({ x: { SHOULD_LINEMERGE: false } }))).toThrow(/\/sourcetypes\/x: must NOT have additional properties 'SHOULD_LINEMERGE'/);
    expect(() => buildConfig(base({ x: { maxEvents: 0 } }))).toThrow(/\/sourcetypes\/x\/maxEvents: must be >= 1/);
    expect(() => buildConfig(base({ x: { datetimeConfig: 'CURRENT' } }))).toThrow(/\/sourcetypes\/x\/datetimeConfig: must be equal to one of the allowed values/);
  });

  it('a regex that does not compile, a breaker without a group and an unknown zone stop the start', () => {
    expect(() => buildConfig(base({ a: { breakOnlyBefore: '(?i)^x' } }))).toThrow(/\/sourcetypes\/a: Invalid regular expression/);
    expect(() => buildConfig(base({ b: { lineBreaker: '[\\r\\n]+' } }))).toThrow(/\/sourcetypes\/b: lineBreaker must have a capturing group/);
    expect(() => buildConfig(base({ c: { tz: 'America/New_York' } }))).toThrow(/\/sourcetypes\/c: tz 'America\/New_York' is not a fixed offset/);
  });
});
