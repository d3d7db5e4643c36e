/**
 * npm run bench [-- --json] [-- --time MS]
 *
 * The classifier's hot path over one 100-event batch of realistic 12-field firewall events (the load
 * generator's firewall profile, seed 1, projected on 12 CIM fields), each row against a baseline measured in
 * the same run: goals are ratios, never absolute times (2 noisy cores).
 *   parse-baseline   JSON.parse of each envelope, nothing else (the least any HEC server does)
 *   hot-path         parse + classify + filter
 *   classify-filter  classify + filter of events already parsed
 *   key-lookup       the floor of any per-field classifier: one Map lookup per raw key, nothing else
 *   naive            the hand-written alternative: every alias of the catalog tested in turn, per field
 *   hot-path-10x     hot-path with the catalog grown ten-fold by synthetic modules, kinds and aliases
 *   unknown-heavy    hot-path over the same batch with every key renamed to one no name explains (`k01`…`k12`), so
 *                    the value detectors run on every value (compare with hot-path)
 * Each row gives events/s by wall time (tinybench) and per CPU second of the process over the measured run: on
 * a shared machine the first counts the time other processes hold the core, the second does not.
 *   raw-hot-path     a 100-line raw batch (PAN-OS CSV, Cisco ASA, key=value, CEF, LEEF mixed, behind syslog
 *                    headers): split each line into fields (src/pipeline/parse/formats) + classify + filter
 */
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { compileMatcher, loadCatalog, type Matcher } from '../src/pipeline/classify/index.ts';
import { naiveClassifyField } from '../src/pipeline/classify/naive.ts';
import type { CatalogDef, FieldClass } from '../src/pipeline/classify/types.ts';
import { applyPolicy, compilePolicy, type Policy } from '../src/pipeline/filter/index.ts';
import { buildBatch, makeGenerator } from '../src/tools/gen/index.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, time: { type: 'string', default: '1500' } } });
const TIME_MS = Number(values.time);
const BATCH = 100;
const FIELDS = ['action', 'app', 'src_ip', 'src_port', 'dest', 'dest_ip', 'dest_port', 'user', 'bytes_in', 'bytes_out', 'transport', 'rule'] as const;
const SPLUNK = 'splunk-network-firewall-web-gateway-logs';

// ---- the batch: newline-separated HEC envelopes, as a Splunk app sends them ----
// (the generator leaves out a field now and then, as real logs do: keep the events that carry all twelve)
const gen = makeGenerator('firewall', 1);
const lines: string[] = [];
for (const l of buildBatch(gen, BATCH * 4).toString('utf8').split('\n')) {
  const env = JSON.parse(l) as { event: Record<string, unknown> };
  const event: Record<string, unknown> = {};
  for (const f of FIELDS) if (f in env.event) event[f] = env.event[f];
  if (Object.keys(event).length === FIELDS.length && lines.length < BATCH) lines.push(JSON.stringify({ ...env, event }));
}
if (lines.length < BATCH) throw new Error(`the firewall generator gave only ${lines.length} events with all of ${FIELDS.join(',')}`);
const batchText = lines.join('\n');
// the same values under names that say nothing: what the value detectors cost
const unknownText = lines.map((l) => {
  const env = JSON.parse(l) as { event: Record<string, unknown> };
  const event: Record<string, unknown> = {};
  FIELDS.forEach((f, i) => { event[`k${String(i + 1).padStart(2, '0')}`] = env.event[f]; });
  return JSON.stringify({ ...env, event });
}).join('\n');
const parsed = lines.map((l) => (JSON.parse(l) as { event: unknown }).event);

