import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileMatcher, getDefaultMatcher, loadCatalog, nameCandidates, normalizeName } from '../../../../src/pipeline/classify/index.ts';
import { naiveClassifyField } from '../../../../src/pipeline/classify/naive.ts';
import { readLabeledFields, exampleValue } from '../../../../src/tools/eval/classifier-eval.ts';
import { testDetector } from '../../../../src/pipeline/classify/detectors.ts';
import { SHAPE_FANOUT, SHAPE_NODES_MAX } from '../../../../src/pipeline/classify/compile.ts';
import { DETECTORS, type CatalogDef } from '../../../../src/pipeline/classify/types.ts';

const SPLUNK = 'splunk-network-firewall-web-gateway-logs';
const m = getDefaultMatcher();
const one = (path: string, value: unknown, mod: string | null = SPLUNK) => m.classifyField(path, value, mod);

describe('names', () => {
  it('folds case, separators and camelCase', () => {
    for (const n of ['src_ip', 'SrcIP', 'src-ip', 'Src.IP', 'SRC IP']) expect(normalizeName(n)).toBe('srcip');
    expect(normalizeName('cs(User-Agent)')).toBe('csuseragent');
  });
  it('tries the whole dotted path, then each shorter tail, dropping array indices', () => {
    expect(nameCandidates('properties.status.errorCode')).toEqual(['propertiesstatuserrorcode', 'statuserrorcode', 'errorcode']);
    expect(nameCandidates('users[3].name')).toEqual(['usersname', 'name']);
  });
});

describe('module context', () => {
  it("uses the event's own module first", () => {
    expect(one('src_ip', '198.51.100.23')).toMatchObject({ item: 'Source IP address', module: SPLUNK, category: 'online-identifier', by: 'name' });
    expect(one('dest_ip', '203.0.113.7', 'network-sensor')).toMatchObject({ item: 'Destination IP', module: 'network-sensor' });
  });
  it('lets the value refine the kind: CIM dest holding an IP vs a host name', () => {
    expect(one('dest', '203.0.113.15', 'network-sensor').item).toBe('Destination IP');
    expect(one('dest', 'files.example.net', 'network-sensor').item).toBe('Host name');
    expect(one('dest', 'LT-ENG-0087', 'endpoint-sensor').item).toBe('Endpoint name');
  });
  it('never attributes a field to another module: undeclared, reported with the modules that declare it', () => {
    const r = one('awsRegion', 'us-east-1');
    expect(r.item).toBeNull();
    const home = one('homeDirectory', '\\\\fs01\\home$\\jdoe');
    expect(home).toMatchObject({ item: null, module: null, category: 'content', declaredBy: ['open-ldap'] });
    // a phone number in a firewall event is not General Service's "Phone number", whatever that module's permission
    expect(one('phone', '+1 202-555-0143')).toMatchObject({ item: null, module: null, category: 'direct-identifier' });
    expect(one('phone', '+1 202-555-0143').declaredBy).toContain('general-trend-vision-one-service');
  });
  it('leaves a field undeclared when no module or several modules declare it', () => {
    expect(one('src_mac', '00:00:5e:00:53:1a')).toMatchObject({ item: null, module: null, category: 'online-identifier', kind: 'mac' });
    expect(one('bytes_in', 48213)).toMatchObject({ item: null, category: 'non-personal' });
  });
  it('does not attribute non-personal fields to another module', () => {
    expect(one('action', 'allowed')).toMatchObject({ item: null, module: null, category: 'non-personal' });
  });
  it('prefers the module-specific name over the generic kind (Qualys name is the host name)', () => {
    expect(one('name', 'LT-ENG-0087', 'qualys')).toMatchObject({ item: 'Hostname', category: 'online-identifier' });
    expect(one('software.list.HostAssetSoftware.name', 'Google Chrome', 'qualys').item).toBeNull();
  });
});

