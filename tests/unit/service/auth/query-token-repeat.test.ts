import { describe, expect, it } from 'vitest';
import { authenticate, compileTokens } from '../../../../src/service/auth/auth.ts';

const valid = '11111111-1111-4111-8111-111111111111';
const other = '22222222-2222-4222-8222-222222222222';
const table = compileTokens([
  { token: valid, tenant: 't', region: 'us' },
  { token: other, tenant: 't', region: 'us', allowQueryStringAuth: true },
]);

describe('?token= given more than once (issue 13 item 11)', () => {
  it('`?token=&token=<valid>` is refused (401 code 3), not read as the empty first value with the header deciding', () => {
    for (const q of [['', valid], [valid, valid], ['', other], [other, '']]) {
      expect(() => authenticate(table, `Splunk ${valid}`, q)).toThrow(expect.objectContaining({ code: 'SIM_ERR_AUTH_MALFORMED', statusCode: 401, hecCode: 3 }));
    }
  });
  it('one value is checked as before', () => {
    expect(() => authenticate(table, `Splunk ${other}`, [valid])).toThrow(expect.objectContaining({ code: 'SIM_ERR_AUTH_QUERY_NOT_ALLOWED' }));
    expect(authenticate(table, undefined, [other]).scheme).toBe('query');
    expect(authenticate(table, `Splunk ${valid}`, '').scheme).toBe('splunk');
  });
});
