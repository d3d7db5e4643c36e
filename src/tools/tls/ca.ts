import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import forge from 'node-forge';
import { makeDir } from '../../fs/make-dir.ts';
import { loadRegions, servedRegions, type RegionDef } from '../../service/region/regions.ts';
import { DEFAULT_TLS_DIR } from './defaults.ts';

/** A certificate and its private key, both PEM. */
export interface CertMaterial {
  certPem: string;
  keyPem: string;
}

export interface CaOptions {
  commonName?: string;
  organization?: string;
  /** Validity in days (default 3650). */
  days?: number;
  keyBits?: number;
  /** Start of validity (default: one hour ago, to absorb clock skew). */
  notBefore?: Date;
  /**
   * X.509 name constraints (RFC 5280 4.2.1.10, critical): the only names the CA may certify. A DNS entry permits
   * that name and its subdomains; an IP entry is a CIDR block. Without it the CA is unconstrained.
   */
  permitted?: { dns?: readonly string[]; ips?: readonly string[] };
}

export interface ServerCertOptions {
  commonName: string;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  /** Validity in days (default 825, the longest that Apple platforms accept for a TLS server certificate). */
  days?: number;
  keyBits?: number;
  notBefore?: Date;
}

/** Default CA subject: says where it comes from, so a person who meets it in a trust store knows. */
export const DEFAULT_CA_NAME = 'ingestor-sim local CA';

export { DEFAULT_TLS_DIR };

function newKeyPair(bits: number): { forgeKey: forge.pki.rsa.PrivateKey; forgePub: forge.pki.rsa.PublicKey; keyPem: string } {
  // Node's native RSA generation is ~100x faster than node-forge's pure-JS one; forge signs.
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  const forgePub = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) as forge.pki.rsa.PublicKey;
  return { forgeKey, forgePub, keyPem: privateKey };
}

/** DER of a NameConstraints extension value with permitted subtrees only. */
function nameConstraints(permitted: NonNullable<CaOptions['permitted']>): forge.asn1.Asn1 {
  const { asn1 } = forge;
  const subtree = (tag: number, bytes: string) =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, false, bytes)]);
  const trees: forge.asn1.Asn1[] = [];
  for (const name of permitted.dns ?? []) trees.push(subtree(2, name)); // dNSName [2] IA5String
  for (const cidr of permitted.ips ?? []) {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
    const addr = m ? (forge.util as unknown as { bytesFromIP(ip: string): string | null }).bytesFromIP(m[1]) : null;
    if (!m || !addr) throw new Error(`name constraint '${cidr}' is not an address/prefix (e.g. 127.0.0.0/8, ::1/128)`);
    const bits = Number(m[2]);
    if (bits > addr.length * 8) throw new Error(`name constraint '${cidr}': prefix longer than the address`);
    let mask = '';
    for (let i = 0; i < addr.length; i++) mask += String.fromCharCode(0xff & (0xff << (8 - Math.max(0, Math.min(8, bits - i * 8)))));
    trees.push(subtree(7, addr + mask)); // iPAddress [7] OCTET STRING address || mask
  }
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, trees)]);
}

function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f; // positive INTEGER
  if (b[0] === 0) b[0] = 1; // no leading zero byte
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, notBefore: Date | undefined, days: number): void {
  const start = notBefore ?? new Date(Date.now() - 60 * 60 * 1000);
  cert.validity.notBefore = start;
  cert.validity.notAfter = new Date(start.getTime() + days * 24 * 60 * 60 * 1000);
}