describe('values', () => {
  it('detects what an unnamed field holds', () => {
    expect(one('x1', 'jdoe@example.com', null)).toMatchObject({ by: 'value', category: 'direct-identifier', kind: 'email-address' });
    expect(one('x2', '2001:db8::1', null)).toMatchObject({ by: 'value', kind: 'ip' });
    expect(one('x3', '00-00-5E-00-53-33', null)).toMatchObject({ by: 'value', kind: 'mac' });
    expect(one('x4', 'S-1-5-21-1004336348-1177238915-682003330-1107', null)).toMatchObject({ by: 'value', kind: 'sid', category: 'direct-identifier' });
    expect(one('x5', 'CVE-2024-21413', null)).toMatchObject({ by: 'value', kind: 'cve', category: 'non-personal' });
    expect(one('x6', 'd75d9efdc21ce172849a7ce0ede6a4e1f0a2b3c4d5e6f708192a3b4c5d6e7f80', null)).toMatchObject({ by: 'value', kind: 'file-hash' });
    expect(one('x7', '+1 202-555-0143', null)).toMatchObject({ by: 'value', kind: 'phone' });
    expect(one('x8', 'https://www.example.org/a', null)).toMatchObject({ by: 'value', kind: 'url' });
    // a word no name explains is unknown, not non-personal; a number, a date or a code is evidence of nothing personal
    expect(one('x9', 'allowed', null)).toMatchObject({ by: 'none', kind: null, category: 'unknown' });
    expect(one('x10', '2024-05-17T09:21:45Z', null)).toMatchObject({ by: 'none', category: 'non-personal' });
    expect(one('x11', 'TCP_MISS', null)).toMatchObject({ by: 'none', category: 'non-personal' });
  });
  it('no detector matches the text of a number, so an unnamed number field has one result whatever its value', () => {
    const numbers = [0, -0, 1, -1, 7, 443, 65535, 1911, 10013079, 2 ** 31, 2 ** 53 - 1, -(2 ** 53), 1e21, 1.5e300, 5e-324,
      0.1, 3.14159, -2.5e-7, 192.168, 1767225600.005, Number.MAX_VALUE, Number.MIN_VALUE];
    for (let i = 0; i < 2000; i++) numbers.push(Math.floor(Math.random() * 10 ** (i % 22)) * (i % 3 ? 1 : -1), Math.random() * 10 ** ((i % 40) - 20));
    // a payment card's 13 to 19 digits are the one exception: numbers from 1e12 up go to the detectors
    for (const n of numbers) for (const d of DETECTORS) if (!(d === 'card' && n >= 1e12)) expect(testDetector(d, String(n)), `${d} on ${n}`).toBe(false);
    expect(one('x12', 4111111111111111, null)).toMatchObject({ by: 'value', category: 'financial' });
    // a name no alias, grammar or ending explains (`bytesTransferred` is a size now: a trailing participle
    // describes the word before it)
    const a = one('qzv', 10013079, 'network-sensor');
    expect(one('qzv', 17, 'network-sensor')).toBe(a);
    expect(one('qzv', true, 'network-sensor')).toBe(a);
    expect(a).toMatchObject({ by: 'none', kind: null, item: null, category: 'non-personal' });
    expect(one('qzv', '192.0.2.7', 'network-sensor')).toMatchObject({ by: 'value', category: 'online-identifier' });
    expect(one('bytesTransferred', 17, 'network-sensor')).toMatchObject({ by: 'name', category: 'non-personal' });
  });
  it('makes a command line or a URL carrying a credential a secret', () => {
    expect(one('CommandLine', 'net user pnatarajan N3wP@ss! /add', 'endpoint-inventory-enable-trend-vision-one-capabilities').category).toBe('secret');
    expect(one('cs-uri-query', '?login=pnatarajan&token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.x').category).toBe('secret');
    expect(one('uri_query', '?id=4412&lang=en').category).toBe('online-identifier');
    expect(one('url', 'ftp://backup:S3cr3tPass@files.example.com/db.tar').category).toBe('secret');
    expect(one('url', 'https://files.example.com/@team/db.tar').category).not.toBe('secret');
    expect(one('http_referrer', 'https://app.example.com/cb#access=Bearer abcdefghijklmnop').category).toBe('secret');
    expect(one('process', 'powershell.exe -enc SQBFAFgA', 'endpoint-inventory-enable-trend-vision-one-capabilities').category).toBe('content');
  });
  it('makes free text carrying an email, a SID or a user name a direct identifier', () => {
    expect(one('msg', 'User jdoe@example.com added to group', null).category).toBe('direct-identifier');
    expect(one('msg', 'AAA user authentication Successful : server = 192.0.2.5 : user = rbishop', null).category).toBe('direct-identifier');
    expect(one('reason', 'Unknown user name or bad password', null).category).toBe('non-personal');
    expect(one('msg', 'Password reset requested for d.w@example.com', null).category).toBe('direct-identifier');
  });
});

