/** Indexes that exist (config `indexes`): an event for any other gets Splunk's 400 code 7 "Incorrect index". */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig, defaultIndexes } from '../../src/config/config.ts';
import { ADMIN, call, start, splunk, T, testConfigFile, US, type Started } from '../helpers/service.ts';

const admin = (s: Started, region = 'us', n = 1) => call(s.url, 'GET', `/admin/v1/events?region=${region}&limit=${n}`, { headers: { authorization: `Bearer ${ADMIN}` } });

describe('default indexes: main plus the ones tokens list', () => {
  let s: Started;
  beforeAll(async () => { s = await start(); });
  afterAll(async () => { await s.close(); });

  it('the default set is main + token lists + token default indexes', () => {
    expect(defaultIndexes(testConfigFile().tokens)).toEqual(['main', 'sec']);
    expect(defaultIndexes([{ token: T.us, tenant: 'a', region: 'us', defaults: { index: 'app' } }])).toEqual(['main', 'app']);
  });

  it('an index that exists is stored; a token without a list may use any existing one', async () => {
    const r = await call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body: '{"event":"a","index":"sec"}' });
    expect(r.json).toEqual({ text: 'Success', code: 0 });
    expect((await admin(s)).json.events[0]).toMatchObject({ event: 'a', index: 'sec' });
  });

  it("a nonexistent index (winston-splunk-httplogger's default winston-index) is 400 code 7, after the events before it", async () => {
    const r = await call(s.url, 'POST', '/services/collector/event', { host: 'localhost', headers: splunk(T.us), body: '{"event":"kept"}{"event":"w","index":"winston-index"}' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ text: 'Incorrect index', code: 7, 'invalid-event-number': 2 });
    expect(r.json.detail).toBe("event 1: index 'winston-index' does not exist (indexes: main, sec)");
    const got = (await admin(s, 'us', 2)).json.events;
    expect(got[0].event).toBe('kept');
    expect(got.some((e: any) => e.index === 'winston-index')).toBe(false);
  });

  it('/raw with ?index= of a nonexistent index is 400 code 7 and stores nothing', async () => {
    const before = (await admin(s, 'us', 1)).json.events[0];
    const r = await call(s.url, 'POST', '/services/collector/raw?index=nope', { host: US, headers: splunk(T.us), body: 'a line\n' });
    expect([r.status, r.json]).toEqual([400, { text: 'Incorrect index', code: 7, detail: "index 'nope' does not exist (indexes: main, sec)" }]);
    expect((await admin(s, 'us', 1)).json.events[0]).toEqual(before);
  });

  it("a token's own list still decides for that token", async () => {
    const r = await call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.idx), body: '{"event":"b","index":"main"}{"event":"c","index":"other"}' });
    expect([r.status, r.json.code, r.json['invalid-event-number']]).toEqual([400, 7, 2]);
  });
});

describe('explicit indexes in the config', () => {
  it('only the listed ones exist; a token naming another is a config error', async () => {
    const s = await start(testConfigFile({ indexes: ['main', 'sec', 'firewall'] }));
    try {
      const ok = await call(s.url, 'POST', '/services/collector/raw?index=firewall', { host: US, headers: splunk(T.us), body: 'x\n' });
      expect(ok.json).toEqual({ text: 'Success', code: 0 });
      const no = await call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body: '{"event":"x","index":"Firewall"}' });
      expect([no.status, no.json.code]).toEqual([400, 7]);
    } finally {
      await s.close();
    }
    expect(() => buildConfig(testConfigFile({ indexes: ['main'] }), { dataDir: '/nonexistent' })).toThrow(/\/tokens\/5\/indexes\/1: index 'sec' is not in \/indexes \(main\)/);
    expect(() => buildConfig(testConfigFile({ indexes: ['Bad Name'] }), { dataDir: '/nonexistent' })).toThrow(/\/indexes\/0: must match pattern/);
  });
});

describe('through the ingest threads (catalog classifier, workers)', () => {
  it('the same answer for a nonexistent index', async () => {
    const { defaultClassifier } = await import('../../src/pipeline/ingest/classifier.ts');
    const s = await start({ adminToken: ADMIN, tenants: [{ id: 'acme' }], tokens: [{ token: T.us, tenant: 'acme', region: 'us' }], indexes: ['main', 'sec'] }, { ingestWorkers: 1 }, { classifier: defaultClassifier() });
    try {
      expect(s.app.sim.pool).not.toBeNull();
      const r = await call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body: '{"event":"ok"}\n{"event":"no","index":"winston-index"}' });
      expect([r.status, r.json]).toEqual([400, { text: 'Incorrect index', code: 7, 'invalid-event-number': 2, detail: "event 1: index 'winston-index' does not exist (indexes: main, sec)" }]);
      expect((await admin(s)).json.events[0].event).toBe('ok');
    } finally {
      await s.close();
    }
  }, 30_000);
});
