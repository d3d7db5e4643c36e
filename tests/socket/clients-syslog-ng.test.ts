/**
 * syslog-ng (Debian's syslog-ng-core + syslog-ng-mod-http 3.38, installed by scripts/ci-setup.sh) sending to
 * the emulator as Splunk's docs configure it: the http() destination over TLS to https://localhost:<port>
 * (routed by the token's region), /event/1.0 with batching and query metadata, /raw with Basic auth and an ack
 * channel. The emulator is started by the test; syslog-ng runs in the foreground with its own config, control
 * socket, pid and persist files in a temp folder, for a bounded time. What was stored is read from the admin API.
 * Skipped (with the reason) when syslog-ng or its http module is not installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTls, testClassifier, type TlsStarted } from '../helpers/service.ts';

const SYSLOG_NG = ['/usr/sbin/syslog-ng', '/usr/bin/syslog-ng'].find((p) => existsSync(p));
const HTTP_MODULE = existsSync('/usr/lib/syslog-ng') && readdirSync('/usr/lib/syslog-ng').some((v) => existsSync(join('/usr/lib/syslog-ng', v, 'libhttp.so')));
const ADMIN = 'syslog-ng-admin';
const T_EVENT = '5e5e5e5e-0000-4000-8000-00000000e001';
const T_RAW = '5e5e5e5e-0000-4000-8000-00000000a002';
const CHANNEL = 'c0c0c0c0-5e5e-4000-8000-000000000001';
const ACK_DELAY_MS = 800;

let s: TlsStarted;
let dir: string;
let sng: ChildProcess | null = null;
let sngLog = '';
const auth = { authorization: `Bearer ${ADMIN}` };
/** The admin API and ack polls over the same TLS, trusting the test's CA. */
const tlsCall = (method: string, path: string, o: { headers?: Record<string, string>; body?: string } = {}) => s.call(method, path, o);
const events = async (region: string, n: number) => (await tlsCall('GET', `/admin/v1/events?region=${region}&limit=${n}`, { headers: auth })).events as any[];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil<T>(what: string, f: () => Promise<T | null>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await f();
    if (v !== null) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; syslog-ng said:\n${sngLog}`);
}

/** Writes lines to a syslog-ng unix-stream source. */
async function feed(sock: string, lines: string[]): Promise<void> {
  await waitUntil(`syslog-ng socket ${sock}`, async () => (existsSync(sock) ? true : null));
  await new Promise<void>((resolve, reject) => {
    const c = net.connect(sock, () => c.end(lines.map((l) => `${l}\n`).join(''), () => resolve()));
    c.on('error', reject);
  });
}

describe.skipIf(!SYSLOG_NG || !HTTP_MODULE)('syslog-ng http() destination (skipped without syslog-ng-core + syslog-ng-mod-http: scripts/ci-setup.sh installs them)', () => {
  let port: string;
  beforeAll(async () => {
    // the local CA's 2048-bit keys: Debian's OpenSSL (security level 2) refuses 1024-bit ones in libcurl
    s = await startTls('syslog-ng', {
      adminToken: ADMIN,
      tenants: [{ id: 'acme' }],
      tokens: [
        { token: T_EVENT, name: 'syslog-ng-event', tenant: 'acme', region: 'us' },
        { token: T_RAW, name: 'syslog-ng-raw', tenant: 'acme', region: 'eu', useAck: true },
      ],
      indexes: ['main', 'netops'],
      faults: { eu: { ack: { delay: { kind: 'fixed', ms: ACK_DELAY_MS } } } },
    }, {}, testClassifier);
    dir = s.dir;
    port = s.port;
    const conf = join(dir, 'syslog-ng.conf');
    writeFileSync(conf, `@version: 3.38
options { keep-hostname(yes); stats-freq(0); };
source s_event { unix-stream("${join(dir, 'event.sock')}" flags(syslog-protocol)); };
source s_raw { unix-stream("${join(dir, 'raw.sock')}" flags(syslog-protocol)); };
destination d_event {
  http(
    url("https://localhost:${port}/services/collector/event/1.0?index=netops&source=syslog-ng&sourcetype=linux:syslog")
    method("POST")
    headers("Authorization: Splunk ${T_EVENT}")
    body('$(format-json time=\${S_UNIXTIME}.\${S_MSEC} host=\${HOST} event=\${MESSAGE})')
    delimiter("\\n")
    batch-lines(3) batch-timeout(300)
    tls(ca-file("${s.ca}") peer-verify(yes))
  );
};
destination d_raw {
  http(
    url("https://localhost:${port}/services/collector/raw/1.0?channel=${CHANNEL}&sourcetype=syslog-ng:raw&source=syslog-ng&host=sng-box")
    method("POST")
    user("syslog-ng") password("${T_RAW}")
    headers("Content-Type: text/plain")
    body("\${ISODATE} \${MESSAGE}")
    delimiter("\\n")
    batch-lines(4) batch-timeout(300)
    tls(ca-file("${s.ca}") peer-verify(yes))
  );
};
log { source(s_event); destination(d_event); };
log { source(s_raw); destination(d_raw); };
`);
    sng = spawn(SYSLOG_NG!, ['-F', '-e', '--no-caps', '-f', conf, '-p', join(dir, 'syslog-ng.pid'), '-c', join(dir, 'syslog-ng.ctl'), '-R', join(dir, 'syslog-ng.persist')],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    sng.stdout!.on('data', (d) => { sngLog += d; });
    sng.stderr!.on('data', (d) => { sngLog += d; });
    // bounded: never outlives the test file
    setTimeout(() => sng?.kill('SIGKILL'), 90_000).unref();
  }, 60_000);
  afterAll(async () => {
    if (sng && sng.exitCode === null) {
      const exited = new Promise((r) => sng!.once('exit', r));
      sng.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      sng.kill('SIGKILL');
    }
    await s?.close();
  });

  it('/event/1.0 over TLS to https://localhost: batches of 3, time/host from the message, index/source/sourcetype from the query', async () => {
    const lines = Array.from({ length: 7 }, (_, i) => `<14>1 2026-01-02T03:04:0${i}.${100 + i}Z fw-${i}.example.net sshd 42 - - login ${i} from 10.0.0.${i}`);
    await feed(join(dir, 'event.sock'), lines);
    const got = await waitUntil('7 events in us', async () => {
      const e = await events('us', 10);
      return e.length >= 7 ? e : null;
    });
    expect(got).toHaveLength(7);
    const byI = got.slice().reverse();
    byI.forEach((e, i) => {
      expect(e).toMatchObject({
        event: `login ${i} from 10.0.0.${i}`, host: `fw-${i}.example.net`, index: 'netops', source: 'syslog-ng', sourcetype: 'linux:syslog',
        region: 'us', tenant: 'acme', endpoint: 'event',
      });
      expect(e.time).toBeCloseTo(Date.UTC(2026, 0, 2, 3, 4, i) / 1000 + (100 + i) / 1000, 3);
    });
    // batching: 7 messages arrived in 3 requests (3 + 3 + 1), each request's events share one receivedAt
    expect(new Set(got.map((e) => e.receivedAt)).size).toBe(3);
  }, 60_000);

  it('/raw/1.0 with Basic auth and an ack channel: lines stored with the query metadata; the ack turns true only after the indexing delay', async () => {
    await feed(join(dir, 'raw.sock'), Array.from({ length: 4 }, (_, i) => `<13>1 2026-01-02T05:06:07Z ignored-host app - - - raw line ${i}`));
    const got = await waitUntil('4 raw events in eu', async () => {
      const e = await events('eu', 10);
      return e.length >= 4 ? e : null;
    });
    // each line starts with its ISO date, so Splunk's default breaking (BREAK_ONLY_BEFORE_DATE) makes one event of
    // each, with its time from the text (docs/raw-events.md); lines without a date would merge into one event
    expect(got.map((e) => String(e.event).replace(/^\S+ /, '')).reverse()).toEqual(['raw line 0', 'raw line 1', 'raw line 2', 'raw line 3']);
    for (const e of got) {
      expect(e).toMatchObject({ host: 'sng-box', source: 'syslog-ng', sourcetype: 'syslog-ng:raw', index: 'main', region: 'eu', endpoint: 'raw' });
      expect(e.time).toBe(Date.UTC(2026, 0, 2, 5, 6, 7) / 1000);
    }
    expect(new Set(got.map((e) => e.receivedAt)).size).toBe(1); // one batch of 4
    // syslog-ng does not poll acks: the test polls the channel it used, as its token (ack id 0 = that request)
    const poll = async () => (await tlsCall('POST', `/services/collector/ack?channel=${CHANNEL}`, {
      headers: { authorization: `Splunk ${T_RAW}` }, body: '{"acks":[0]}',
    })).acks['0'] as boolean;
    const storedAt = Date.now();
    const first = await poll();
    const trueAt = await waitUntil('the ack to read true', async () => ((await poll()) ? Date.now() : null), 10_000);
    expect(first).toBe(false);
    const received = typeof got[0].receivedAt === 'number' ? got[0].receivedAt : Date.parse(got[0].receivedAt);
    expect(received).toBeLessThanOrEqual(storedAt);
    // true no sooner than the delay after the request arrived (its commit came after that)
    expect(trueAt - received).toBeGreaterThanOrEqual(ACK_DELAY_MS);
    expect(await poll()).toBe(false); // once
  }, 60_000);

  it('syslog-ng itself reported no delivery error', () => {
    expect(sngLog).not.toMatch(/error|Server returned with a 4XX|5XX/i);
    expect(readFileSync(join(dir, 'syslog-ng.pid'), 'utf8').trim()).toBe(String(sng!.pid));
  });
});
