/**
 * Expect: 100-continue over raw sockets: what the headers already decide is answered at once, without
 * `100 Continue`, so the client never uploads the body; a good request gets 100, then its answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.ts';
import { startServer, type RunningServer } from '../../src/service/server.ts';
import { T, testClassifier, testConfigFile, US } from '../helpers/service.ts';

let srv: RunningServer;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sim-continue-'));
  const cfg = buildConfig(testConfigFile({ limits: { maxBodyBytes: 1000 } }), { dataDir: dir, port: 0, regionPorts: { eu: 0 } });
  srv = await startServer(cfg, { classifier: testClassifier, logger: false, defaultMetrics: false });
});
afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Sends the request head with Expect: 100-continue and waits: if the server sends 100, sends the body.
 * Returns everything the server sent, and whether the body was sent.
 */
function expectContinue(base: string, head: Record<string, string>, path: string, body: string): Promise<{ raw: string; bodySent: boolean }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    let raw = '';
    let bodySent = false;
    const timer = setTimeout(() => { sock.destroy(); resolve({ raw, bodySent }); }, 3000);
    sock.on('error', reject);
    sock.on('data', (d) => {
      raw += d;
      if (!bodySent && raw.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
        bodySent = true;
        sock.write(body);
      }
    });
    sock.on('close', () => { clearTimeout(timer); resolve({ raw, bodySent }); });
    const lines = [`POST ${path} HTTP/1.1`, 'Expect: 100-continue', `Content-Length: ${head['content-length'] ?? Buffer.byteLength(body)}`, 'Connection: close',
      ...Object.entries(head).filter(([k]) => k !== 'content-length').map(([k, v]) => `${k}: ${v}`)];
    sock.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}
const status = (raw: string) => raw.split('\r\n')[0];
const json = (raw: string) => JSON.parse(raw.slice(raw.lastIndexOf('\r\n\r\n') + 4));

describe('refuse before 100 Continue', () => {
  it('a good request gets 100 Continue, then uploads and is stored', async () => {
    const r = await expectContinue(srv.url, { host: US, authorization: `Splunk ${T.us}` }, '/services/collector/event', '{"event":"after 100"}');
    expect(r.bodySent).toBe(true);
    expect(r.raw).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
    expect(json(r.raw)).toEqual({ text: 'Success', code: 0 });
  });

  it.each([
    ['a missing token', { host: US }, 'HTTP/1.1 401', 2],
    ['an unknown token', { host: US, authorization: 'Splunk 99999999-9999-4999-8999-999999999999' }, 'HTTP/1.1 403', 4],
    ['a disabled token', { host: US, authorization: `Splunk ${T.off}` }, 'HTTP/1.1 403', 1],
    ['a token of another region on a region host', { host: 'ingestor-eu.xdr.trendmicro.com', authorization: `Splunk ${T.us}` }, 'HTTP/1.1 403', 4],
    ['an oversized Content-Length', { host: US, authorization: `Splunk ${T.us}`, 'content-length': '5000' }, 'HTTP/1.1 413', 413],
  ] as const)('%s is answered without 100 Continue and without the body', async (_what, head, line, code) => {
    const r = await expectContinue(srv.url, head as Record<string, string>, '/services/collector/event', '{"event":"never sent"}');
    expect(r.bodySent).toBe(false);
    expect(r.raw).not.toContain('100 Continue');
    expect(status(r.raw)).toMatch(new RegExp(`^${line}`));
    expect(json(r.raw).code).toBe(code);
    expect(r.raw.toLowerCase()).toContain('connection: close');
  });

  it('an unserved ingestor host name is 421 before 100; /ack without useAck is code 14 before 100', async () => {
    const host = await expectContinue(srv.url, { host: 'ingestor-mea.xdr.trendmicro.com', authorization: `Splunk ${T.us}` }, '/services/collector/raw', 'x');
    expect([host.bodySent, status(host.raw), json(host.raw).text]).toEqual([false, 'HTTP/1.1 421 Misdirected Request', 'Unknown ingestor host']);
    const ack = await expectContinue(srv.url, { host: US, authorization: `Splunk ${T.us}` }, '/services/collector/ack?channel=11111111-0000-4000-8000-000000000000', '{"acks":[0]}');
    expect([ack.bodySent, json(ack.raw).code]).toEqual([false, 14]);
  });

  it('on a region port too: a token of another region is refused before 100; its own token gets 100', async () => {
    const bad = await expectContinue(srv.regionUrls.eu, { host: 'localhost', authorization: `Splunk ${T.us}` }, '/services/collector/event', '{"event":1}');
    expect([bad.bodySent, status(bad.raw)]).toEqual([false, 'HTTP/1.1 403 Forbidden']);
    expect(bad.raw).toContain('x-ingestor-region: eu');
    const ok = await expectContinue(srv.regionUrls.eu, { host: 'localhost', authorization: `Splunk ${T.eu}` }, '/services/collector/event', '{"event":1}');
    expect(ok.bodySent).toBe(true);
    expect(json(ok.raw)).toEqual({ text: 'Success', code: 0 });
  });
});
