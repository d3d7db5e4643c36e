/**
 * CORS as Splunk's HEC does it (inputs.conf [http] crossOriginSharingPolicy / crossOriginSharingHeaders):
 * - the policy is a list of origins separated by spaces and/or commas; `*` in any part is a wildcard
 *   (`https://*.example.com` also matches `https://example.com`), `!` before an entry negates it, the first
 *   matching entry decides, and `*` alone matches every origin;
 * - a request whose Origin the policy allows gets Access-Control-Allow-Origin (the origin itself, with
 *   `Vary: Origin`), on every answer including errors, so a browser page can read HEC's error bodies;
 * - OPTIONS (the preflight) is answered 204 on every path, with Access-Control-Allow-Methods and
 *   Access-Control-Allow-Headers (the crossOriginSharingHeaders list; `*` = the headers the browser asks for)
 *   for an allowed origin, and without any CORS header otherwise (the browser then refuses).
 * Nothing is configured by default (Splunk's default is an empty policy): no CORS headers at all.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

interface Rule {
  negate: boolean;
  re: RegExp;
}

export interface CorsPolicy {
  /** True when the origin may read answers (first matching rule decides; no match: false). */
  allows(origin: string): boolean;
  /** Access-Control-Allow-Headers of a preflight, given what the browser asks for. */
  allowHeaders(requested: string | undefined): string | null;
}

function globToRegExp(glob: string): RegExp {
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      // `*.` may also match nothing: https://*.example.com covers example.com itself (Splunk's spec)
      if (glob[i + 1] === '.') {
        src += '(?:[^/]*\\.)?';
        i++;
      } else {
        src += '.*';
      }
    } else {
      src += c.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  return new RegExp(`^${src}$`, 'i');
}

/** Compiles the two settings; null when the policy is empty (CORS off). */
export function compileCorsPolicy(policy: string, headers = ''): CorsPolicy | null {
  const entries = policy.split(/[\s,]+/).filter(Boolean);
  if (entries.length === 0) return null;
  const rules: Rule[] = entries.map((e) => {
    const negate = e.startsWith('!');
    const glob = negate ? e.slice(1) : e;
    return { negate, re: glob === '*' ? /^.*$/ : globToRegExp(glob.replace(/\/+$/, '')) };
  });
  const hdrs = headers.split(',').map((h) => h.trim()).filter(Boolean);
  const anyHeader = hdrs.length === 1 && hdrs[0] === '*';
  return {
    allows(origin: string): boolean {
      for (const r of rules) if (r.re.test(origin)) return !r.negate;
      return false;
    },
    allowHeaders(requested: string | undefined): string | null {
      if (anyHeader) return requested && requested.trim() ? requested : null;
      return hdrs.length ? hdrs.join(', ') : null;
    },
  };
}

/**
 * The CORS onRequest hook: Access-Control-Allow-Origin on every answer to an allowed origin. The root adds it
 * before any other hook (src/service/app.ts), so refusals by the HEC hooks and the admin API carry it too.
 */
export function corsHook(policy: CorsPolicy | null) {
  return function cors(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
    const origin = req.headers.origin;
    if (policy && typeof origin === 'string' && policy.allows(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('vary', 'Origin');
    }
    done();
  };
}

/** The OPTIONS preflight route on every path (the HEC plugin's: src/service/hec/plugin.ts). */
export function registerPreflight(app: FastifyInstance, policy: CorsPolicy | null): void {
  app.options('*', (req, reply) => {
    reply.header('allow', 'GET, POST, OPTIONS');
    const origin = req.headers.origin;
    if (policy && typeof origin === 'string' && policy.allows(origin)) {
      reply.header('access-control-allow-methods', 'GET, POST, OPTIONS');
      const h = policy.allowHeaders(req.headers['access-control-request-headers'] as string | undefined);
      if (h) reply.header('access-control-allow-headers', h);
      reply.header('access-control-max-age', '600');
    }
    reply.code(204).send();
  });
}
