// A full disk (a small tmpfs): HEC answers 503 code 9, health is degraded, one log line per change of state
// (not a stack per request), nothing of a refused request is stored, and writing resumes once space returns.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, splunk, start, T, testConfigFile, US } from '../../helpers/service.ts';

const root = mkdtempSync(join(tmpdir(), 'sim-diskfull-'));
const mnt = join(root, 'small');

/** Why a small tmpfs cannot be mounted here, or null once it is mounted at `mnt`. */
function mountSmall(): string | null {
  if (process.getuid?.() !== 0) return 'not root: mounting a small tmpfs needs root';
  spawnSync('mkdir', ['-p', mnt]);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m,mode=700', 'tmpfs', mnt], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `mount -t tmpfs failed: ${r.error?.message ?? r.stderr.trim()}`;
  return null;
}
let why: string | null = 'not tried';
beforeAll(() => {
  why = mountSmall();
  if (why) console.warn(`store-disk-full: skipped: ${why}`);
});
afterAll(() => {
  if (why === null) spawnSync('umount', ['-l', mnt]);
  rmSync(root, { recursive: true, force: true });
});

/** Fills the file system of `dir` with one file until ENOSPC; returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) {
      try {
        writeSync(fd, block);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw err;
      }
    }
    // the last few bytes too
    for (const n of [4096, 512, 1]) {
      try {
        for (;;) writeSync(fd, block, 0, n);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

describe('disk full', () => {
  it('503 code 9, health degraded, one log line per change, nothing half-stored; writing resumes when space returns', async (ctx) => {
    if (why !== null) return ctx.skip();
    const lines: Array<{ level: number; msg: string; stack?: unknown; err?: unknown }> = [];
    const stream = new Writable({ write(chunk, _enc, cb) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
    const dataDir = join(mnt, 'data');
    const s = await start(testConfigFile(), { dataDir, fsync: 'always' }, { logger: { level: 'debug', stream } });
    const post = (i: number) => call(s.url, 'POST', '/services/collector/event', {
      host: US, headers: splunk(T.us), body: `{"event":{"i":${i},"pad":"${'x'.repeat(20_000)}"},"sourcetype":"fw:traffic"}`,
    });
    const health = () => call(s.url, 'GET', '/services/collector/health', { host: US });
    try {
      expect((await post(0)).json).toMatchObject({ code: 0 });
      expect((await health()).status).toBe(200);
      const filler = fill(mnt);
      const refused = [];
      for (let i = 1; i <= 6; i++) refused.push(await post(i));
      for (const r of refused) {
        expect(r.status).toBe(503);
        expect(r.json).toMatchObject({ code: 9, text: 'Server is busy' });
      }
      const h = await health();
      expect(h.status).toBe(503);
      expect(h.json).toMatchObject({ code: 18 });
      const regions = (await call(s.url, 'GET', '/admin/v1/regions', { headers: { authorization: `Bearer ${ADMIN}` } })).json.regions;
      expect(regions.find((r: { id: string }) => r.id === 'us').condition).toMatchObject({ state: 'disk-full', detail: expect.stringMatching(/ENOSPC|SQLITE_FULL|full/i) });
      expect((await call(s.url, 'GET', '/metrics')).text).toMatch(/ingestor_sim_store_degraded\{region="us"\} 1/);
      const down = lines.filter((l) => /cannot write \(disk-full\)/.test(l.msg));
      expect(down).toHaveLength(1); // one line for the change, not one per request
      expect(lines.filter((l) => l.level >= 50 && l.msg !== down[0].msg)).toEqual([]); // no error (stack) per request
      // space returns
      rmSync(filler);
      expect((await post(7)).json).toMatchObject({ code: 0 });
      expect((await health()).status).toBe(200);
      expect(lines.filter((l) => /writes again/.test(l.msg))).toHaveLength(1);
      expect((await call(s.url, 'GET', '/metrics')).text).toMatch(/ingestor_sim_store_degraded\{region="us"\} 0/);
      expect(lines.filter((l) => /cannot write/.test(l.msg))).toHaveLength(1);
      const ev = (await call(s.url, 'GET', '/admin/v1/events?region=us', { headers: { authorization: `Bearer ${ADMIN}` } })).json.events;
      expect(ev.map((e: { event: { i: number } }) => e.event.i)).toEqual([7, 0]);
    } finally {
      await s.close();
    }
    // and after a restart: the two stored events, nothing of the refused ones, nothing to recover
    const again = await start(testConfigFile(), { dataDir, fsync: 'always' });
    try {
      const ev = (await call(again.url, 'GET', '/admin/v1/events?region=us', { headers: { authorization: `Bearer ${ADMIN}` } })).json.events;
      expect(ev.map((e: { event: { i: number } }) => e.event.i)).toEqual([7, 0]);
      const stats = (await call(again.url, 'GET', '/admin/v1/stats', { headers: { authorization: `Bearer ${ADMIN}` } })).json;
      expect(stats.regions.us.events).toBe(2);
      const regions = (await call(again.url, 'GET', '/admin/v1/regions', { headers: { authorization: `Bearer ${ADMIN}` } })).json.regions;
      expect(regions.find((r: { id: string }) => r.id === 'us').condition).toMatchObject({ state: 'ok', recovery: { truncated: 0, quarantined: [] } });
    } finally {
      await again.close();
    }
  });
});