// ---- the raw batch: 100 lines of five real formats (shapes from the vendors' documented samples), values varied ----
const RAW_TEMPLATES: ((i: number, ip: string, user: string) => string)[] = [
  (i, ip, user) => `<14>Apr 14 16:54:18 pa-fw01 1,2024/04/14 16:54:18,012501002341,TRAFFIC,end,2561,2024/04/14 16:54:17,${ip},203.0.113.${i % 250},0.0.0.0,0.0.0.0,allow-web,corp\\${user},,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd,2024/04/14 16:54:17,${7000 + i},1,${49000 + i},443,0,0,0x400019,tcp,allow,7312,2228,5084,22,2024/04/14 16:53:52,16,business-and-economy,,7253419119627${i},0x8000000000000000,10.0.0.0-10.255.255.255,Japan,,12,10,tcp-rst-from-client,0,0,0,0,,pa-fw01,from-policy,,,0,,0,,N/A,0,0,0,0`,
  (i, ip, user) => `<166>Jan 18 11:07:53 asa-01 : %ASA-6-302013: Built inbound TCP connection ${2234066 + i} for outside:${ip}/${50000 + i} (${ip}/${50000 + i})(LOCAL\\${user}) to inside:10.96.105.${i % 250}/443 (198.51.100.7/443)`,
  (i, ip, user) => `<134>device="SFW" date=2024-04-25 time=15:27:08 log_type="Content Filtering" user_name="${user}" src_ip=${ip} dst_ip=216.239.38.${i % 250} src_port=${58000 + i} dst_port=443 url="https://www.example.com/p/${i}" domain=www.example.com sent_bytes=591 recv_bytes=4428`,
  (i, ip, user) => `<134>Jan 18 11:07:53 cef-host CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=${ip} dst=2.1.2.${i % 250} spt=${1232 + i} dpt=443 suser=${user} request=https://example.com/a?q=${i} cs1Label=policy cs1=default act=blocked msg=Detected a threat. No action needed`,
  (i, ip, user) => `<111>1 2024-01-18T11:07:53+00:00 leef-host LEEF:2.0|Vendor|Product|Version|EventID|^|src=${ip}^dst=172.50.123.${i % 250}^sev=5^cat=anomaly^srcPort=${81 + i}^dstPort=21^usrName=${user}`,
];
const USERS = ['alice', 'bob.smith', 'pnatarajan', 'j.doe', 'svc_backup'];
const rawLines: string[] = [];
for (let i = 0; i < BATCH; i++) rawLines.push(RAW_TEMPLATES[i % RAW_TEMPLATES.length](i, `198.51.100.${(i * 7) % 250}`, USERS[i % USERS.length]));

// ---- the catalog grown ten-fold ----
function grow(cat: CatalogDef, times: number): CatalogDef {
  const big: CatalogDef = JSON.parse(JSON.stringify(cat));
  for (let k = 1; k < times; k++) {
    for (const [id, def] of Object.entries(cat.fieldKinds)) {
      big.fieldKinds[`${id}-syn${k}`] = { ...def, aliases: def.aliases.map((a) => `${a}_syn${k}`), suffixes: [], detectors: [], refine: [] };
    }
    for (const { relations: _relations, ...m } of cat.modules) {
      // relations name real modules, settings and sourcetypes: the synthetic copies have none
      big.modules.push({
        ...m, id: `${m.id}-syn${k}`, name: `${m.name} (synthetic ${k})`, aliases: [], sourcetypes: [],
        items: m.items.map((it) => ({ ...it, kinds: it.kinds.map((x) => `${x}-syn${k}`), aliases: it.aliases.map((a) => `${a}_syn${k}`) })),
      });
    }
  }
  return big;
}

const catalog = loadCatalog();
const matcher = compileMatcher(catalog);
const big = grow(catalog, 10);
const matcher10 = compileMatcher(big);
const policy = compilePolicy(matcher, { uploadPermission: { 'Microsoft Entra ID': false } });
const policy10 = compilePolicy(matcher10, { uploadPermission: { 'Microsoft Entra ID': false } });

let sink = 0;
const keyCache = new Map<string, FieldClass>();
for (const ev of parsed) for (const f of matcher.classifyEvent(ev, SPLUNK)) keyCache.set(f.path, f);
function hotPath(m: Matcher, p: Policy, text = batchText): void {
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const line = nl === -1 ? text.slice(start) : text.slice(start, nl);
    const env = JSON.parse(line) as { event: unknown };
    const r = applyPolicy(p, env.event, m.classifyEvent(env.event, SPLUNK));
    sink += r.fields.length;
    if (nl === -1) break;
    start = nl + 1;
  }
}

