import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/service/app.ts';
import { buildConfig, type ConfigFile } from '../../src/config/config.ts';
import { defaultClassifier } from '../../src/pipeline/ingest/classifier.ts';
import { ADMIN, call, splunk, T, US } from '../helpers/service.ts';

/**
 * /raw event breaking and timestamps, auto_extract_timestamp and HEC times in ms/µs/ns, over a real socket
 * and read back through the admin API, once with everything in the event loop and once in an ingest worker
 * thread (the config's sourcetype table must reach the threads too).
 */
const file: ConfigFile = {
  adminToken: ADMIN,
  tenants: [{ id: 'acme', uploadPermission: {} }],
  tokens: [{ token: T.us, name: 'app', tenant: 'acme', region: 'us' }],
  undeclared: 'keep',
  sourcetypes: {
    // an application's own format: one event per line, its time after "at=", written in Tokyo time
    'acme:app': { shouldLinemerge: false, timePrefix: 'at=', tz: '+09:00' },
  },
};

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');
const hms = (d: Date) => `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
/** Timestamps an hour old (inside Splunk's MAX_DAYS_AGO) in the formats under test, all UTC. */
const t0 = Math.floor(Date.now() / 1000) - 3600;
const at = (s: number) => new Date((t0 + s) * 1000);
const isoAt = (s: number, ms = 0) => new Date((t0 + s) * 1000 + ms).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
const syslogAt = (s: number) => `${MON[at(s).getUTCMonth()]} ${String(at(s).getUTCDate()).padStart(2, ' ')} ${hms(at(s))}`;
const apacheAt = (s: number) => `${p2(at(s).getUTCDate())}/${MON[at(s).getUTCMonth()]}/${at(s).getUTCFullYear()}:${hms(at(s))} +0000`;

interface Server { app: FastifyInstance; url: string; dir: string }

describe.each([0, 1])('raw events and times (ingest workers: %i)', (workers) => {
  let s: Server;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-raw-'));
    const app = buildApp(buildConfig(file, { dataDir: dir, ingestWorkers: workers }), { logger: false, defaultMetrics: false, classifier: defaultClassifier() });
    await app.listen({ host: '127.0.0.1', port: 0 });
    s = { app, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, dir };
  });
  afterAll(async () => {
    await s.app.close();
    rmSync(s.dir, { recursive: true, force: true });
  });

  const post = async (path: string, body: string) => {
    const r = await call(s.url, 'POST', path, { host: US, headers: splunk(T.us), body });
    expect(r.json).toEqual({ text: 'Success', code: 0 });
  };
  const admin = (path: string) => call(s.url, 'GET', `/admin/v1${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const count = async () => (await admin('/stats')).json.regions.us.events as number;
  /** The n newest events, oldest first. */
  const newest = async (n: number) => ((await admin(`/events?region=us&limit=${n}`)).json.events as Array<Record<string, any>>).reverse();

  it('uses the worker threads only when asked', () => {
    expect(s.app.sim.pool === null).toBe(workers === 0);
  });

  it('a log4j stack trace of 5 lines is stored as 2 events with their times (sourcetype log4j, and the default)', async () => {
    const lines = [
      `${isoAt(0, 123)} ERROR [main] com.acme.App - request failed`,
      'java.lang.IllegalStateException: connection reset',
      '\tat com.acme.Db.query(Db.java:42)',
      '\tat com.acme.App.main(App.java:7)',
      `${isoAt(1)} INFO [main] com.acme.App - retried`,
    ];
    for (const q of ['?sourcetype=log4j', '']) {
      const before = await count();
      await post(`/services/collector/raw${q}`, `${lines.join('\n')}\n`);
      expect(await count()).toBe(before + 2);
      const [a, b] = await newest(2);
      expect(a).toMatchObject({ event: lines.slice(0, 4).join('\n'), time: t0 + 0.123, endpoint: 'raw' });
      expect(b).toMatchObject({ event: lines[4], time: t0 + 1 });
    }
  });

  it('syslog: one event per line, time from the header (year inferred), host from the header where it has one', async () => {
    const body = [
      `${syslogAt(10)} mymachine su: 'su root' failed for lonvick on /dev/pts/8`,
      `<13>${syslogAt(11)} fw-01.example.com kernel: DROP IN=eth0 SRC=198.51.100.7`,
      'a line without a header',
    ].join('\r\n');
    const before = await count();
    await post('/services/collector/raw?sourcetype=syslog&host=relay-1', body);
    expect(await count()).toBe(before + 3);
    const ev = await newest(3);
    expect(ev.map((e) => e.host)).toEqual(['mymachine', 'fw-01.example.com', 'relay-1']);
    expect(ev.map((e) => e.time)).toEqual([t0 + 10, t0 + 11, t0 + 11]); // no timestamp: the previous event's
    expect(ev.map((e) => e.sourcetype)).toEqual(['syslog', 'syslog', 'syslog']);
  });

  it('access_combined: one event per line, time from the bracket, host as sent', async () => {
    const line = (i: number) => `198.51.100.${i} - frank [${apacheAt(20 + i)}] "GET /a/${i} HTTP/1.1" 200 2326 "-" "curl/8.0"`;
    await post('/services/collector/raw?sourcetype=access_combined&host=web-1', [line(1), line(2)].join('\n'));
    const ev = await newest(2);
    expect(ev.map((e) => [e.event, e.time, e.host])).toEqual([[line(1), t0 + 21, 'web-1'], [line(2), t0 + 22, 'web-1']]);
  });

  it('a config rule reaches this path: TIME_PREFIX and TZ of acme:app', async () => {
    const local = new Date((t0 + 30 + 9 * 3600) * 1000); // the same instant on a Tokyo wall clock
    const text = `user=alice at=${local.toISOString().slice(0, 19).replace('T', ' ')} ok`;
    await post('/services/collector/raw?sourcetype=acme:app', `${text}\nuser=bob ok`);
    const ev = await newest(2);
    expect(ev.map((e) => [e.event, e.time])).toEqual([[text, t0 + 30], ['user=bob ok', t0 + 30]]);
  });

  it('a body without timestamps keeps null times (the receive time applies) and merges as Splunk\'s [default] does', async () => {
    await post('/services/collector/raw', 'first\nsecond');
    expect((await newest(1))[0]).toMatchObject({ event: 'first\nsecond', time: null, sourcetype: 'httpevent' });
  });

  it('/event with auto_extract_timestamp=true takes the time from the text when the envelope has none', async () => {
    const text = `${isoAt(40)} something happened`;
    await post('/services/collector/event?auto_extract_timestamp=true', [
      JSON.stringify({ event: text }),
      JSON.stringify({ event: { ts: new Date((t0 + 41) * 1000).toISOString(), msg: 'object event' } }),
      JSON.stringify({ event: text, time: t0 + 42 }),
      JSON.stringify({ event: 'no timestamp here' }),
    ].join('\n'));
    expect((await newest(4)).map((e) => e.time)).toEqual([t0 + 40, t0 + 41, t0 + 42, null]);
    // without the flag the text is not read; with time= in the URL the flag is off and that time applies
    await post('/services/collector/event', JSON.stringify({ event: text }));
    expect((await newest(1))[0].time).toBeNull();
    await post(`/services/collector/event?auto_extract_timestamp=true&time=${t0 + 50}`, JSON.stringify({ event: text }));
    expect((await newest(1))[0].time).toBe(t0 + 50);
  });

  it('envelope times in ms, µs and ns (splunk-events sends ms) are stored as epoch seconds', async () => {
    const ms = (t0 + 60) * 1000 + 241;
    await post('/services/collector/event', [
      JSON.stringify({ event: 'ms', time: ms }),
      JSON.stringify({ event: 'ms string', time: String(ms) }),
      JSON.stringify({ event: 'µs', time: ms * 1000 + 5 }),
      JSON.stringify({ event: 'ns', time: (t0 + 60) * 1e9 }),
      JSON.stringify({ event: 's', time: t0 + 60.5 }),
    ].join('\n'));
    const times = (await newest(5)).map((e) => e.time as number);
    expect(times[0]).toBe(ms / 1000);
    expect(times[1]).toBe(ms / 1000);
    expect(times[2]).toBeCloseTo(t0 + 60.241005, 5);
    expect(times[3]).toBe(t0 + 60);
    expect(times[4]).toBe(t0 + 60.5);
    for (const t of times) expect(new Date(t * 1000).getUTCFullYear()).toBe(at(60).getUTCFullYear());
  });
});
