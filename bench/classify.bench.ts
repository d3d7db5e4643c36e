/**
 * npm run bench [-- --json] [-- --time MS] [-- --rounds N] [-- --in-process]
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
 *   raw-hot-path     a 100-line raw batch (PAN-OS CSV, Cisco ASA, key=value, CEF, LEEF mixed, behind syslog
 *                    headers): split each line into fields (src/pipeline/parse/formats) + classify + filter
 * Each row gives events/s by wall time (tinybench) and per CPU second of the process over the measured run: on
 * a shared machine the first counts the time other processes hold the core, the second does not.
 *
 * How a row is measured: each row runs in a fresh process of its own (this script with `--row NAME`), which
 * compiles only the matcher that row uses, as a service thread holds one matcher. In one process the matchers'
 * functions are the same closures' code (compileMatcher's inner functions share one feedback vector across
 * calls), so whichever row ran first decided what V8 optimised for the others: the ten-fold row swung from 0.74
 * to 1.11 × hot-path between runs. The rows take turns over `--rounds` rounds (default 3), the order rotated
 * and reversed every other round, so a change in the machine's load favours no row; a row's figure is the
 * median of its rounds, a ratio the median of the per-round ratios (rows of one round are measured minutes
 * apart at most), printed with their ranges. `--in-process` measures every row in this one process instead, in
 * order (the old way, kept to show the effect).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { compileMatcher, loadCatalog, type Matcher } from '../src/pipeline/classify/index.ts';
import { naiveClassifyField } from '../src/pipeline/classify/naive.ts';
import type { CatalogDef, Classification } from '../src/pipeline/classify/types.ts';
import { applyPolicy, compilePolicy, type Policy } from '../src/pipeline/filter/index.ts';
import { buildBatch, makeGenerator } from '../src/tools/gen/index.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean' }, time: { type: 'string', default: '1500' }, rounds: { type: 'string', default: '3' },
    row: { type: 'string' }, 'in-process': { type: 'boolean' },
  },
});
const TIME_MS = Number(values.time);
const ROUNDS = Math.max(1, Number(values.rounds));
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

const ROW_NAMES = ['parse-baseline', 'hot-path', 'classify-filter', 'key-lookup', 'naive', 'hot-path-10x', 'unknown-heavy', 'raw-hot-path'] as const;
type RowName = (typeof ROW_NAMES)[number];

const catalog = loadCatalog();
// compiled when first used: a row's process holds only the matcher it measures (hot-path-10x: the ten-fold one only)
let one: { matcher: Matcher; policy: Policy } | undefined;
let ten: { matcher: Matcher; policy: Policy } | undefined;
function compiled(): { matcher: Matcher; policy: Policy } {
  if (one === undefined) {
    const matcher = compileMatcher(catalog);
    one = { matcher, policy: compilePolicy(matcher, { uploadPermission: { 'Microsoft Entra ID': false } }) };
  }
  return one;
}
function compiled10(): { matcher: Matcher; policy: Policy } {
  if (ten === undefined) {
    const matcher = compileMatcher(grow(catalog, 10));
    ten = { matcher, policy: compilePolicy(matcher, { uploadPermission: { 'Microsoft Entra ID': false } }) };
  }
  return ten;
}

let sink = 0;
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

/** The function a row times (one call: one batch), with what it needs made before. */
function rowFn(name: RowName): () => void {
  switch (name) {
    case 'parse-baseline':
      return () => {
        let start = 0;
        for (;;) {
          const nl = batchText.indexOf('\n', start);
          const env = JSON.parse(nl === -1 ? batchText.slice(start) : batchText.slice(start, nl)) as { event: unknown };
          sink += env.event === null ? 0 : 1;
          if (nl === -1) break;
          start = nl + 1;
        }
      };
    case 'hot-path': {
      const { matcher, policy } = compiled();
      return () => hotPath(matcher, policy);
    }
    case 'classify-filter': {
      const { matcher, policy } = compiled();
      return () => {
        for (const ev of parsed) sink += applyPolicy(policy, ev, matcher.classifyEvent(ev, SPLUNK)).fields.length;
      };
    }
    case 'key-lookup': {
      const keyCache = new Map<string, Classification>();
      for (const ev of parsed) for (const f of compiled().matcher.classifyEvent(ev, SPLUNK)) keyCache.set(f.path, f);
      return () => {
        for (const ev of parsed) {
          const out: unknown[] = [];
          for (const k in ev as Record<string, unknown>) out.push(keyCache.get(k));
          sink += out.length;
        }
      };
    }
    case 'naive': {
      const { policy } = compiled();
      return () => {
        for (const ev of parsed) {
          const fields: Classification[] = [];
          for (const [k, v] of Object.entries(ev as Record<string, unknown>)) fields.push(naiveClassifyField(catalog, k, v, SPLUNK));
          sink += fields.filter((f) => f.module === null || policy.isUploadAllowed(f.module)).length;
        }
      };
    }
    case 'hot-path-10x': {
      const { matcher, policy } = compiled10();
      return () => hotPath(matcher, policy);
    }
    case 'unknown-heavy': {
      const { matcher, policy } = compiled();
      return () => hotPath(matcher, policy, unknownText);
    }
    case 'raw-hot-path': {
      const { matcher, policy } = compiled();
      return () => {
        for (const line of rawLines) sink += applyPolicy(policy, line, matcher.classifyEvent(line, SPLUNK)).fields.length;
      };
    }
  }
}

