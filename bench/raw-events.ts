/**
 * node --import tsx bench/raw-events.ts [--time MS]
 *
 * What Splunk-style event breaking costs a /raw body, against a baseline measured in the same run (2 noisy
 * cores: only the ratios count). Bodies of 2000 lines, timestamps an hour old:
 *   lines            splitRawLines: one event per line, no time (what /raw did before)
 *   syslog           rawEvents with [syslog]: one event per line, time and host from the header
 *   log4j            rawEvents with [log4j]: 400 stack traces of 4 lines + 400 single lines
 *   log4j-default    the same body through [default] (BREAK_ONLY_BEFORE_DATE: a timestamp search per line)
 * and each with toRecord (the catalog's classifier and filter), the whole per-event work of the stage.
 * Rates are in input lines per second (every body has 2000), so a row and its baseline read the same text.
 */
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { defaultClassifier } from '../src/pipeline/ingest/classifier.ts';
import { rawEnvelope, toRecord, type RecordContext } from '../src/pipeline/ingest/pipeline.ts';
import { RawRules } from '../src/pipeline/parse/linebreak.ts';
import { rawEvents, splitRawLines } from '../src/pipeline/parse/raw.ts';

const { values } = parseArgs({ options: { time: { type: 'string', default: '1500' } } });
const now = Date.now();
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const d = new Date(now - 3_600_000);
const p2 = (n: number) => String(n).padStart(2, '0');
const syslog = Array.from({ length: 2000 }, (_, i) =>
  `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(i % 60)}:00 host${i % 7} sshd[${i}]: Accepted publickey for user${i % 13} from 198.51.100.${i % 250} port ${1000 + i} ssh2`).join('\n');
const iso = d.toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
const log4j = Array.from({ length: 400 }, (_, i) => [
  `${iso} ERROR [main] com.acme.App - request ${i} failed`,
  'java.lang.IllegalStateException: connection reset',
  '\tat com.acme.Db.query(Db.java:42)',
  '\tat com.acme.App.main(App.java:7)',
  `${iso} INFO [main] com.acme.App - retried ${i}`,
].join('\n')).join('\n');

const rules = new RawRules();
const c = defaultClassifier();
const ctx: RecordContext = {
  receivedAt: now, tenant: 't', tokenModule: null, endpoint: 'raw', defaults: { host: 'h', source: 's', sourcetype: 'syslog', index: 'main' },
  rules, matcher: c.matcher, policy: c.compilePolicy(c.matcher, { undeclared: 'flag' }), apply: c.applyPolicy,
};

const bench = new Bench({ time: Number(values.time) });
const events = new Map<string, number>();
const add = (name: string, f: () => number) => {
  events.set(name, f());
  bench.add(name, f);
};
add('lines: syslog body', () => splitRawLines(syslog, 10_000).length);
add('syslog', () => rawEvents(syslog, rules.get('syslog'), 10_000, now).length);
add('lines: log4j body', () => splitRawLines(log4j, 10_000).length);
add('log4j', () => rawEvents(log4j, rules.get('log4j'), 10_000, now).length);
add('log4j-default', () => rawEvents(log4j, rules.get('httpevent'), 10_000, now).length);
add('lines + toRecord: syslog body', () => splitRawLines(syslog, 10_000).map((l) => toRecord(rawEnvelope(l), ctx)).length);
add('syslog + toRecord', () => rawEvents(syslog, rules.get('syslog'), 10_000, now).map((e) => toRecord(rawEnvelope(e), ctx)).length);
await bench.run();
const rate = (name: string) => {
  const r = bench.tasks.find((x) => x.name === name)!.result;
  if (r.state !== 'completed') throw new Error(`${name}: ${r.state}`);
  return 2000 * r.throughput.mean; // every body is 2000 lines: lines/s compares bodies of the same text
};
const rows: Array<[string, string]> = [
  ['syslog', 'lines: syslog body'], ['log4j', 'lines: log4j body'], ['log4j-default', 'lines: log4j body'],
  ['syslog + toRecord', 'lines + toRecord: syslog body'],
];
for (const [name, base] of rows) {
  console.log(`${name.padEnd(20)} ${events.get(name)!} events/body  ${(rate(name) / 1e3).toFixed(0).padStart(6)} k lines/s   baseline ${base}: ${(rate(base) / 1e3).toFixed(0).padStart(6)} k lines/s   ratio ${(rate(name) / rate(base)).toFixed(2)}`);
}