describe('explain', () => {
  it('says in words how a field got its classification', () => {
    expect(m.explain('src_ip', '198.51.100.23', SPLUNK)).toBe(
      `src_ip (module ${SPLUNK}): the name means field kind 'src-ip'; declared by ${SPLUNK} as 'Source IP address'; category online-identifier`);
    expect(m.explain('name', 'LT-ENG-0087', 'qualys')).toMatch(/the name is an alias of item 'Hostname' in qualys; declared by qualys as 'Hostname'/);
    expect(m.explain('homeDirectory', '\\\\fs01\\home$\\jdoe', SPLUNK)).toMatch(/undeclared in splunk-network-firewall-web-gateway-logs; declared by open-ldap/);
    expect(m.explain('x1', 'jdoe@example.com', null)).toMatch(/^x1 \(no module context\): the name says nothing; the value looks like 'email-address'; undeclared in this context; declared by [a-z, -]*email-sensor[a-z, -]*; category direct-identifier$/);
    expect(m.explain('x9', 'allowed', null)).toMatch(/neither the name nor the value says what it is/);
  });
});

describe('events', () => {
  it('flattens nested objects and arrays of objects to dotted paths; an array of scalars is one field', () => {
    const fields = m.classifyEvent({ properties: { ipAddress: '198.51.100.140', location: { city: 'Lisbon' } }, addresses: [{ ip: '192.0.2.1' }], endpointIp: ['192.0.2.142', '198.51.100.1'] }, 'microsoft-entra-id');
    expect(fields.map((f) => f.path)).toEqual(['properties.ipAddress', 'properties.location.city', 'addresses[0].ip', 'endpointIp']);
    expect(fields[0]).toMatchObject({ item: 'IP address', module: 'microsoft-entra-id' });
    expect(fields[1]).toMatchObject({ item: 'Location', category: 'location' });
  });
  it('answers events of one shape as field by field, whatever the module, value or key order of the one before (the walk memo and the last module slot)', () => {
    const mm = compileMatcher(loadCatalog());
    const ref = compileMatcher(loadCatalog());
    const users = ['CORP\\jdoe', 'jdoe@example.com', '', 'alice', 'bob@example.org'];
    const dests = ['198.51.100.7', 'shiptrack.example.net'];
    const mods = [SPLUNK, null, 'microsoft-entra-id', SPLUNK, SPLUNK, 'no-such-module'];
    for (let i = 0; i < 60; i++) {
      const ev: Record<string, unknown> = i % 7 === 3
        ? { dest: dests[i % 2], user: users[i % users.length], action: 'allowed', src_port: 51000 + i }
        : { action: 'allowed', user: users[i % users.length], dest: dests[i % 2], src_port: 51000 + i };
      const mod = mods[i % mods.length];
      const got = mm.classifyEvent(ev, mod);
      const want = Object.entries(ev).map(([k, v]) => ref.classifyField(k, v, mod));
      expect(JSON.stringify(got)).toBe(JSON.stringify(want));
    }
  });
  it('answers interleaved events of several sources in one module slot as field by field, past the key tree\'s bounds too (the walk memo)', () => {
    const mm = compileMatcher(loadCatalog());
    const ref = compileMatcher(loadCatalog());
    // FortiGate-, PAN-OS- and Blue Coat-like key sets: one slot (the web gateway module), keys shared and not, in several orders
    const traffic = ['action', 'app', 'src', 'src_ip', 'src_port', 'dest', 'dest_ip', 'dest_port', 'bytes_in', 'user'];
    const web = ['action', 'status', 'src', 'user', 'url', 'http_user_agent', 'dest', 'category'];
    const values: Record<string, unknown[]> = {
      action: ['allowed', 'blocked'], app: ['ssl'], src: ['192.0.2.7', 'lnx-1042'], src_ip: ['192.0.2.7'], src_port: [51000, '51001'],
      dest: ['198.51.100.7', 'shop.example.net'], dest_ip: ['198.51.100.9'], dest_port: [443], bytes_in: [1200], status: [200, 302],
      user: ['CORP\\jdoe', 'jdoe@example.com', ''], url: ['https://example.org/a?token=abcdef123456', 'https://example.org/b'],
      http_user_agent: ['Mozilla/5.0 (X11)'], category: ['Streaming Media'],
    };
    const shapes = [traffic, [...traffic].reverse(), [...traffic, 'src_translated_ip'], web, web.slice(2)];
    const mods = [SPLUNK, SPLUNK, SPLUNK, null, 'microsoft-entra-id'];
    const eventOf = (i: number): Record<string, unknown> => {
      const ev: Record<string, unknown> = {};
      // past SHAPE_FANOUT sources, then past SHAPE_NODES_MAX keys: names never seen again, some in the middle of a known shape
      if (i % 5 === 4) for (let k = 0; k < 12; k++) ev[`k${i}_${k}`] = k;
      for (const k of shapes[i % shapes.length]) {
        const vs = values[k] ?? ['198.51.100.1'];
        // now and then an object where a leaf was, and a leaf where it was not
        ev[k] = i % 11 === 5 && k === 'dest' ? { ip: '198.51.100.7', name: 'x' } : vs[i % vs.length];
      }
      if (i % 3 === 0) ev[`custom_${i % 40}`] = 'x';
      return ev;
    };
    const leaves = (v: unknown, path: string, mod: string | null): unknown[] =>
      v !== null && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => leaves(x, `${path}.${k}`, mod)) : [ref.classifyField(path, v, mod)];
    const n = Math.ceil((SHAPE_NODES_MAX * 2) / 12) * 5;
    const firstKeys = new Set<string>();
    let keys = 0;
    for (let i = 0; i < n; i++) {
      const ev = eventOf(i);
      firstKeys.add(Object.keys(ev)[0]);
      keys += Object.keys(ev).length;
      const mod = mods[Math.floor(i / 5) % mods.length];
      const want = Object.entries(ev).flatMap(([k, v]) => leaves(v, k, mod));
      expect(JSON.stringify(mm.classifyEvent(ev, mod)), `event ${i}`).toBe(JSON.stringify(want));
    }
    // the bounds were passed: more first keys than a node keeps, more keys than a tree keeps
    expect(firstKeys.size).toBeGreaterThan(SHAPE_FANOUT);
    expect(keys).toBeGreaterThan(SHAPE_NODES_MAX * 2);
  });
  it('splits key=value raw lines and classifies each pair', () => {
    const fields = m.classifyEvent('date=2024-05-17 time=09:21:45 srcip=198.51.100.63 srcport=51204 user="jdoe" hostname=shiptrack.example.net', SPLUNK);
    expect(fields.map((f) => [f.path, f.item])).toEqual([
      ['date', 'Event time'], ['time', 'Event time'], ['srcip', 'Source IP address'], ['srcport', null], ['user', 'Username'], ['hostname', 'Hostname'],
    ]);
  });
  it('reads CEF custom strings by their labels', () => {
    const cef = 'CEF:0|Vendor|FW|1.0|100|Blocked|5|src=198.51.100.23 cs1Label=Logged-in User cs1=jdoe cs2Label=Rule Name cs2=Allow-Web';
    const byPath = Object.fromEntries(m.classifyEvent(cef, SPLUNK).map((f) => [f.path, f]));
    expect(byPath.src.item).toBe('Source IP address');
    expect(byPath.cs1).toMatchObject({ item: 'Username', category: 'direct-identifier' });
    expect(byPath.cs2).toMatchObject({ item: null, category: 'non-personal' });
    const json = Object.fromEntries(m.classifyEvent({ cs1Label: 'Logged-in User', cs1: 'jdoe' }, SPLUNK).map((f) => [f.path, f]));
    expect(json.cs1.item).toBe('Username');
  });
  it('keeps one field for a plain text event', () => {
    expect(m.classifyEvent('something happened to jdoe@example.com', SPLUNK)).toEqual([expect.objectContaining({ path: '_raw', category: 'direct-identifier' })]);
  });
  it('walks __proto__ and constructor keys as data, without touching prototypes', () => {
    const ev = JSON.parse('{"__proto__":{"polluted":"yes","src_ip":"198.51.100.1"},"constructor":{"prototype":{"x":1}}}');
    const fields = m.classifyEvent(ev, SPLUNK);
    expect(fields.map((f) => f.path)).toEqual(['__proto__.polluted', '__proto__.src_ip', 'constructor.prototype.x']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('stops at a depth bound on deep nesting', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 500; i++) deep = { a: deep };
    const fields = m.classifyEvent(deep, SPLUNK);
    expect(fields.length).toBe(1);
  });
  it('returns shared results: the second time a path is seen costs a cache hit', () => {
    const a = m.classifyEvent({ src: '198.51.100.1', user: 'a' }, SPLUNK);
    const b = m.classifyEvent({ src: '198.51.100.2', user: 'b' }, SPLUNK);
    expect(b[0]).toBe(a[0]);
    expect(Object.isFrozen(a[0])).toBe(true);
  });
});

