/**
 * `ingestor-sim verify` as a user runs it, against a small HEC-like HTTPS server on loopback with certificates of
 * a test CA, names mapped with --resolve (no DNS), and a CONNECT proxy written here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueServerCert } from '../../src/tools/tls/ca.ts';
import { startHecStub, type Stub } from '../helpers/verify-stub.ts';
import { cli, freePort, startConnectProxy, startSilentServer } from '../helpers/verify-tools.ts';

const host = (id: string) => `ingestor-${id}.xdr.trendmicro.com`;
const TOKEN_US = 'aaaaaaaa-0000-4000-8000-000000000001';
let dir: string;
let caFile: string;
let stub: Stub;
let closedPort: number;

interface Json { regions: Array<{ region: string; host: string; verdict: string; fix?: string; steps: Array<{ step: string; ok: boolean; ms: number; detail: string }> }> }

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sim-verify-'));
  const ca = generateCa({ commonName: 'ingestor-sim local CA' });
  const corp = generateCa({ commonName: 'Corp TLS Inspection CA', organization: 'Corp' });
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.certPem);
  const certs = {
    // us and eu: real certificates from our CA; jp: a valid-looking one for its name from another CA (interception);
    // anything else (sg): a certificate from our CA for another name.
    default: issueServerCert(ca, { commonName: 'unrelated.example', dnsNames: ['unrelated.example'] }),
    [host('us')]: issueServerCert(ca, { commonName: host('us'), dnsNames: [host('us')] }),
    [host('eu')]: issueServerCert(ca, { commonName: host('eu'), dnsNames: [host('eu')] }),
    [host('jp')]: issueServerCert(corp, { commonName: host('jp'), dnsNames: [host('jp')] }),
  };
  stub = await startHecStub({ certs, tokens: { [TOKEN_US]: 'us' } });
  closedPort = await freePort();
});

afterAll(async () => {
  await stub?.close();
  rmSync(dir, { recursive: true, force: true });
});

const resolveAll = (port: number, ids: string[], addr = '127.0.0.1') => ids.flatMap((id) => ['--resolve', `${host(id)}:${port}:${addr}`]);

describe('verify against an HEC-like HTTPS server', () => {
  it('healthy, interception, wrong host name and a refused address, each with its verdict and fix (--json)', async () => {
    const p = stub.port;
    const r = await cli(['verify', '--region', 'us,jp,sg,anz', '--port', String(p), '--ca', caFile, '--timeout', '3s', '--json',
      ...resolveAll(p, ['us', 'jp', 'sg']), ...resolveAll(p, ['anz'], '127.0.0.2')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as Json;
    expect(j.regions.map((x) => [x.region, x.verdict])).toEqual([['us', 'healthy'], ['jp', 'tls-intercepted'], ['sg', 'tls-failure'], ['anz', 'refused']]);
    const us = j.regions[0];
    expect(Object.keys(us)).toEqual(['region', 'host', 'verdict', 'steps']);
    expect(us.host).toBe(host('us'));
    expect(us.steps.map((s) => s.step)).toEqual(['dns', 'tcp', 'tls', 'http']);
    for (const s of us.steps) {
      expect(Object.keys(s)).toEqual(['step', 'ok', 'ms', 'detail']);
      expect(s.ok).toBe(true);
      expect(s.ms).toBeGreaterThanOrEqual(0);
    }
    expect(us.steps[0].detail).toBe(`--resolve ${host('us')}:${p} (no DNS query)`);
    expect(us.steps[2].detail).toMatch(/^TLSv1\.[23], certificate CN=ingestor-us\.xdr\.trendmicro\.com .*issued by 'ingestor-sim local CA/);
    expect(us.steps[3].detail).toContain("200 code 17 'HEC is healthy'");
    const jp = j.regions[1];
    expect(jp.steps.map((s) => [s.step, s.ok])).toEqual([['dns', true], ['tcp', true], ['tls', false]]);
    expect(jp.steps[2].detail).toContain("issued by 'Corp TLS Inspection CA, O=Corp'");
    expect(jp.fix).toContain(`Exempt ${host('jp')} from TLS inspection`);
    const sg = j.regions[2];
    expect(sg.steps[2].detail).toContain('certificate is not for this host');
    expect(sg.steps[2].detail).toContain('DNS:unrelated.example');
    const anz = j.regions[3];
    expect(anz.steps.map((s) => [s.step, s.ok])).toEqual([['dns', true], ['tcp', false]]);
    expect(anz.steps[1].detail).toContain(`127.0.0.2:${p} refused (ECONNREFUSED`);
    expect(anz.fix).toBe(`Open outbound TCP ${p} to ${host('anz')} (127.0.0.2): the connection is actively refused or reset (a REJECT rule, or nothing listening).`);
    // the stub saw the health check of us only: no HTTP after a failed TLS step
    expect(stub.requests.filter((q) => q.url === '/services/collector/health').map((q) => q.host)).toContain(host('us'));
    expect(stub.requests.some((q) => q.host === host('jp') || q.host === host('sg'))).toBe(false);
  });

  it('the table for people; exit 0 when every asked region is healthy; the token is checked', async () => {
    const p = stub.port;
    const r = await cli(['verify', '--region', 'us', '--port', String(p), '--ca', caFile, '--token', TOKEN_US, '--verbose', ...resolveAll(p, ['us'])]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^REGION\s+HOST:PORT\s+DNS\s+TCP\s+TLS\s+HTTP\s+VERDICT$/);
    expect(lines[1]).toMatch(new RegExp(`^us\\s+${host('us').replace(/\./g, '\\.')}:${p}\\s+ok \\S+ms\\s+ok \\S+ms\\s+ok \\S+ms\\s+ok \\S+ms\\s+healthy$`));
    expect(r.stdout).toContain(`us ${host('us')}:${p}: healthy`);
    expect(r.stdout).toMatch(/\n {2}http ok {3}GET \/services\/collector\/health → 200 code 17 'HEC is healthy'; POST \/services\/collector\/ack → 400 code 14 'ACK is disabled': token accepted/);
    expect(r.stdout).toContain('1 of 1 healthy');
    expect(r.stdout).not.toContain('Fix:');
  });

  it('a token of another region: http-error with 403 code 4', async () => {
    const p = stub.port;
    const r = await cli(['verify', '--region', 'eu', '--port', String(p), '--ca', caFile, '--token', TOKEN_US, '--json', ...resolveAll(p, ['eu'])]);
    expect(r.code).toBe(1);
    const eu = (JSON.parse(r.stdout) as Json).regions[0];
    expect(eu.verdict).toBe('http-error');
    expect(eu.steps[3].detail).toContain("403 code 4 'Invalid token': token refused: unknown here (a token of another region, or mistyped)");
    expect(eu.fix).toContain('The network path to');
  });

  it('without --ca the system roots do not know the test CA: a certificate for the name from an unknown CA is interception', async () => {
    const p = stub.port;
    const r = await cli(['verify', '--region', 'us', '--port', String(p), '--json', ...resolveAll(p, ['us'])]);
    const us = (JSON.parse(r.stdout) as Json).regions[0];
    expect(us.verdict).toBe('tls-intercepted');
    expect(us.steps[2].detail).toContain('trust: system roots');
  });

  it('timed out (accepted, never answered) vs refused (nothing listening), on a custom --host', async () => {
    const silent = await startSilentServer();
    try {
      const r = await cli(['verify', '--host', host('us'), '--port', String(silent.port), '--timeout', '400ms', '--json', '--resolve', `${host('us')}:${silent.port}:127.0.0.1`]);
      const x = (JSON.parse(r.stdout) as Json).regions[0];
      expect(x.region).toBe('custom');
      expect(x.verdict).toBe('timeout');
      expect(x.steps.map((s) => [s.step, s.ok])).toEqual([['dns', true], ['tcp', true], ['tls', false]]);
      expect(x.steps[2].detail).toContain('no TLS answer within 400 ms');
      expect(x.steps[2].ms).toBeGreaterThanOrEqual(390);
    } finally {
      await silent.close();
    }
    const r = await cli(['verify', '--host', '127.0.0.1', '--port', String(closedPort), '--json']);
    const x = (JSON.parse(r.stdout) as Json).regions[0];
    expect(x.verdict).toBe('refused');
    expect(x.steps[0].detail).toBe('IP address (no lookup)');
  });
});

describe('verify through an HTTP CONNECT proxy', () => {
  it('--proxy tunnels to the host; a proxy that denies the host is refused; HTTPS_PROXY and NO_PROXY are honoured', async () => {
    const p = stub.port;
    const proxy = await startConnectProxy((h) => (h === host('us') ? { address: '127.0.0.1', port: p } : 403));
    try {
      const r = await cli(['verify', '--region', 'us,eu', '--port', String(p), '--ca', caFile, '--json', '--proxy', `http://127.0.0.1:${proxy.port}`]);
      const j = JSON.parse(r.stdout) as Json;
      expect(proxy.seen).toEqual(expect.arrayContaining([`${host('us')}:${p}`, `${host('eu')}:${p}`]));
      const [us, eu] = j.regions;
      expect(us.verdict).toBe('healthy');
      expect(us.steps[0].detail).toContain(`${host('us')} is resolved by the proxy`);
      expect(us.steps[1].detail).toContain(`CONNECT ${host('us')}:${p} answered 200`);
      expect(eu.verdict).toBe('refused');
      expect(eu.steps[1].detail).toContain('answered 403 Denied by test proxy: the proxy policy denies this host or port');
      expect(eu.fix).toContain(`Allow CONNECT to ${host('eu')}:${p} on the proxy http://127.0.0.1:${proxy.port}`);

      proxy.seen.length = 0;
      const env = { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: host('eu') };
      const r2 = await cli(['verify', '--region', 'us,eu', '--port', String(p), '--ca', caFile, '--json', ...resolveAll(p, ['eu'])], env);
      const j2 = JSON.parse(r2.stdout) as Json;
      expect(j2.regions.map((x) => x.verdict)).toEqual(['healthy', 'healthy']);
      expect(proxy.seen).toEqual([`${host('us')}:${p}`]);
      expect(r2.code).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});

describe('verify usage errors', () => {
  it('exit 2 with a clear message (spawned)', async () => {
    const r = await cli(['verify', '--region', 'mars']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown region 'mars' \(served: us, eu, jp, sg, anz, in, or all\)/);
    expect(r.stdout).toBe('');
  });

  it('every bad input has its message (in process, through the same main())', async () => {
    const { main } = await import('../../src/tools/cli/index.ts');
    const cases: Array<[string[], RegExp]> = [
      [['--resolve', 'nonsense'], /--resolve 'nonsense': expected HOST:PORT:ADDR/],
      [['--region', 'mea'], /region 'mea' has no ingestor host/],
      [['--timeout', 'forever'], /--timeout 'forever': expected a duration/],
      [['--ca', join(dir, 'missing.pem')], /--ca .*missing\.pem: cannot be read \(ENOENT\)/],
      [['--ca', join(dir, 'not-a-cert.pem')], /not-a-cert\.pem: not a PEM certificate/],
      [['--proxy', 'socks5://127.0.0.1:1'], /only http:\/\/ proxies/],
      [['--port', '0'], /--port '0' is not a port/],
      [['--host', 'a b'], /--host 'a b' is not a host name or address/],
      [['--host', 'h', '--region', 'us,eu'], /--host checks one host/],
      [['--token', ' '], /--token is empty/],
    ];
    writeFileSync(join(dir, 'not-a-cert.pem'), 'hello');
    const write = process.stderr.write.bind(process.stderr);
    for (const [args, re] of cases) {
      let err = '';
      process.stderr.write = ((c: string) => { err += c; return true; }) as typeof process.stderr.write;
      let code: number;
      try {
        code = await main(['node', 'ingestor-sim', 'verify', ...args]);
      } finally {
        process.stderr.write = write;
      }
      expect(code, args.join(' ')).toBe(2);
      expect(err).toMatch(re);
    }
  });
});