// Each row's CPU time over its measured run (process.cpuUsage around the run phase), beside tinybench's wall
// time: on a shared machine the wall figure includes the time other processes hold the core, the CPU one not.
const cpu = new Map<string, { calls: number; us: number }>();
function timed(name: string, fn: () => void): [string, () => void, { beforeAll: (mode?: string) => void; afterAll: (mode?: string) => void }] {
  const c = { calls: 0, us: 0 };
  cpu.set(name, c);
  let u0: NodeJS.CpuUsage | null = null;
  let calls0 = 0;
  return [name, () => { c.calls++; fn(); }, {
    beforeAll: (mode) => { if (mode !== 'warmup') { u0 = process.cpuUsage(); calls0 = c.calls; } },
    afterAll: (mode) => {
      if (mode === 'warmup' || u0 === null) return;
      const d = process.cpuUsage(u0);
      c.us = d.user + d.system;
      c.calls -= calls0;
    },
  }];
}

const bench = new Bench({ time: TIME_MS, warmup: true, warmupTime: 300 });
const rowsToAdd: Array<[string, () => void]> = [];
rowsToAdd.push(['parse-baseline', () => {
    let start = 0;
    for (;;) {
      const nl = batchText.indexOf('\n', start);
      const env = JSON.parse(nl === -1 ? batchText.slice(start) : batchText.slice(start, nl)) as { event: unknown };
      sink += env.event === null ? 0 : 1;
      if (nl === -1) break;
      start = nl + 1;
    }
}]);
rowsToAdd.push(['hot-path', () => hotPath(matcher, policy)]);
rowsToAdd.push(['classify-filter', () => {
    for (const ev of parsed) sink += applyPolicy(policy, ev, matcher.classifyEvent(ev, SPLUNK)).fields.length;
}]);
rowsToAdd.push(['key-lookup', () => {
    for (const ev of parsed) {
      const out: unknown[] = [];
      for (const k in ev as Record<string, unknown>) out.push(keyCache.get(k));
      sink += out.length;
    }
}]);
rowsToAdd.push(['naive', () => {
    for (const ev of parsed) {
      const fields: FieldClass[] = [];
      for (const [k, v] of Object.entries(ev as Record<string, unknown>)) fields.push(naiveClassifyField(catalog, k, v, SPLUNK));
      sink += fields.filter((f) => f.module === null || policy.isUploadAllowed(f.module)).length;
    }
}]);
rowsToAdd.push(['hot-path-10x', () => hotPath(matcher10, policy10)]);
rowsToAdd.push(['unknown-heavy', () => hotPath(matcher, policy, unknownText)]);
rowsToAdd.push(['raw-hot-path', () => {
    for (const line of rawLines) sink += applyPolicy(policy, line, matcher.classifyEvent(line, SPLUNK)).fields.length;
}]);
for (const [name, fn] of rowsToAdd) bench.add(...timed(name, fn));

// every raw line must split into fields before the row means anything
for (const line of rawLines) {
  const f = matcher.classifyEvent(line, SPLUNK);
  if (f.length < 5 || f.some((x) => x.path === '_raw')) throw new Error(`the raw batch line was not split: ${line}`);
}

// the two matchers must answer alike on the batches before anything is timed
for (const ev of [...parsed, ...unknownText.split('\n').map((l) => (JSON.parse(l) as { event: unknown }).event)]) {
  const a = matcher.classifyEvent(ev, SPLUNK);
  const b = Object.entries(ev as Record<string, unknown>).map(([k, v]) => naiveClassifyField(catalog, k, v, SPLUNK));
  const c = matcher10.classifyEvent(ev, SPLUNK);
  if (JSON.stringify(a) !== JSON.stringify(b) || JSON.stringify(a) !== JSON.stringify(c)) {
    throw new Error(`matchers disagree on ${JSON.stringify(ev)}`);
  }
}

await bench.run();