describe('the compiled matcher agrees with the naive reading of the rules', () => {
  const catalog = loadCatalog();
  const files = [new URL('../../../fixtures/shared/fields-visible.jsonl', import.meta.url).pathname, new URL('../../../fixtures/heldout-fields.jsonl', import.meta.url).pathname];
  for (const f of files) {
    it(`on every labeled field of ${f.split('/').pop()}, in its module and with no module`, () => {
      const recs = readLabeledFields(f);
      expect(recs.length).toBeGreaterThan(0);
      for (const r of recs) {
        const mod = r.modules.length > 0 ? m.resolveModule(r.modules[0])!.id : null;
        const v = exampleValue(r.example);
        for (const ctx of [mod, null]) {
          expect({ field: r.field, ctx, ...m.classifyField(r.field, v, ctx) }).toEqual({ field: r.field, ctx, ...naiveClassifyField(catalog, r.field, v, ctx) });
        }
      }
    });
  }
});

describe('the compiled matcher agrees with the naive reading on real events', () => {
  it('on every leaf of the realdata JSON events, in their module and with no module', () => {
    const catalog = loadCatalog();
    const file = new URL('../../../fixtures/shared/realdata/events.jsonl', import.meta.url).pathname;
    const events = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { module: string; event: unknown });
    let n = 0;
    for (const e of events) {
      if (typeof e.event !== 'object' || e.event === null) continue;
      for (const f of m.classifyEvent(e.event, e.module)) {
        const v = f.path.split('.').reduce<unknown>((o, k) => {
          const mm = /^(.*?)((?:\[\d+\])*)$/.exec(k)!;
          let x = (o as Record<string, unknown>)[mm[1]];
          for (const i of mm[2].matchAll(/\[(\d+)\]/g)) x = (x as unknown[])[Number(i[1])];
          return x;
        }, e.event);
        for (const ctx of [e.module, null]) {
          n++;
          expect({ ctx, ...m.classifyField(f.path, v, ctx) }).toEqual({ ctx, ...naiveClassifyField(catalog, f.path, v, ctx) });
        }
      }
    }
    expect(n).toBeGreaterThan(50);
  });
});