interface Row { name: string; opsPerSec: number; eventsPerSec: number; cpuEventsPerSec: number; meanNs: number; p99Ns: number; samples: number }

/**
 * Times rows in this process with tinybench, one after another; each row's CPU time over its measured run
 * (process.cpuUsage around the run phase) beside tinybench's wall time: on a shared machine the wall figure
 * includes the time other processes hold the core, the CPU one not.
 */
async function measure(names: readonly RowName[]): Promise<Row[]> {
  const cpu = new Map<string, { calls: number; us: number }>();
  // the naive reference takes ~0.2-0.4 s a batch: a few calls say enough (tinybench's default minimum is 64 plus 16 warm-up)
  const slow = names.length === 1 && names[0] === 'naive';
  const bench = new Bench({ time: TIME_MS, warmup: true, warmupTime: 300, ...(slow ? { iterations: 4, warmupIterations: 1 } : {}) });
  for (const name of names) {
    const fn = rowFn(name);
    const c = { calls: 0, us: 0 };
    cpu.set(name, c);
    let u0: NodeJS.CpuUsage | null = null;
    let calls0 = 0;
    bench.add(name, () => { c.calls++; fn(); }, {
      beforeAll: (mode?: string) => { if (mode !== 'warmup') { u0 = process.cpuUsage(); calls0 = c.calls; } },
      afterAll: (mode?: string) => {
        if (mode === 'warmup' || u0 === null) return;
        const d = process.cpuUsage(u0);
        c.us = d.user + d.system;
        c.calls -= calls0;
      },
    });
  }
  await bench.run();
  return bench.tasks.map((t) => {
    const r = t.result;
    if (r.state !== 'completed') throw new Error(`${t.name}: ${r.state}${'error' in r ? `: ${String(r.error)}` : ''}`);
    const c = cpu.get(t.name)!;
    return {
      name: t.name,
      opsPerSec: r.throughput.mean,
      eventsPerSec: r.throughput.mean * BATCH,
      cpuEventsPerSec: c.us > 0 ? (c.calls * BATCH) / (c.us / 1e6) : NaN,
      meanNs: r.latency.mean * 1e6,
      p99Ns: r.latency.p99 * 1e6,
      samples: r.latency.samplesCount,
    };
  });
}