/** Makes a self-signed CA certificate (RSA, SHA-256) that may sign server certificates only. */
export function generateCa(opts: CaOptions = {}): CertMaterial {
  const { forgeKey, forgePub, keyPem } = newKeyPair(opts.keyBits ?? 2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePub;
  cert.serialNumber = serial();
  validity(cert, opts.notBefore, opts.days ?? 3650);
  const subject = [
    { name: 'commonName', value: opts.commonName ?? DEFAULT_CA_NAME },
    { name: 'organizationName', value: opts.organization ?? 'ingestor-sim' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    ...(opts.permitted ? [{ id: '2.5.29.30', name: 'nameConstraints', critical: true, value: nameConstraints(opts.permitted) }] : []),
  ]);
  cert.sign(forgeKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** Issues a TLS server certificate for the given names, signed by `ca`. */
export function issueServerCert(ca: CertMaterial, opts: ServerCertOptions): CertMaterial {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const { forgeKey, forgePub, keyPem } = newKeyPair(opts.keyBits ?? 2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePub;
  cert.serialNumber = serial();
  validity(cert, opts.notBefore, opts.days ?? 825);
  cert.setSubject([{ name: 'commonName', value: opts.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(opts.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  if (altNames.length === 0) throw new Error(`issueServerCert: ${opts.commonName}: give at least one DNS name or IP address`);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** One host certificate of the layout. */
export interface HostCertFiles {
  /** 'us', 'eu', ... or 'localhost'. */
  id: string;
  cert: string;
  key: string;
  dnsNames: string[];
  ipAddresses: string[];
}

/** The files of a TLS folder (the layout agreed with `serve --tls DIR`). */
export interface TlsLayout {
  dir: string;
  ca: string;
  caKey: string;
  hosts: HostCertFiles[];
}

/**
 * The file layout of a TLS folder: DIR/ca.pem, DIR/ca-key.pem, DIR/ingestor-<id>.pem + DIR/ingestor-<id>-key.pem
 * per served region (SAN: the real and the .localhost host name), DIR/localhost.pem + DIR/localhost-key.pem
 * (SAN: localhost, 127.0.0.1, ::1).
 */
export function tlsLayout(dir: string, regions: readonly RegionDef[] = servedRegions(loadRegions())): TlsLayout {
  const abs = resolve(dir);
  const hosts: HostCertFiles[] = regions
    .filter((r) => r.ingestorHost !== null)
    .map((r) => ({
      id: r.id,
      cert: join(abs, `ingestor-${r.id}.pem`),
      key: join(abs, `ingestor-${r.id}-key.pem`),
      dnsNames: [r.ingestorHost!, ...(r.localHost ? [r.localHost] : [])],
      ipAddresses: [],
    }));
  hosts.push({ id: 'localhost', cert: join(abs, 'localhost.pem'), key: join(abs, 'localhost-key.pem'), dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] });
  return { dir: abs, ca: join(abs, 'ca.pem'), caKey: join(abs, 'ca-key.pem'), hosts };
}

/** What the local CA may certify: the hosts of the layout (and their subdomains), localhost, loopback addresses. */
export function localCaPermitted(layout: TlsLayout): { dns: string[]; ips: string[] } {
  const dns = new Set<string>(['localhost']);
  for (const h of layout.hosts) for (const n of h.dnsNames) if (n !== 'localhost' && !n.endsWith('.localhost')) dns.add(n);
  return { dns: [...dns], ips: ['127.0.0.0/8', '::1/128'] };
}

export interface LocalCaOptions {
  /** Make a new CA and new host certificates even where files exist. */
  force?: boolean;
  regions?: readonly RegionDef[];
  caName?: string;
  keyBits?: number;
}

export interface LocalCaResult {
  layout: TlsLayout;
  /** True when a new CA was made (false: the existing ca.pem/ca-key.pem were kept). */
  caCreated: boolean;
  /** Files written by this call. */
  written: string[];
  /** Files that existed and were kept. */
  kept: string[];
  /** SHA-256 fingerprint of ca.pem (colon-separated hex), to compare with what a trust store shows. */
  caFingerprint256: string;
}

function writeKey(path: string, pem: string): void {
  writeFileSync(path, pem, { mode: 0o600 });
  chmodSync(path, 0o600); // mode above applies only to new files
}

/**
 * Creates (or completes) a local CA and the host certificates of every served region in `dir`.
 * Idempotent: an existing CA is reused and existing host files are kept unless `force`. A host file missing
 * next to an existing CA is issued by that CA. Throws with the file name when an existing CA cannot be read.
 */
export function createLocalCa(dir: string = DEFAULT_TLS_DIR, opts: LocalCaOptions = {}): LocalCaResult {
  const layout = tlsLayout(dir, opts.regions);
  makeDir(layout.dir, 0o755);
  const written: string[] = [];
  const kept: string[] = [];
  let ca: CertMaterial;
  let caCreated = false;
  const haveCa = existsSync(layout.ca) && existsSync(layout.caKey);
  if (haveCa && !opts.force) {
    ca = { certPem: readFileSync(layout.ca, 'utf8'), keyPem: readFileSync(layout.caKey, 'utf8') };
    try {
      const cert = forge.pki.certificateFromPem(ca.certPem);
      const key = forge.pki.privateKeyFromPem(ca.keyPem) as forge.pki.rsa.PrivateKey;
      const pub = cert.publicKey as forge.pki.rsa.PublicKey;
      if (pub.n.compareTo(key.n) !== 0) throw new Error('the key does not belong to the certificate');
    } catch (err) {
      throw new Error(`${layout.ca} / ${layout.caKey}: cannot be used as a CA (${(err as Error).message}); run 'ingestor-sim ca init --force' to make a new one`);
    }
    kept.push(layout.ca, layout.caKey);
  } else {
    if (existsSync(layout.ca) !== existsSync(layout.caKey) && !opts.force) {
      throw new Error(`${layout.dir}: one of ca.pem / ca-key.pem is missing; run 'ingestor-sim ca init --force' to make a new CA`);
    }
    // Constrained to the names it serves, so trusting it system-wide cannot vouch for any other site.
    ca = generateCa({ commonName: opts.caName, keyBits: opts.keyBits, permitted: localCaPermitted(layout) });
    writeFileSync(layout.ca, ca.certPem, { mode: 0o644 });
    writeKey(layout.caKey, ca.keyPem);
    written.push(layout.ca, layout.caKey);
    caCreated = true;
  }
  for (const h of layout.hosts) {
    if (!caCreated && !opts.force && existsSync(h.cert) && existsSync(h.key)) {
      kept.push(h.cert, h.key);
      continue;
    }
    const m = issueServerCert(ca, { commonName: h.dnsNames[0], dnsNames: h.dnsNames, ipAddresses: h.ipAddresses, keyBits: opts.keyBits });
    writeFileSync(h.cert, m.certPem, { mode: 0o644 });
    writeKey(h.key, m.keyPem);
    written.push(h.cert, h.key);
  }
  return { layout, caCreated, written, kept, caFingerprint256: new X509Certificate(ca.certPem).fingerprint256 };
}

/** How to trust a CA certificate, for people (serve --tls, ca init). */
export function trustHint(caPath: string): string[] {
  return [
    `  Node clients: NODE_EXTRA_CA_CERTS=${caPath}    curl: --cacert ${caPath}`,
    `  this machine (Debian/Ubuntu): sudo cp ${caPath} /usr/local/share/ca-certificates/ingestor-sim.crt && sudo update-ca-certificates`,
    '  the CA is name-constrained to the ingestor host names, localhost and loopback addresses: it cannot vouch for any other site',
  ];
}

/**
 * `serve --tls DIR` on first start: when DIR holds no CA at all (neither ca.pem nor ca-key.pem), creates a local
 * CA and the host certificates there (as Splunk ships a self-signed certificate) and returns what to tell the
 * user; null when a CA is already there (a half-made folder is left to startServer's clear error).
 */
export function ensureLocalCa(dir: string, opts: LocalCaOptions = {}): string | null {
  const layout = tlsLayout(dir, opts.regions);
  if (existsSync(layout.ca) || existsSync(layout.caKey)) return null;
  const r = createLocalCa(dir, opts);
  return [
    `Created a local CA in ${r.layout.dir} (first start with --tls; SHA-256 ${r.caFingerprint256})`,
    `Trust ${r.layout.ca}:`,
    ...trustHint(r.layout.ca),
    '',
  ].join('\n');
}
