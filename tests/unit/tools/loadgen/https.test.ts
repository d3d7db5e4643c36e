import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPayloads } from '../../../../src/tools/loadgen/payloads.ts';
import { resolveTarget } from '../../../../src/tools/loadgen/parse.ts';
import { runLoad } from '../../../../src/tools/loadgen/runner.ts';
import { generateCa, issueServerCert, type CertMaterial } from '../../../../src/tools/tls/ca.ts';

const HOST = 'ingestor-us.xdr.trendmicro.com';
let ca: CertMaterial;
let server: Server;
let port: number;
const seen = { requests: 0, sni: new Set<string>(), hosts: new Set<string>() };

beforeAll(async () => {
  ca = generateCa({ keyBits: 2048 });
  const leaf = issueServerCert(ca, { commonName: HOST, dnsNames: [HOST], keyBits: 2048 });
  server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    seen.requests++;
    seen.sni.add(String((req.socket as TLSSocket).servername));
    seen.hosts.add(req.headers.host ?? '');
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"text":"Success","code":0}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const run = (over: { ca?: string; insecure?: boolean }) => runLoad({
  target: resolveTarget(`https://127.0.0.1:${port}`), token: 't', hostHeader: HOST,
  payloads: buildPayloads({ profile: 'firewall', seed: 1, batch: 10, gzip: false, maxEvents: 30 }), gzip: false,
  connections: 1, pipelining: 1, timeoutMs: 10_000, lateToleranceMs: 5, drainTimeoutMs: 5_000, ...over,
});

describe('load over HTTPS', () => {
  it('--ca: verifies the server against the given CA, with the region host as SNI and Host', async () => {
    const out = await run({ ca: ca.certPem });
    expect(out.acc.requestsOk).toBe(3);
    expect([...seen.sni]).toEqual([HOST]);
    expect([...seen.hosts]).toEqual([HOST]);
  });

  it('without the CA the certificate is refused and counted as a transport error; --insecure skips the check', async () => {
    const refused = await run({});
    expect(refused.acc.requestsOk).toBe(0);
    expect(Object.keys(refused.acc.errorsByTransport)).toEqual([expect.stringMatching(/CERT|SIGNATURE|ISSUER/)]);
    const insecure = await run({ insecure: true });
    expect(insecure.acc.requestsOk).toBe(3);
  });
});