if (values.row !== undefined) {
  // a child: one row, its figures as one JSON line
  const name = values.row as RowName;
  if (!(ROW_NAMES as readonly string[]).includes(name)) throw new Error(`no row '${name}' (rows: ${ROW_NAMES.join(', ')})`);
  const [row] = await measure([name]);
  process.stdout.write(`${JSON.stringify(row)}\n`);
  if (sink === -1) process.stdout.write('');
  process.exit(0);
}

// every raw line must split into fields before the row means anything
for (const line of rawLines) {
  const f = compiled().matcher.classifyEvent(line, SPLUNK);
  if (f.length < 5 || f.some((x) => x.path === '_raw')) throw new Error(`the raw batch line was not split: ${line}`);
}

// the three matchers must answer alike on the batches before anything is timed
for (const ev of [...parsed, ...unknownText.split('\n').map((l) => (JSON.parse(l) as { event: unknown }).event)]) {
  const a = compiled().matcher.classifyEvent(ev, SPLUNK);
  const b = Object.entries(ev as Record<string, unknown>).map(([k, v]) => naiveClassifyField(catalog, k, v, SPLUNK));
  const c = compiled10().matcher.classifyEvent(ev, SPLUNK);
  if (JSON.stringify(a) !== JSON.stringify(b) || JSON.stringify(a) !== JSON.stringify(c)) {
    throw new Error(`matchers disagree on ${JSON.stringify(ev)}`);
  }
}

