// The service over real sockets after its log was damaged while it was stopped: it starts, says what recovery
// did in one log line, shows it in /admin/v1/regions, lists events (never a 500), and acked writes go on.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN, call, splunk, start, T, testConfigFile, US } from '../../helpers/service.ts';
import { isChunk, readRecord } from '../../../src/store/event-log.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'sim-recovery-')); dirs.push(d); return d; };
const admin = { authorization: `Bearer ${ADMIN}` };

function capture(): { lines: Array<{ level: number; msg: string }>; stream: Writable } {
  const lines: Array<{ level: number; msg: string }> = [];
  return { lines, stream: new Writable({ write(c, _e, cb) { for (const l of String(c).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } }) };
}
const chunks = (log: string) => {
  const fd = openSync(log, 'r');
  const out: Array<{ offset: number; size: number }> = [];
  for (let at = 0, r = readRecord(fd, 0); r !== null; at += r.size, r = readRecord(fd, at)) if (isChunk(r.kind)) out.push({ offset: at, size: r.size });
  closeSync(fd);
  return out;
};

describe('recovery as the service shows it', () => {
  it('a torn tail and a damaged record: one warn line, the condition in /admin/v1/regions, every other event listed, writes go on', async () => {
    const dataDir = tmp();
    const a = await start(testConfigFile(), { dataDir, fsync: 'always' });
    for (let i = 0; i < 6; i++) {
      const r = await call(a.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body: `{"event":{"i":${i},"src_ip":"10.0.0.${i}"},"sourcetype":"fw:traffic"}` });
      expect(r.json.code).toBe(0);
    }
    await a.close();
    const log = join(dataDir, 'us', 'events.log');
    const c = chunks(log);
    expect(c).toHaveLength(6);
    // 8 bytes flipped in the third request's record, and the last one torn by 5 bytes
    const fd = openSync(log, 'r+');
    const bytes = readFileSync(log).subarray(c[2].offset + 40, c[2].offset + 48).map((b) => b ^ 0xff);
    writeSync(fd, bytes, 0, 8, c[2].offset + 40);
    closeSync(fd);
    truncateSync(log, statSync(log).size - 5);

    const { lines, stream } = capture();
    const b = await start(testConfigFile(), { dataDir, fsync: 'always' }, { logger: { level: 'info', stream } });
    try {
      const warn = lines.filter((l) => l.level === 40 && /store of region us: recovery/.test(l.msg));
      expect(warn).toHaveLength(1);
      expect(warn[0].msg).toMatch(new RegExp(`moved 1 damaged records \\(${c[2].size} bytes, at offsets ${c[2].offset}\\)`));
      const us = (await call(b.url, 'GET', '/admin/v1/regions', { headers: admin })).json.regions.find((r: { id: string }) => r.id === 'us');
      expect(us.condition).toMatchObject({ state: 'ok', recovery: { rebuilt: true, truncated: c[5].size - 5 } });
      expect(us.condition.recovery.quarantined.map((q: { reason: string; offset: number }) => [q.reason, q.offset])).toEqual([['damaged', c[2].offset], ['torn', c[5].offset]]);
      const listed = await call(b.url, 'GET', '/admin/v1/events?region=us', { headers: admin });
      expect(listed.status).toBe(200);
      expect(listed.json.events.map((e: { event: { i: number } }) => e.event.i)).toEqual([4, 3, 1, 0]);
      const metrics = (await call(b.url, 'GET', '/metrics')).text;
      expect(metrics).toContain(`ingestor_sim_store_quarantined_bytes{region="us"} ${c[2].size + c[5].size - 5}`);
      expect(metrics).toMatch(/ingestor_sim_store_field_paths\{region="us"\} \d+/);
      const more = await call(b.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body: '{"event":{"i":6}}' });
      expect(more.json.code).toBe(0);
    } finally {
      await b.close();
    }
    const d = await start(testConfigFile(), { dataDir, fsync: 'always' });
    try {
      const listed = await call(d.url, 'GET', '/admin/v1/events?region=us', { headers: admin });
      expect(listed.status).toBe(200);
      expect(listed.json.events.map((e: { event: { i: number } }) => e.event.i)).toEqual([6, 4, 3, 1, 0]);
      const us = (await call(d.url, 'GET', '/admin/v1/regions', { headers: admin })).json.regions.find((r: { id: string }) => r.id === 'us');
      expect(us.events).toBe(5);
      expect(us.condition.recovery).toMatchObject({ truncated: 0, quarantined: [], rebuilt: false });
    } finally {
      await d.close();
    }
  });
});
