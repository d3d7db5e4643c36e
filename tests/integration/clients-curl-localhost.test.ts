/**
 * curl as Splunk's docs show it (`curl http://localhost:8088/services/collector/event -H "Authorization: Splunk <token>"`),
 * no --resolve and no Host header: the token's region decides. curl (libcurl ≥ 7.78) also resolves any
 * `*.localhost` name to loopback by itself, so the banner's `ingestor-<r>.localhost` URLs work in curl;
 * Node's resolver (glibc getaddrinfo) does not know them (docs/hec.md).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, start, T, type Started } from './helpers.ts';

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
const newest = async (region: string) => (await call(s.url, 'GET', `/admin/v1/events?region=${region}&limit=1`, { headers: { authorization: `Bearer ${ADMIN}` } })).json.events[0];

describe.skipIf(!haveCurl)('curl as in Splunk\'s docs (skipped without curl: scripts/ci-setup.sh installs it)', () => {
  it('http://localhost:<port> with a token of region eu is stored in eu; with a token of jp in jp', async () => {
    const port = new URL(s.url).port;
    const eu = await curl(`http://localhost:${port}/services/collector/event`, ['-H', `Authorization: Splunk ${T.eu}`, '-d', '{"event":"hello from curl","sourcetype":"manual"}']);
    expect([eu.status, eu.region, eu.json]).toEqual([200, 'eu', { text: 'Success', code: 0 }]);
    expect(await newest('eu')).toMatchObject({ event: 'hello from curl', sourcetype: 'manual', index: 'main' });
    const jp = await curl(`http://127.0.0.1:${port}/services/collector/raw`, ['-H', `Authorization: Splunk ${T.core}`, '--data-binary', 'a raw line']);
    expect([jp.status, jp.region]).toEqual([200, 'jp']);
  });

  it('http://ingestor-us.localhost:<port> resolves in curl and routes by the host name; a token of another region there is refused', async () => {
    const port = new URL(s.url).port;
    const ok = await curl(`http://ingestor-us.localhost:${port}/services/collector/event`, ['-H', `Authorization: Splunk ${T.us}`, '-d', '{"event":"via .localhost"}']);
    expect([ok.status, ok.region]).toEqual([200, 'us']);
    const wrong = await curl(`http://ingestor-us.localhost:${port}/services/collector/event`, ['-H', `Authorization: Splunk ${T.eu}`, '-d', '{"event":1}']);
    expect([wrong.status, wrong.json]).toEqual([403, { text: 'Invalid token', code: 4 }]);
  });
});