/** Each row's figures, one per round (a round: every row once). */
const perRound: Row[][] = [];
const inProcess = values['in-process'] === true;
if (inProcess) {
  perRound.push(await measure(ROW_NAMES));
} else {
  const self = fileURLToPath(import.meta.url);
  for (let r = 0; r < ROUNDS; r++) {
    // rotated each round, and reversed every other one: no row always goes first, last or after the same one
    const order = ROW_NAMES.map((_, i) => ROW_NAMES[(i + r) % ROW_NAMES.length]);
    if (r % 2 === 1) order.reverse();
    const round = new Map<string, Row>();
    for (const name of order) {
      const child = spawnSync(process.execPath, [...process.execArgv, self, '--row', name, '--time', String(TIME_MS)], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (child.status !== 0) throw new Error(`row ${name}: exit ${child.status ?? child.signal}: ${child.stderr}`);
      round.set(name, JSON.parse(child.stdout.trim().split('\n').pop()!) as Row);
    }
    perRound.push(ROW_NAMES.map((n) => round.get(n)!));
    if (!values.json) process.stderr.write(`round ${r + 1} of ${ROUNDS} done\n`);
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const range = (xs: readonly number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];
interface Summary extends Row { rounds: number; eventsPerSecRange: [number, number]; cpuEventsPerSecRange: [number, number] }
const rows: Summary[] = ROW_NAMES.map((name, i) => {
  const rs = perRound.map((round) => round[i]);
  const pick = (f: (r: Row) => number) => median(rs.map(f));
  return {
    name, opsPerSec: pick((r) => r.opsPerSec), eventsPerSec: pick((r) => r.eventsPerSec), cpuEventsPerSec: pick((r) => r.cpuEventsPerSec),
    meanNs: pick((r) => r.meanNs), p99Ns: pick((r) => r.p99Ns), samples: pick((r) => r.samples), rounds: rs.length,
    eventsPerSecRange: range(rs.map((r) => r.eventsPerSec)), cpuEventsPerSecRange: range(rs.map((r) => r.cpuEventsPerSec)),
  };
});
/** A ratio of two rows' figures, per round: its median and range. */
function ratio(a: RowName, b: RowName | number, f: (r: Row) => number = (r) => r.eventsPerSec): { ratio: number; range: [number, number] } {
  const ia = ROW_NAMES.indexOf(a);
  const ib = typeof b === 'number' ? -1 : ROW_NAMES.indexOf(b);
  const xs = perRound.map((round) => f(round[ia]) / (ib === -1 ? (b as number) : f(round[ib])));
  return { ratio: median(xs), range: range(xs) };
}
const cpuOf = (r: Row) => r.cpuEventsPerSec;
const goals = [
  { goal: 'hot-path >= 0.67 x parse-baseline (events/s)', ...ratio('hot-path', 'parse-baseline'), min: 0.67 },
  { goal: 'the same per CPU second (shared machine)', ...ratio('hot-path', 'parse-baseline', cpuOf), min: 0.67 },
  { goal: 'classify-filter >= 3,000,000 events/s', ...ratio('classify-filter', 3e6), min: 1 },
  { goal: 'the same per CPU second (shared machine)', ...ratio('classify-filter', 3e6, cpuOf), min: 1 },
  { goal: 'classify-filter >= 1/3 x key-lookup (3M of ~9M)', ...ratio('classify-filter', 'key-lookup'), min: 1 / 3 },
  { goal: 'hot-path-10x within 20% of hot-path', ...ratio('hot-path-10x', 'hot-path'), min: 0.8 },
  { goal: 'the same per CPU second (shared machine)', ...ratio('hot-path-10x', 'hot-path', cpuOf), min: 0.8 },
  { goal: 'unknown-heavy vs hot-path (detectors on every value)', ...ratio('unknown-heavy', 'hot-path'), min: 0 },
  { goal: 'compiled classify-filter vs naive (speed-up)', ...ratio('classify-filter', 'naive'), min: 1 },
];
// reported, no goal set by the issue: the raw batch against the JSON hot path
const info = [{ what: 'raw-hot-path / hot-path (events/s)', ...ratio('raw-hot-path', 'hot-path') }];

if (values.json) {
  process.stdout.write(`${JSON.stringify(rows)}\n`);
} else {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const k = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}k`);
  const how = inProcess ? 'every row in this process, in order' : `each row in a fresh process, ${perRound.length} rounds, medians`;
  process.stdout.write(`one batch = ${BATCH} firewall events x ${FIELDS.length} fields; node ${process.version}; ${TIME_MS} ms per row; ${how}\n\n`);
  process.stdout.write(`${'name'.padEnd(16)} ${'batches/s'.padStart(10)} ${'events/s'.padStart(11)} ${'(range)'.padStart(13)} ${'per CPU s'.padStart(11)} ${'(range)'.padStart(13)} ${'mean ns'.padStart(11)} ${'p99 ns'.padStart(11)}\n`);
  for (const r of rows) {
    process.stdout.write(`${r.name.padEnd(16)} ${fmt(r.opsPerSec).padStart(10)} ${fmt(r.eventsPerSec).padStart(11)} ${`${k(r.eventsPerSecRange[0])}-${k(r.eventsPerSecRange[1])}`.padStart(13)} ${fmt(r.cpuEventsPerSec).padStart(11)} ${`${k(r.cpuEventsPerSecRange[0])}-${k(r.cpuEventsPerSecRange[1])}`.padStart(13)} ${fmt(r.meanNs).padStart(11)} ${fmt(r.p99Ns).padStart(11)}\n`);
  }
  process.stdout.write('\n');
  const rg = (x: [number, number]) => (perRound.length > 1 ? `  (${x[0].toFixed(2)}-${x[1].toFixed(2)})` : '');
  for (const g of goals) process.stdout.write(`${g.goal.padEnd(52)} ratio ${g.ratio.toFixed(2).padStart(7)}  ${g.min === 0 ? 'reported' : g.ratio >= g.min ? 'met' : 'NOT MET'}${rg(g.range)}\n`);
  for (const x of info) process.stdout.write(`${x.what.padEnd(52)} ratio ${x.ratio.toFixed(2).padStart(7)}${rg(x.range)}\n`);
}
if (sink === -1) process.stdout.write('');
