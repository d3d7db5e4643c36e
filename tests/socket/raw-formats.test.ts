import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClassifier } from '../../src/pipeline/ingest/classifier.ts';
import { ADMIN, call, splunk, start, T, testConfigFile, US, type Started } from '../helpers/service.ts';

// /raw lines in real formats, classified by the catalog's own classifier, over a real socket: each field of
// the line is decided on its own (no whole-line _raw verdict). With the module's permission off nothing of the
// line is kept (docs/permissions.md); with it on, a dropped field (undeclared: drop) is cut out of the stored text.
const SPLUNK = 'splunk-network-firewall-web-gateway-logs';
let s: Started;
beforeAll(async () => {
  const file = testConfigFile({ undeclared: 'drop', tenants: [{ id: 'acme', uploadPermission: { [SPLUNK]: false } }, { id: 'beta', uploadPermission: {} }] });
  file.tokens = file.tokens.filter((t) => t.module === undefined); // the test classifier's module names are not the catalog's
  s = await start(file, {}, { classifier: defaultClassifier() });
});
afterAll(async () => s.close());

const post = (path: string, body: string) => call(s.url, 'POST', path, { host: US, headers: splunk(T.us), body });
const events = async () => (await call(s.url, 'GET', '/admin/v1/events?region=us&limit=10', { headers: { authorization: `Bearer ${ADMIN}` } })).json.events as {
  event: unknown; sourcetype: string; fields: { path: string; action: string; module: string | null }[];
}[];

describe('/raw lines split into fields', () => {
  const line = '<14>Apr 14 16:54:18 pa-fw01 1,2024/04/14 16:54:18,012501002341,TRAFFIC,end,2561,2024/04/14 16:54:17,198.51.100.3,203.0.113.4,0.0.0.0,0.0.0.0,allow-web,priya.natarajan@example.com,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd';

  it('a PAN-OS line whose module is turned off: split into fields, every one dropped, nothing of the line stored', async () => {
    const r = await post('/services/collector/raw?sourcetype=pan:traffic', `${line}\n`);
    expect(r.json, r.text).toMatchObject({ code: 0 });
    const [ev] = (await events()).filter((e) => e.sourcetype === 'pan:traffic');
    expect(ev.fields.some((f) => f.path === '_raw')).toBe(false);
    expect(ev.fields.find((f) => f.path === 'srcuser')).toMatchObject({ module: SPLUNK, action: 'drop' });
    expect(ev.fields.every((f) => f.action === 'drop')).toBe(true);
    expect(ev.event).toBeNull();
  });

  it('with the module on, an undeclared column is cut out of the stored line and the others stay where they were', async () => {
    const on = await call(s.url, 'PUT', `/admin/v1/tenants/acme/modules/${SPLUNK}`, { headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: '{"uploadPermission":true}' });
    expect(on.status, on.text).toBe(200);
    const r = await post('/services/collector/raw?sourcetype=pan:traffic', `${line}\n`);
    expect(r.json, r.text).toMatchObject({ code: 0 });
    const [ev] = (await events()).filter((e) => e.sourcetype === 'pan:traffic');
    expect(ev.fields.find((f) => f.path === 'srcuser')).toMatchObject({ module: SPLUNK, action: 'keep' });
    expect(ev.fields.find((f) => f.path === 'serial')).toMatchObject({ action: 'drop' });
    expect(typeof ev.event).toBe('string');
    expect(ev.event as string).toContain('priya.natarajan@example.com');
    expect(ev.event as string).toContain('198.51.100.3');
    expect(ev.event as string).not.toContain('012501002341');
    expect(ev.event as string).not.toContain('TRAFFIC');
    expect(ev.event as string).toContain(',198.51.100.3,');
    // the columns stay where they were, emptied: every comma of the line is still there
    expect((ev.event as string).split(',').length).toBe(line.split(',').length);
    // an undeclared field is shown with the modules that do declare its kind (never filtered by them)
    const dst = ev.fields.find((f) => f.path === 'dst') as { module: string | null; declaredBy?: string[] } | undefined;
    expect(dst?.module).toBeNull();
    expect(dst?.declaredBy).toContain('network-sensor');
});
});
