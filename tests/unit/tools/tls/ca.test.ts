import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRegions, servedRegions } from '../../../../src/service/region/regions.ts';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { createLocalCa, generateCa, issueServerCert, tlsLayout, type CertMaterial } from '../../../../src/tools/tls/ca.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sim-tls-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const x509 = (path: string) => new X509Certificate(readFileSync(path));
const us = servedRegions(loadRegions()).filter((r) => r.id === 'us');

describe('createLocalCa', () => {
  it('writes the agreed layout: CA, one certificate per served region (real + .localhost names), localhost', () => {
    const dir = tmp();
    const r = createLocalCa(dir);
    const served = servedRegions(loadRegions());
    expect(r.caCreated).toBe(true);
    expect(r.layout.hosts.map((h) => h.id)).toEqual([...served.map((s) => s.id), 'localhost']);
    const ca = x509(join(dir, 'ca.pem'));
    expect(ca.ca).toBe(true);
    expect(ca.subject).toContain('CN=ingestor-sim local CA');
    expect(r.caFingerprint256).toBe(ca.fingerprint256);
    expect(statSync(join(dir, 'ca-key.pem')).mode & 0o777).toBe(0o600);
    expect(ca.checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'ca-key.pem'))))).toBe(true);
    for (const s of served) {
      const c = x509(join(dir, `ingestor-${s.id}.pem`));
      expect(c.subjectAltName).toBe(`DNS:${s.ingestorHost}, DNS:${s.localHost}`);
      expect(c.checkIssued(ca)).toBe(true);
      expect(c.verify(ca.publicKey)).toBe(true);
      expect(c.ca).toBe(false);
      expect(c.checkHost(s.localHost!)).toBe(s.localHost);
      expect(c.checkPrivateKey(createPrivateKey(readFileSync(join(dir, `ingestor-${s.id}-key.pem`))))).toBe(true);
      expect(statSync(join(dir, `ingestor-${s.id}-key.pem`)).mode & 0o777).toBe(0o600);
    }
    const lh = x509(join(dir, 'localhost.pem'));
    expect(lh.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(lh.checkIP('::1')).toBe('::1');
    expect(lh.checkIssued(ca)).toBe(true);
  });

  it('is idempotent: keeps the CA and host files; completes a missing host file with the same CA; --force renews all', () => {
    const dir = tmp();
    const first = createLocalCa(dir, { regions: us, keyBits: 1024 });
    const caPem = readFileSync(first.layout.ca, 'utf8');
    const usPem = readFileSync(join(dir, 'ingestor-us.pem'), 'utf8');
    const again = createLocalCa(dir, { regions: us, keyBits: 1024 });
    expect(again.caCreated).toBe(false);
    expect(again.written).toEqual([]);
    expect(readFileSync(join(dir, 'ingestor-us.pem'), 'utf8')).toBe(usPem);
    unlinkSync(join(dir, 'localhost.pem'));
    const completed = createLocalCa(dir, { regions: us, keyBits: 1024 });
    expect(completed.written).toEqual([join(dir, 'localhost.pem'), join(dir, 'localhost-key.pem')]);
    expect(x509(join(dir, 'localhost.pem')).checkIssued(new X509Certificate(caPem))).toBe(true);
    const forced = createLocalCa(dir, { regions: us, force: true, keyBits: 1024 });
    expect(forced.caCreated).toBe(true);
    expect(readFileSync(first.layout.ca, 'utf8')).not.toBe(caPem);
    expect(x509(join(dir, 'ingestor-us.pem')).checkIssued(x509(join(dir, 'ca.pem')))).toBe(true);
  });

  it('says what to do when the CA files cannot be used', () => {
    const dir = tmp();
    createLocalCa(dir, { regions: us, keyBits: 1024 });
    writeFileSync(join(dir, 'ca-key.pem'), generateCa({ keyBits: 1024 }).keyPem);
    expect(() => createLocalCa(dir, { regions: us })).toThrow(/the key does not belong to the certificate.*ca init --force/);
    unlinkSync(join(dir, 'ca-key.pem'));
    expect(() => createLocalCa(dir, { regions: us })).toThrow(/one of ca.pem \/ ca-key.pem is missing/);
  });
});