describe('the catalog at load', () => {
  const write = (cat: unknown) => {
    const dir = mkdtempSync(join(tmpdir(), 'cat-'));
    const p = join(dir, 'catalog.json');
    writeFileSync(p, JSON.stringify(cat));
    return p;
  };
  const base = (): CatalogDef => JSON.parse(JSON.stringify(loadCatalog()));
  it('rejects a catalog that breaks the schema, naming the path', () => {
    const c = base() as unknown as { modules: Array<{ items: Array<{ category: string }> }> };
    c.modules[3].items[0].category = 'very-personal';
    expect(() => loadCatalog(write(c))).toThrow(/\/modules\/3\/items\/0\/category: must be equal to one of the allowed values/);
  });
  it('rejects an alias claimed by two kinds, and an unknown kind', () => {
    const c = base();
    c.fieldKinds['dest-ip'].aliases.push('SRC_IP');
    c.modules[0].items[0].kinds.push('no-such-kind');
    expect(() => loadCatalog(write(c))).toThrow(/alias 'SRC_IP' already belongs to kind 'src-ip'[\s\S]*unknown kind 'no-such-kind'/);
  });
  it('names unreadable files clearly', () => {
    expect(() => loadCatalog('/nonexistent/catalog.json')).toThrow(/cannot be read/);
  });
  it('compiles a catalog ten times larger with the same answers', () => {
    const c = base();
    const extra = JSON.parse(JSON.stringify(c.modules)) as CatalogDef['modules'];
    for (let k = 1; k < 10; k++) {
      for (const mod of extra) c.modules.push({ ...mod, id: `${mod.id}-copy${k}`, name: `${mod.name} copy ${k}`, aliases: [], sourcetypes: [] });
    }
    const big = compileMatcher(c);
    expect(big.classifyField('src_ip', '198.51.100.1', SPLUNK)).toEqual(one('src_ip', '198.51.100.1'));
  });
});