interface Row { name: string; opsPerSec: number; eventsPerSec: number; cpuEventsPerSec: number; meanNs: number; p99Ns: number; samples: number }
const rows: Row[] = bench.tasks.map((t) => {
  const r = t.result;
  if (r.state !== 'completed') throw new Error(`${t.name}: ${r.state}${'error' in r ? `: ${String(r.error)}` : ''}`);
  return {
    name: t.name,
    opsPerSec: r.throughput.mean,
    eventsPerSec: r.throughput.mean * BATCH,
    cpuEventsPerSec: ((c) => (c.us > 0 ? (c.calls * BATCH) / (c.us / 1e6) : NaN))(cpu.get(t.name)!),
    meanNs: r.latency.mean * 1e6,
    p99Ns: r.latency.p99 * 1e6,
    samples: r.latency.samplesCount,
  };
});
const by = (n: string) => rows.find((r) => r.name === n)!;
const goals = [
  { goal: 'hot-path >= 0.67 x parse-baseline (events/s)', ratio: by('hot-path').eventsPerSec / by('parse-baseline').eventsPerSec, min: 0.67 },
  { goal: 'the same per CPU second (shared machine)', ratio: by('hot-path').cpuEventsPerSec / by('parse-baseline').cpuEventsPerSec, min: 0.67 },
  { goal: 'classify-filter >= 3,000,000 events/s', ratio: by('classify-filter').eventsPerSec / 3e6, min: 1 },
  { goal: 'the same per CPU second (shared machine)', ratio: by('classify-filter').cpuEventsPerSec / 3e6, min: 1 },
  { goal: 'classify-filter >= 1/3 x key-lookup (3M of ~9M)', ratio: by('classify-filter').eventsPerSec / by('key-lookup').eventsPerSec, min: 1 / 3 },
  { goal: 'hot-path-10x within 20% of hot-path', ratio: by('hot-path-10x').eventsPerSec / by('hot-path').eventsPerSec, min: 0.8 },
  { goal: 'unknown-heavy vs hot-path (detectors on every value)', ratio: by('unknown-heavy').eventsPerSec / by('hot-path').eventsPerSec, min: 0 },
  { goal: 'compiled classify-filter vs naive (speed-up)', ratio: by('classify-filter').eventsPerSec / by('naive').eventsPerSec, min: 1 },
];
// reported, no goal set by the issue: the raw batch against the JSON hot path
const info = [{ what: 'raw-hot-path / hot-path (events/s)', ratio: by('raw-hot-path').eventsPerSec / by('hot-path').eventsPerSec }];

if (values.json) {
  process.stdout.write(`${JSON.stringify(rows)}\n`);
} else {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  process.stdout.write(`one batch = ${BATCH} firewall events x ${FIELDS.length} fields; node ${process.version}; ${TIME_MS} ms per row\n\n`);
  process.stdout.write(`${'name'.padEnd(16)} ${'batches/s'.padStart(12)} ${'events/s'.padStart(14)} ${'per CPU s'.padStart(14)} ${'mean ns'.padStart(12)} ${'p99 ns'.padStart(12)} ${'samples'.padStart(8)}\n`);
  for (const r of rows) {
    process.stdout.write(`${r.name.padEnd(16)} ${fmt(r.opsPerSec).padStart(12)} ${fmt(r.eventsPerSec).padStart(14)} ${fmt(r.cpuEventsPerSec).padStart(14)} ${fmt(r.meanNs).padStart(12)} ${fmt(r.p99Ns).padStart(12)} ${String(r.samples).padStart(8)}\n`);
  }
  process.stdout.write('\n');
  for (const g of goals) process.stdout.write(`${g.goal.padEnd(48)} ratio ${g.ratio.toFixed(2).padStart(7)}  ${g.min === 0 ? 'reported' : g.ratio >= g.min ? 'met' : 'NOT MET'}\n`);
  for (const x of info) process.stdout.write(`${x.what.padEnd(48)} ratio ${x.ratio.toFixed(2).padStart(7)}\n`);
}
if (sink === -1) process.stdout.write('');
