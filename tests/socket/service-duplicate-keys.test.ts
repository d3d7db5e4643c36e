import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/service/app.ts';
import { buildConfig, type ConfigFile } from '../../src/config/config.ts';
import { defaultClassifier } from '../../src/pipeline/ingest/classifier.ts';
import { ADMIN, call, splunk, T, US } from '../helpers/service.ts';

/**
 * Duplicate JSON keys must not carry data past the permission filter (issue 13 item 2). JSON.parse keeps the
 * last of duplicate keys, so the event is classified on the last value; what reaches the disk must be that
 * value, never the received text with the first one. Each case hides a marker IP in a value the parse does not
 * keep, at every level (envelope, event, nested fields, indexed fields), and the data folder must not hold
 * that marker afterwards, with the module's upload permission on and off, classified in the event loop and in
 * ingest worker threads.
 */
const file: ConfigFile = {
  adminToken: ADMIN,
  tenants: [{ id: 'acme', uploadPermission: {} }],
  tokens: [{ token: T.core, tenant: 'acme', region: 'us', module: 'network-sensor' }],
  undeclared: 'keep',
};

const cases: Array<{ name: string; body: (marker: string) => string; part: 'event' | 'fields' }> = [
  { name: 'envelope: two "event" keys', body: (m) => `{"event":{"src_ip":"${m}"},"event":{"action":"allowed"}}`, part: 'event' },
  { name: 'event: a key twice', body: (m) => `{"event":{"action":"${m}","action":"allowed"}}`, part: 'event' },
  { name: 'nested: a key twice two levels down', body: (m) => `{"event":{"net":{"peer":{"src_ip":"${m}","src_ip":"192.0.2.1"}}}}`, part: 'event' },
  { name: 'indexed fields: a key twice', body: (m) => `{"event":{"action":"allowed"},"fields":{"src_ip":"${m}","src_ip":"192.0.2.1"}}`, part: 'fields' },
  { name: 'envelope: two "fields" keys', body: (m) => `{"event":"x","fields":{"src_ip":"${m}"},"fields":{"action":"allowed"}}`, part: 'fields' },
  // not duplicates, but the same hole: an envelope key HEC does not know is never classified
  { name: 'envelope: an unknown key', body: (m) => `{"event":{"action":"allowed"},"extra":{"src_ip":"${m}"}}`, part: 'event' },
  // pretty-printed (the scanning parse path), with a duplicate
  { name: 'pretty-printed, multi-line', body: (m) => `{\n  "event": {"src_ip": "${m}"},\n  "event": {"action": "allowed"}\n}`, part: 'event' },
];

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

interface Server { app: FastifyInstance; url: string; dir: string }

describe.each([0, 2])('duplicate keys, ingest workers %i', (workers) => {
  let s: Server;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-dupkeys-'));
    const cfg = buildConfig(file, { dataDir: dir, ingestWorkers: workers, fsync: 'always' });
    const app = buildApp(cfg, { logger: false, defaultMetrics: false, classifier: defaultClassifier() });
    await app.listen({ host: '127.0.0.1', port: 0 });
    s = { app, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, dir };
  });
  afterAll(async () => {
    await s.app.close();
    rmSync(s.dir, { recursive: true, force: true });
  });

  for (const permission of [true, false]) {
    it(`stores what was classified, never the shadowed value (permission ${permission ? 'on' : 'off'})`, async () => {
      const put = await call(s.url, 'PUT', '/admin/v1/tenants/acme/modules/network-sensor', {
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ uploadPermission: permission }),
      });
      expect(put.status).toBe(200);
      const auth = { authorization: `Bearer ${ADMIN}` };
      for (const [i, c] of cases.entries()) {
        const marker = `10.77.${permission ? 1 : 0}${workers}.${i + 1}`;
        const body = c.body(marker);
        expect(body).toContain(marker);
        const before = (await call(s.url, 'GET', '/admin/v1/events?limit=1', { headers: auth })).json.events[0]?.id ?? -1;
        const r = await call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.core), body });
        expect(r.status, c.name).toBe(200);
        const ev = (await call(s.url, 'GET', '/admin/v1/events?limit=1', { headers: auth })).json.events[0];
        expect(ev.id, c.name).toBeGreaterThan(before);
        // the stored event is the parsed one, and its classification describes exactly that
        const parsed = JSON.parse(body);
        const stored = c.part === 'event' ? ev.event : ev.indexedFields;
        // permission on: nothing is dropped, so the stored part is exactly the parsed (last) value
        if (permission) expect(stored, c.name).toEqual(parsed[c.part]);
        expect(JSON.stringify(ev), c.name).not.toContain(marker);
        // every classified path is a path of what was parsed (the verdicts describe the stored value)
        for (const f of ev.fields as Array<{ path: string }>) {
          const path = f.path.startsWith('fields.') ? f.path.slice(7) : f.path;
          const top = f.path.startsWith('fields.') ? parsed.fields : parsed.event;
          const at = path === '_raw' ? top : path.split('.').reduce((o: any, k) => o?.[k], top);
          expect(at, `${c.name}: ${f.path}`).toBeDefined();
        }
      }
      // nothing on disk holds a shadowed value (the log, the index, their journals)
      await s.app.close();
      const leaked = filesUnder(s.dir).filter((p) => readFileSync(p).includes(`10.77.${permission ? 1 : 0}${workers}.`));
      // reopen on the same folder for the next permission state
      const cfg = buildConfig(file, { dataDir: s.dir, ingestWorkers: workers, fsync: 'always' });
      s.app = buildApp(cfg, { logger: false, defaultMetrics: false, classifier: defaultClassifier() });
      await s.app.listen({ host: '127.0.0.1', port: 0 });
      s.url = `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}`;
      expect(leaked).toEqual([]);
    });
  }

  it('keeps the received text when it is canonical (no duplicate, nothing dropped)', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    await call(s.url, 'PUT', '/admin/v1/tenants/acme/modules/network-sensor', {
      headers: { ...auth, 'content-type': 'application/json' }, body: '{"uploadPermission":true}',
    });
    const body = '{"event":{"action":"allowed","n":1.5},"host":"h1"}';
    const r = await call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.core), body });
    expect(r.status).toBe(200);
    const ev = (await call(s.url, 'GET', '/admin/v1/events?limit=1', { headers: auth })).json.events[0];
    expect(ev.event).toEqual({ action: 'allowed', n: 1.5 });
    expect(ev.host).toBe('h1');
  });
});
