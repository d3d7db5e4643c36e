/**
 * A small HTTPS server that answers like an HEC ingestor for verify's tests: SNI picks the certificate,
 * GET /services/collector/health → 200 code 17, POST /services/collector/ack → 400 code 14 for a token of the
 * region named by the Host header, 403 code 4 otherwise (as the emulator answers a token of another region).
 */
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CertMaterial } from '../../src/tools/tls/ca.ts';

export interface StubOptions {
  /** Certificate per SNI name; `default` when the name is unknown or absent. */
  certs: Record<string, CertMaterial> & { default: CertMaterial };
  /** token → region id; the region of a request is the `ingestor-<id>.` prefix of its Host header. */
  tokens: Record<string, string>;
  host?: string;
}

export interface Stub {
  port: number;
  close(): Promise<void>;
  requests: Array<{ method: string; url: string; host: string }>;
}

function hec(res: import('node:http').ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

export async function startHecStub(opts: StubOptions): Promise<Stub> {
  const tls = await import('node:tls');
  const contexts = new Map(Object.entries(opts.certs).map(([name, m]) => [name, tls.createSecureContext({ cert: m.certPem, key: m.keyPem })]));
  const requests: Stub['requests'] = [];
  const server = https.createServer({
    cert: opts.certs.default.certPem,
    key: opts.certs.default.keyPem,
    SNICallback: (name, cb) => cb(null, contexts.get(name) ?? contexts.get('default')!),
  }, (req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    requests.push({ method: req.method ?? '', url: req.url ?? '', host });
    const region = /^ingestor-([a-z]+)\./.exec(host)?.[1] ?? null;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.startsWith('/services/collector/health')) return hec(res, 200, { text: 'HEC is healthy', code: 17 });
      if (req.method === 'POST' && req.url?.startsWith('/services/collector/ack')) {
        const m = /^Splunk (.+)$/.exec(req.headers.authorization ?? '');
        if (!m) return hec(res, 401, { text: 'Token is required', code: 2 });
        if (opts.tokens[m[1]] === undefined || opts.tokens[m[1]] !== region) return hec(res, 403, { text: 'Invalid token', code: 4 });
        return hec(res, 400, { text: 'ACK is disabled', code: 14 });
      }
      hec(res, 404, { text: 'The requested URL was not found on this server.', code: 404 });
    });
  });
  server.listen(0, opts.host ?? '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
