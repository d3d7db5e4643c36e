import { describe, expect, it } from 'vitest';
import { authenticate, compileTokens, isGuid, tokenFromHeader } from '../../../../src/service/auth/auth.ts';

const A = '11111111-1111-4111-8111-111111111111';
const Q = '22222222-2222-4222-8222-222222222222';
const D = '33333333-3333-4333-8333-333333333333';
const table = compileTokens([
  { token: A, tenant: 't', region: 'us' },
  { token: Q, tenant: 't', region: 'us', allowQueryStringAuth: true },
  { token: D.toUpperCase(), tenant: 't', region: 'us', disabled: true, allowQueryStringAuth: true },
]);
const hec = (f: () => unknown) => {
  try { f(); return 'ok'; } catch (e) { return (e as { hecCode: number }).hecCode; }
};

describe('tokenFromHeader', () => {
  it('reads Splunk, Bearer and Basic (any user, token as password)', () => {
    expect(tokenFromHeader(`Splunk ${A}`)).toEqual({ token: A, scheme: 'splunk' });
    expect(tokenFromHeader(`  bearer   ${A} `)).toEqual({ token: A, scheme: 'bearer' });
    expect(tokenFromHeader(`Basic ${Buffer.from(`me:${A}`).toString('base64')}`)).toEqual({ token: A, scheme: 'basic' });
    expect(tokenFromHeader(`Basic ${Buffer.from(`:${A}`).toString('base64')}`).token).toBe(A);
  });
  it.each(['Splunk', `Digest ${A}`, `Splunk ${A} extra`, `Basic ${Buffer.from('x:').toString('base64')}`])('%j is code 3', (h) => {
    expect(hec(() => tokenFromHeader(h))).toBe(3);
  });
});

describe('authenticate (Splunk precedence)', () => {
  it.each([
    ['no credential', undefined, undefined, 2],
    ['blank header', '  ', undefined, 2],
    ['unknown header token', 'Splunk 99999999-9999-4999-8999-999999999999', undefined, 4],
    ['disabled token (case-insensitive match)', `Splunk ${D}`, undefined, 1],
    ['query token not allowed, even with a good header', `Splunk ${A}`, A, 16],
    ['unknown query token beats everything', `Splunk ${A}`, 'nope', 4],
    ['disabled query token', undefined, D, 1],
    ['allowed query token', undefined, Q, 'ok'],
    ['empty query token falls back to the header', `Splunk ${A}`, '', 'ok'],
  ])('%s', (_n, header, query, expected) => {
    expect(hec(() => authenticate(table, header, query))).toBe(expected);
  });
  it('returns the token definition and the scheme', () => {
    expect(authenticate(table, `Bearer ${A.toUpperCase()}`, undefined)).toMatchObject({ def: { token: A }, scheme: 'bearer' });
    expect(authenticate(table, undefined, Q).scheme).toBe('query');
  });
});

it('isGuid', () => {
  expect(isGuid('B3C0D1E2-0000-4000-8000-00000000A11C')).toBe(true);
  expect(isGuid('b3c0d1e2000040008000000000000a11c')).toBe(false);
  expect(isGuid('zzz')).toBe(false);
});
