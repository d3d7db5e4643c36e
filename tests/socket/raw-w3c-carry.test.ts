import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClassifier } from '../../src/pipeline/ingest/classifier.ts';
import { ADMIN, call, splunk, start, T, testConfigFile, US, type Started } from '../helpers/service.ts';

// A W3C extended log shipped in pieces: the #Fields: directive in one /raw request names the columns of the data
// lines of the stream's later requests (src/pipeline/parse/w3c-streams.ts). The same in the event loop
// (ingest.workers 0) and in an ingest thread, whose job carries the directive in and its result carries it out.
const HEADER = [
  '#Software: Microsoft Internet Information Services 10.0',
  '#Version: 1.0',
  '#Date: 2024-05-01 10:00:00',
  // not IIS's default field set: only the directive names these columns
  '#Fields: date time c-ip cs-username s-ip cs-method cs-uri-stem sc-status time-taken',
].join('\n');
const DATA = '2024-05-01 10:00:01 198.51.100.7 alice.example@contoso.com 192.0.2.10 GET /index.htm 200 15\n'
  + '2024-05-01 10:00:02 198.51.100.8 bob.example@contoso.com 192.0.2.10 GET /about.htm 404 3\n';

interface Stored { event: unknown; source: string; fields: { path: string }[] }

for (const workers of [0, 1]) {
  describe(`/raw W3C #Fields: across requests (ingest.workers ${workers})`, () => {
    let s: Started;
    beforeAll(async () => {
      const file = testConfigFile({ undeclared: 'keep', tenants: [{ id: 'acme', uploadPermission: {} }, { id: 'beta', uploadPermission: {} }] });
      file.tokens = file.tokens.filter((t) => t.module === undefined);
      s = await start(file, { ingestWorkers: workers }, { classifier: defaultClassifier() });
    });
    afterAll(async () => s.close());

    const post = (query: string, body: string) => call(s.url, 'POST', `/services/collector/raw?${query}`, { host: US, headers: splunk(T.us), body });
    const stored = async (source: string): Promise<Stored[]> => {
      const r = await call(s.url, 'GET', '/admin/v1/events?region=us&limit=50', { headers: { authorization: `Bearer ${ADMIN}` } });
      return (r.json.events as Stored[]).filter((e) => e.source === source);
    };

    it('a #Fields: directive in request 1 splits the data lines of request 2 into the named fields', async () => {
      const q = 'sourcetype=iis&host=web1&source=C:\\inetpub\\logs\\u_ex240501.log';
      expect((await post(q, `${HEADER}\n`)).json).toMatchObject({ code: 0 });
      expect((await post(q, DATA)).json).toMatchObject({ code: 0 });
      const evs = (await stored('C:\\inetpub\\logs\\u_ex240501.log')).filter((e) => typeof e.event === 'object');
      expect(evs).toHaveLength(2);
      const users = evs.map((e) => (e.event as Record<string, string>)['cs-username']).sort();
      expect(users).toEqual(['alice.example@contoso.com', 'bob.example@contoso.com']);
      for (const e of evs) {
        const paths = e.fields.map((f) => f.path);
        expect(paths).toEqual(expect.arrayContaining(['c-ip', 'cs-username', 'cs-uri-stem', 'sc-status']));
        expect(paths).not.toContain('_raw');
      }
    });

    it('another source of the same sender does not inherit the directive: its lines stay text', async () => {
      const q = 'sourcetype=iis&host=web1&source=C:\\inetpub\\logs\\u_ex240502.log';
      expect((await post(q, DATA)).json).toMatchObject({ code: 0 });
      const evs = await stored('C:\\inetpub\\logs\\u_ex240502.log');
      expect(evs).toHaveLength(2);
      for (const e of evs) {
        expect(typeof e.event).toBe('string');
        expect(e.fields.map((f) => f.path)).not.toContain('cs-username');
      }
    });

    it('a later directive of the stream replaces the earlier one', async () => {
      const q = 'sourcetype=iis&host=web2&source=u_ex240503.log';
      await post(q, '#Fields: date time c-ip cs-username s-ip cs-method cs-uri-stem sc-status time-taken\n');
      await post(q, '#Fields: date time cs-username cs-uri-stem\n');
      expect((await post(q, '2024-05-01 10:00:03 carol.example@contoso.com /x.htm\n')).json).toMatchObject({ code: 0 });
      const [ev] = (await stored('u_ex240503.log')).filter((e) => typeof e.event === 'object');
      expect({ ...(ev.event as object) }).toEqual({ date: '2024-05-01', time: '10:00:03', 'cs-username': 'carol.example@contoso.com', 'cs-uri-stem': '/x.htm' });
    });
  });
}
