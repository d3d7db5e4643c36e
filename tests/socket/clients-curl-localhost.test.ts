/**
 * curl as Splunk's docs show it (`curl http://localhost:8088/services/collector/event -H "Authorization: Splunk <token>"`),
 * no --resolve and no Host header: the token's region decides. curl (libcurl ≥ 7.78) also resolves any
 * `*.localhost` name to loopback by itself, so the banner's `ingestor-<r>.localhost` URLs work in curl;
 * Node's resolver (glibc getaddrinfo) does not know them (docs/hec.md).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, start, T, type Started } from '../helpers/service.ts';

const run = promisify(execFile);
const haveCurl = existsSync('/usr/bin/curl') || existsSync('/bin/curl');
let s: Started;
beforeAll(async () => { s = await start(); });
afterAll(async () => { await s.close(); });

const curl = async (url: string, args: string[]) => {
  const { stdout } = await run('curl', ['-sS', '-D', '-', url, ...args]);
  const [head, body] = stdout.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), region: /x-ingestor-region: (\w+)/i.exec(head)?.[1], json: JSON.parse(body) };
};
const newestN = async (region: string, n: number) => (await call(s.url, 'GET', `/admin/v1/events?region=${region}&limit=${n}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json.events;
const newest = async (region: string) => (await newestN(region, 1))[0];

describe.skipIf(!haveCurl)('curl as in Splunk\'s docs (skipped without curl: scripts/ci-setup.sh installs it)', () => {
  it('http://localhost:<port> with a token of region eu is stored in eu; with a token of jp in jp', async () => {
    const port = new URL(s.url).port;
    const eu = await curl(`http://localhost:${port}/services/collector/event`, ['-H', `Authorization: Splunk ${T.eu}`, '-d', '{"event":"hello from curl","sourcetype":"manual"}']);
    expect([eu.status, eu.region, eu.json]).toEqual([200, 'eu', { text: 'Success', code: 0 }]);
    expect(await newest('eu')).toMatchObject({ event: 'hello from curl', sourcetype: 'manual', index: 'main' });
    const jp = await curl(`http://127.0.0.1:${port}/services/collector/raw`, ['-H', `Authorization: Splunk ${T.core}`, '--data-binary', 'a raw line']);
    expect([jp.status, jp.region]).toEqual([200, 'jp']);
  });

  it('a multi-line log4j trace sent with `curl --data-binary @file` to /raw is stored as Splunk breaks it: 2 events with their times', async () => {
    const port = new URL(s.url).port;
    const dir = mkdtempSync(join(tmpdir(), 'sim-curl-'));
    try {
      const lines = [
        '2026-03-04 05:06:07,123 ERROR [main] com.acme.App - request failed',
        'java.lang.IllegalStateException: connection reset',
        '\tat com.acme.Db.query(Db.java:42)',
        '\tat com.acme.App.main(App.java:7)',
        '2026-03-04 05:06:08,000 INFO [main] com.acme.App - retried',
      ];
      writeFileSync(join(dir, 'app.log'), `${lines.join('\n')}\n`);
      const r = await curl(`http://localhost:${port}/services/collector/raw?sourcetype=log4j&source=app.log`, ['-H', `Authorization: Splunk ${T.eu}`, '--data-binary', `@${join(dir, 'app.log')}`]);
      expect([r.status, r.region, r.json]).toEqual([200, 'eu', { text: 'Success', code: 0 }]);
      const [second, first] = await newestN('eu', 2);
      expect(first).toMatchObject({ event: lines.slice(0, 4).join('\n'), source: 'app.log', sourcetype: 'log4j', endpoint: 'raw' });
      expect(second).toMatchObject({ event: lines[4], source: 'app.log', sourcetype: 'log4j' });
      // each event's time is read from its first line (0.877 s apart)
      expect(second.time - first.time).toBeCloseTo(0.877, 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('http://ingestor-us.localhost:<port> resolves in curl and routes by the host name; a token of another region there is refused', async () => {
    const port = new URL(s.url).port;
    const ok = await curl(`http://ingestor-us.localhost:${port}/services/collector/event`, ['-H', `Authorization: Splunk ${T.us}`, '-d', '{"event":"via .localhost"}']);
    expect([ok.status, ok.region]).toEqual([200, 'us']);
    const wrong = await curl(`http://ingestor-us.localhost:${port}/services/collector/event`, ['-H', `Authorization: Splunk ${T.eu}`, '-d', '{"event":1}']);
    expect([wrong.status, wrong.json]).toEqual([403, { text: 'Invalid token', code: 4 }]);
  });
});
