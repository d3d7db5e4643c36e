import type { TokenDef } from '../../config/config.ts';
import { SimError } from '../../errors/sim-error.ts';

/** Token (lower case) → definition. Built once at boot; tokens compare case-insensitively. */
export type TokenTable = ReadonlyMap<string, TokenDef>;

export function compileTokens(tokens: readonly TokenDef[]): TokenTable {
  return new Map(tokens.map((t) => [t.token.toLowerCase(), t]));
}

export type CredentialScheme = 'query' | 'splunk' | 'basic' | 'bearer';

/** Reads the token from an Authorization header: `Splunk <t>`, `Bearer <t>`, or Basic with the token as password. */
export function tokenFromHeader(authorization: string): { token: string; scheme: CredentialScheme } {
  const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(authorization);
  if (!m) throw new SimError('SIM_ERR_AUTH_MALFORMED', { detail: "expected 'Authorization: Splunk <token>'" });
  const scheme = m[1].toLowerCase();
  if (scheme === 'splunk') return { token: m[2], scheme: 'splunk' };
  if (scheme === 'bearer') return { token: m[2], scheme: 'bearer' };
  if (scheme === 'basic') {
    const decoded = Buffer.from(m[2], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1 || colon === decoded.length - 1) {
      throw new SimError('SIM_ERR_AUTH_MALFORMED', { detail: 'Basic credentials must be <any user>:<token>' });
    }
    return { token: decoded.slice(colon + 1), scheme: 'basic' };
  }
  throw new SimError('SIM_ERR_AUTH_MALFORMED', { detail: `unknown scheme '${m[1]}'; use 'Splunk <token>'` });
}

/**
 * HEC authentication with Splunk's precedence: a `?token=` wins over the header even when the token does not
 * allow query-string auth (then 400 code 16, but an unknown query token is 403 code 4 first); no credential
 * is 401 code 2, a malformed header 401 code 3, an unknown token 403 code 4, a disabled one 403 code 1.
 */
export function authenticate(table: TokenTable, authorization: string | undefined, queryTokens: string | readonly string[] | undefined): { def: TokenDef; scheme: CredentialScheme } {
  // `?token=&token=<t>`: a repeated parameter is refused whole, never read as one of its values (reading the
  // first, empty one skipped the query-token checks and let the header decide)
  if (Array.isArray(queryTokens) && queryTokens.length > 1) {
    throw new SimError('SIM_ERR_AUTH_MALFORMED', { detail: `?token= is given ${queryTokens.length} times; give it once, or send 'Authorization: Splunk <token>'` });
  }
  const queryToken: string | undefined = Array.isArray(queryTokens) ? queryTokens[0] : (queryTokens as string | undefined);
  if (queryToken !== undefined && queryToken !== '') {
    const def = table.get(queryToken.toLowerCase());
    if (!def) throw new SimError('SIM_ERR_AUTH_TOKEN_INVALID', { detail: 'the ?token= value is not a configured token' });
    if (!def.allowQueryStringAuth) {
      throw new SimError('SIM_ERR_AUTH_QUERY_NOT_ALLOWED', { detail: 'this token does not allow ?token= (allowQueryStringAuth); send Authorization: Splunk <token>' });
    }
    if (def.disabled) throw new SimError('SIM_ERR_AUTH_TOKEN_DISABLED');
    return { def, scheme: 'query' };
  }
  if (authorization === undefined || authorization.trim() === '') {
    throw new SimError('SIM_ERR_AUTH_TOKEN_REQUIRED', { detail: "send 'Authorization: Splunk <token>'" });
  }
  const { token, scheme } = tokenFromHeader(authorization);
  const def = table.get(token.toLowerCase());
  if (!def) throw new SimError('SIM_ERR_AUTH_TOKEN_INVALID');
  if (def.disabled) throw new SimError('SIM_ERR_AUTH_TOKEN_DISABLED');
  return { def, scheme };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isGuid(s: string): boolean {
  return GUID.test(s);
}
