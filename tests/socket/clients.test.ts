import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.ts';
import { defaultClassifier } from '../../src/pipeline/ingest/classifier.ts';
import { startServer, type RunningServer } from '../../src/service/server.ts';
import { ADMIN, call, T } from '../helpers/service.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const SplunkLogger = require('splunk-logging').Logger as new (cfg: Record<string, unknown>) => {
  requestOptions: { headers: Record<string, string> };
  send(payload: unknown, cb: (err: Error | null, resp: { statusCode: number }, body: unknown) => void): void;
  error: (err: Error, ctx: unknown) => void;
};

/** These tests run with the real catalog classifier, as a user's server does. */
let srv: RunningServer;
let dir: string;
const auth = { authorization: `Bearer ${ADMIN}` };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sim-clients-'));
  const cfg = buildConfig({
    adminToken: ADMIN,
    tenants: [{ id: 'acme' }],
    tokens: [
      { token: T.us, name: 'app', tenant: 'acme', region: 'us' },
      { token: T.eu, name: 'eu-app', tenant: 'acme', region: 'eu' },
    ],
    undeclared: 'flag',
  }, { dataDir: dir, port: 0, regionPorts: { eu: 0 } });
  srv = await startServer(cfg, { classifier: defaultClassifier(), logger: false, defaultMetrics: false });
});
afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});
const newest = async (region: string, n = 1) =>
  (await call(srv.url, 'GET', `/admin/v1/events?region=${region}&limit=${n}`, { headers: auth })).json.events as any[];

function sendWith(logger: InstanceType<typeof SplunkLogger>, payload: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    logger.error = (err) => reject(err);
    logger.send(payload, (err, resp, body) => (err ? reject(err) : resolve({ status: resp.statusCode, body })));
  });
}

describe('splunk-logging (the real npm client)', () => {
  it('sends JSON labelled x-www-form-urlencoded to /event/1.0 on a region port', async () => {
    const u = new URL(srv.regionUrls.eu);
    const logger = new SplunkLogger({ token: T.eu, url: `http://127.0.0.1:${u.port}` });
    const r = await sendWith(logger, { message: { action: 'allowed', src_ip: '10.1.2.3', dest: 'example.org' }, severity: 'info', metadata: { sourcetype: 'pan:traffic', source: 'fw01' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ text: 'Success', code: 0 });
    const [e] = await newest('eu');
    expect(e.event).toMatchObject({ message: { action: 'allowed', src_ip: '10.1.2.3' }, severity: 'info' });
    expect(e).toMatchObject({ sourcetype: 'pan:traffic', source: 'fw01', region: 'eu' });
    expect(typeof e.time).toBe('number');
    const ip = e.fields.find((f: any) => f.path === 'message.src_ip');
    expect(ip).toMatchObject({ item: 'Source IP address', category: 'online-identifier', action: 'keep' });
  });

  it('batches (several events, no separator) with a Host header on the shared port', async () => {
    const u = new URL(srv.url);
    const logger = new SplunkLogger({ token: T.us, url: `http://127.0.0.1:${u.port}`, maxBatchCount: 3 });
    logger.requestOptions.headers = { Host: 'ingestor-us.xdr.trendmicro.com' };
    const sender = logger as unknown as { send(p: unknown): void; serializedContextQueue: string[] };
    sender.send({ message: 'first', severity: 'info' });
    sender.send({ message: 'second', severity: 'info' });
    expect(sender.serializedContextQueue).toHaveLength(2); // queued, nothing sent yet
    const r = await sendWith(logger, { message: 'third', severity: 'info' }); // the 3rd flushes all three in one body
    expect(r).toEqual({ status: 200, body: { text: 'Success', code: 0 } });
    const got = await newest('us', 3);
    expect(got.map((e) => e.event.message)).toEqual(['third', 'second', 'first']);
    expect(got[0].receivedAt).toBe(got[2].receivedAt); // one request
  });
});

const haveCurl = existsSync('/usr/bin/curl') || existsSync('/bin/curl');
describe.skipIf(!haveCurl)('curl (skipped when curl is missing: scripts/ci-setup.sh installs it)', () => {
  const host = 'ingestor-us.xdr.trendmicro.com';
  const curl = async (args: string[]) => {
    const port = new URL(srv.url).port;
    const { stdout } = await run('curl', ['-sS', '--resolve', `${host}:${port}:127.0.0.1`, '-w', '\n%{http_code}', ...args.map((a) => a.replace('PORT', port))]);
    const nl = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(nl + 1)), body: JSON.parse(stdout.slice(0, nl)) };
  };

  it('posts an event with the real host name (curl --resolve), Splunk auth', async () => {
    const r = await curl([`http://${host}:PORT/services/collector/event`, '-H', `Authorization: Splunk ${T.us}`,
      '-d', '{"event":{"user":"carol","url":"https://example.org/x"},"sourcetype":"bluecoat:proxysg:access:syslog"}']);
    expect(r).toEqual({ status: 200, body: { text: 'Success', code: 0 } });
    const [e] = await newest('us');
    expect(e.event.user).toBe('carol');
  });

  it('basic auth with -u, gzip with --data-binary, raw with query metadata', async () => {
    const gz = join(dir, 'body.gz');
    writeFileSync(gz, gzipSync('{"event":"gz1"}\n{"event":"gz2"}'));
    const r = await curl([`http://${host}:PORT/services/collector/event`, '-u', `x:${T.us}`, '-H', 'Content-Encoding: gzip', '--data-binary', `@${gz}`]);
    expect(r.body).toEqual({ text: 'Success', code: 0 });
    expect((await newest('us', 2)).map((e) => e.event)).toEqual(['gz2', 'gz1']);
    const raw = await curl([`http://${host}:PORT/services/collector/raw?sourcetype=syslog&host=fw9`, '-H', `Authorization: Splunk ${T.us}`, '--data-binary', 'r1\nr2\n']);
    expect(raw.body.code).toBe(0);
    expect((await newest('us'))[0]).toMatchObject({ event: 'r2', host: 'fw9', sourcetype: 'syslog' });
  });

  it('health and a refused token of another region', async () => {
    expect((await curl([`http://${host}:PORT/services/collector/health`])).body).toEqual({ text: 'HEC is healthy', code: 17 });
    const r = await curl([`http://${host}:PORT/services/collector/event`, '-H', `Authorization: Splunk ${T.eu}`, '-d', '{"event":1}']);
    expect(r).toEqual({ status: 403, body: { text: 'Invalid token', code: 4 } });
  });
});