/** What a Node client says of `leaf` when it trusts only `caPem` and asks for `servername`. */
async function handshake(leaf: CertMaterial, caPem: string, servername: string): Promise<string> {
  const server = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    return await new Promise<string>((resolve) => {
      const c = tls.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername, ca: caPem, rejectUnauthorized: false }, () => {
        resolve(c.authorized ? 'authorized' : String(c.authorizationError));
        c.destroy();
      });
      c.on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code}`));
    });
  } finally {
    server.close();
  }
}

describe('name constraints of the local CA', () => {
  it('certifies the served names, their subdomains and loopback, and nothing else', async () => {
    const dir = tmp();
    const r = createLocalCa(dir, { regions: us, keyBits: 1024 });
    const ca = { certPem: readFileSync(r.layout.ca, 'utf8'), keyPem: readFileSync(r.layout.caKey, 'utf8') };
    const usLeaf = { certPem: readFileSync(join(dir, 'ingestor-us.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'ingestor-us-key.pem'), 'utf8') };
    expect(await handshake(usLeaf, ca.certPem, 'ingestor-us.xdr.trendmicro.com')).toBe('authorized');
    const sub = issueServerCert(ca, { commonName: 'x', dnsNames: ['a.ingestor-us.localhost'], ipAddresses: ['127.0.0.2'], keyBits: 1024 });
    expect(await handshake(sub, ca.certPem, 'a.ingestor-us.localhost')).toBe('authorized');
    const evil = issueServerCert(ca, { commonName: 'bank.example', dnsNames: ['bank.example'], keyBits: 1024 });
    // OpenSSL's X509_V_ERR_PERMITTED_VIOLATION; Node 20 has no name for it and says UNSPECIFIED
    expect(['PERMITTED_SUBTREE_VIOLATION', 'UNSPECIFIED']).toContain(await handshake(evil, ca.certPem, 'bank.example'));
    const otherIp = issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['192.0.2.1'], keyBits: 1024 });
    expect(['PERMITTED_SUBTREE_VIOLATION', 'UNSPECIFIED']).toContain(await handshake(otherIp, ca.certPem, 'localhost'));
    // and without the constraint the same leaf is accepted: the refusal above is the constraint's doing
    const free = generateCa({ keyBits: 1024 });
    expect(await handshake(issueServerCert(free, { commonName: 'bank.example', dnsNames: ['bank.example'], keyBits: 1024 }), free.certPem, 'bank.example')).toBe('authorized');
  });
  it('refuses a malformed constraint', () => {
    expect(() => generateCa({ keyBits: 1024, permitted: { ips: ['127.0.0.1'] } })).toThrow(/not an address\/prefix/);
    expect(() => generateCa({ keyBits: 1024, permitted: { ips: ['127.0.0.0/33'] } })).toThrow(/prefix longer than the address/);
  });
});

describe('issueServerCert', () => {
  it('issues a serverAuth certificate for names and addresses; refuses an empty name list', () => {
    const ca = generateCa({ commonName: 'Test CA' });
    const m = issueServerCert(ca, { commonName: 'a.test', dnsNames: ['a.test', 'b.test'], ipAddresses: ['10.1.2.3'] });
    const c = new X509Certificate(m.certPem);
    expect(c.subjectAltName).toBe('DNS:a.test, DNS:b.test, IP Address:10.1.2.3');
    expect(c.issuer).toContain('CN=Test CA');
    expect(c.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
    expect(() => issueServerCert(ca, { commonName: 'x' })).toThrow(/at least one DNS name or IP address/);
  });
  it('tlsLayout names the files serve --tls reads', () => {
    const l = tlsLayout('/x', us);
    expect(l.ca).toBe('/x/ca.pem');
    expect(l.hosts).toEqual([
      { id: 'us', cert: '/x/ingestor-us.pem', key: '/x/ingestor-us-key.pem', dnsNames: ['ingestor-us.xdr.trendmicro.com', 'ingestor-us.localhost'], ipAddresses: [] },
      { id: 'localhost', cert: '/x/localhost.pem', key: '/x/localhost-key.pem', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] },
    ]);
  });
});
