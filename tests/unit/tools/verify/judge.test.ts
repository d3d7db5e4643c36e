import { describe, expect, it } from 'vitest';
import { fixFor, verifyTarget } from '../../../../src/tools/verify/check.ts';
import { formatTable } from '../../../../src/tools/verify/format.ts';
import { judgeCertificate, judgeHealth, judgeTokenProbe, type CertFacts } from '../../../../src/tools/verify/steps.ts';

const facts = (o: Partial<CertFacts>): CertFacts => ({
  authorized: true, authorizationError: null, nameError: null, subjectCN: 'h', subjectAltNames: 'DNS:h', issuer: 'CA', selfSigned: false, validTo: '', ...o,
});

describe('judgeCertificate (the TLS rule)', () => {
  it('chain valid and name matches: ok', () => {
    expect(judgeCertificate(facts({})).verdict).toBeNull();
  });
  it('a certificate for the name from a CA that is not the expected one: tls-intercepted', () => {
    for (const e of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN']) {
      const j = judgeCertificate(facts({ authorized: false, authorizationError: e, issuer: 'Corp Inspection CA' }));
      expect(j.verdict).toBe('tls-intercepted');
      expect(j.why).toContain("'Corp Inspection CA'");
    }
  });
  it('not for the host, expired, self-signed leaf: tls-failure', () => {
    expect(judgeCertificate(facts({ nameError: "Host: h. is not in the cert's altnames" })).verdict).toBe('tls-failure');
    expect(judgeCertificate(facts({ authorized: false, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', nameError: 'x' })).verdict).toBe('tls-failure');
    expect(judgeCertificate(facts({ authorized: false, authorizationError: 'CERT_HAS_EXPIRED' })).verdict).toBe('tls-failure');
    const self = judgeCertificate(facts({ authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT', selfSigned: true }));
    expect(self.verdict).toBe('tls-failure');
    expect(self.why).toContain('self-signed');
    const nc = judgeCertificate(facts({ authorized: false, authorizationError: 'UNSPECIFIED' }));
    expect(nc.verdict).toBe('tls-failure');
    expect(nc.why).toContain('name constraints');
  });
});

const ans = (status: number, body: object | string) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const j = typeof body === 'string' ? {} : (body as { code?: number; text?: string });
  return { status, code: j.code ?? null, text: j.text ?? null, body: text };
};

describe('HTTP judgements', () => {
  it('health: 200 code 17 is healthy; a web page, 503 and 404 are not', () => {
    expect(judgeHealth(ans(200, { text: 'HEC is healthy', code: 17 })).ok).toBe(true);
    expect(judgeHealth(ans(200, '<html>Proxy login</html>')).why).toContain('not an HEC endpoint');
    expect(judgeHealth(ans(503, { text: 'HEC is unhealthy, queues are full', code: 18 })).why).toContain('unhealthy');
    expect(judgeHealth(ans(404, { text: 'nope', code: 404 })).ok).toBe(false);
  });
  it('token probe: accepted (200 acks, 400 code 14) vs refused (403 code 4, 401 code 2)', () => {
    expect(judgeTokenProbe(ans(200, { acks: {} })).ok).toBe(true);
    expect(judgeTokenProbe(ans(400, { text: 'ACK is disabled', code: 14 })).ok).toBe(true);
    const other = judgeTokenProbe(ans(403, { text: 'Invalid token', code: 4 }));
    expect(other.ok).toBe(false);
    expect(other.why).toContain('another region');
    expect(judgeTokenProbe({ ...ans(403, { text: 'Invalid token', code: 4 }), reason: "token is bound to region 'us'" }).why).toContain("the server says: token is bound to region 'us'");
    expect(judgeTokenProbe(ans(401, { text: 'Token is required', code: 2 })).why).toContain('Authorization header');
    expect(judgeTokenProbe(ans(503, { text: 'Server is busy', code: 9 })).ok).toBe(false);
  });
});

describe('fixFor', () => {
  const t = { region: 'us', host: 'ingestor-us.xdr.trendmicro.com', port: 443 };
  it('names the host and port to open', () => {
    expect(fixFor('timeout', t, { proxy: null, addresses: ['203.0.113.5'], caFile: null })).toBe(
      'Open outbound TCP 443 to ingestor-us.xdr.trendmicro.com (203.0.113.5): packets are dropped silently (a DROP rule or no route), or the server does not answer.');
    expect(fixFor('refused', t, { proxy: null, addresses: [], caFile: null })).toContain('Open outbound TCP 443 to ingestor-us.xdr.trendmicro.com');
    expect(fixFor('refused', t, { proxy: 'http://p:3128', addresses: [], caFile: null })).toContain('Allow CONNECT to ingestor-us.xdr.trendmicro.com:443 on the proxy http://p:3128');
    expect(fixFor('tls-intercepted', t, { proxy: null, addresses: [], caFile: null })).toContain('Exempt ingestor-us.xdr.trendmicro.com from TLS inspection');
    expect(fixFor('dns-failure', t, { proxy: null, addresses: [], caFile: null })).toContain('--resolve ingestor-us.xdr.trendmicro.com:443:ADDR');
    expect(fixFor('healthy', t, { proxy: null, addresses: [], caFile: null })).toBeUndefined();
  });
});

describe('verifyTarget: DNS failures (injected resolver, no real lookup)', () => {
  it('ENOTFOUND is a dns-failure with a fix', async () => {
    const lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' });
    };
    const r = await verifyTarget({ region: 'us', host: 'ingestor-us.xdr.trendmicro.com', port: 443 }, { timeoutMs: 1000, lookup, proxy: '' });
    expect(r.verdict).toBe('dns-failure');
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]).toMatchObject({ step: 'dns', ok: false });
    expect(r.steps[0].detail).toContain('ENOTFOUND');
    expect(r.fix).toContain('Make ingestor-us.xdr.trendmicro.com resolvable');
  });
  it('a resolver that does not answer is a dns-failure after the timeout', async () => {
    const lookup = () => new Promise<never>(() => undefined);
    const r = await verifyTarget({ region: 'eu', host: 'h.example', port: 443 }, { timeoutMs: 50, lookup, proxy: '' });
    expect(r.verdict).toBe('dns-failure');
    expect(r.steps[0].detail).toContain('no answer for h.example within 50 ms');
  });
  it('reports A and AAAA answers', async () => {
    const lookup = async () => [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }];
    const r = await verifyTarget({ region: 'jp', host: 'h.example', port: 1 }, { timeoutMs: 1000, lookup, proxy: '' });
    expect(r.steps[0]).toMatchObject({ step: 'dns', ok: true, detail: 'A 127.0.0.1; AAAA ::1' });
    expect(r.verdict).toBe('refused');
  });
});

describe('formatTable', () => {
  it('one row per region, the step cells, details and fixes', () => {
    const out = formatTable({ regions: [
      { region: 'us', host: 'h', port: 443, verdict: 'healthy', steps: [{ step: 'dns', ok: true, ms: 1.23, detail: 'A 1.2.3.4' }, { step: 'tcp', ok: true, ms: 150.4, detail: 'c' }] },
      { region: 'eu', host: 'e', port: 443, verdict: 'timeout', steps: [{ step: 'dns', ok: true, ms: 1, detail: 'd' }, { step: 'tcp', ok: false, ms: 5000, detail: 'no answer' }], fix: 'Open it.' },
    ] });
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^REGION\s+HOST:PORT\s+DNS\s+TCP\s+TLS\s+HTTP\s+VERDICT$/);
    expect(lines[1]).toMatch(/^us\s+h:443\s+ok 1\.2ms\s+ok 150ms\s+-\s+-\s+healthy$/);
    expect(lines[2]).toMatch(/^eu\s+e:443\s+ok 1\.0ms\s+FAIL 5000ms\s+-\s+-\s+timeout$/);
    expect(out).toContain('Fix:\n  eu: Open it.');
    expect(out).toContain('\neu e:443: timeout\n  dns  ok   d\n  tcp  FAIL no answer\n');
    expect(out).not.toContain('A 1.2.3.4');
    expect(formatTable({ regions: [] }, true)).toContain('0 of 0 healthy');
    expect(out).toContain('1 of 2 healthy');
  });
});

describe('verifyTarget: .localhost names', () => {
  it('are loopback without a lookup (RFC 6761)', async () => {
    const lookup = async () => {
      throw new Error('must not be called');
    };
    const r = await verifyTarget({ region: 'us', host: 'ingestor-us.localhost', port: 1 }, { timeoutMs: 1000, lookup, proxy: '' });
    expect(r.steps[0]).toMatchObject({ step: 'dns', ok: true });
    expect(r.steps[0].detail).toContain('RFC 6761');
    expect(r.steps[1].detail).toContain('127.0.0.1:1 refused');
  });
});
