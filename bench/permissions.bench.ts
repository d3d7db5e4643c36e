/**
 * npm: node --import tsx bench/permissions.bench.ts
 * The cost of the event gate (a permission for the whole source): classify + filter of the firewall batch with
 * and without the event context, alternating rounds in one process; prints the medians and their ratio.
 */
import { getDefaultMatcher } from '../src/pipeline/classify/index.ts';
import { applyPolicy, compilePolicy } from '../src/pipeline/filter/index.ts';
import { makeGenerator } from '../src/tools/gen/index.ts';
import { buildBatch } from '../src/tools/gen/index.ts';
const m = getDefaultMatcher();
const SPLUNK = 'splunk-network-firewall-web-gateway-logs';
const gen = makeGenerator('firewall', 1);
const events = buildBatch(gen, 1000).toString('utf8').split('\n').map((l) => JSON.parse(l).event);
const policy = compilePolicy(m, { uploadPermission: { 'Microsoft Entra ID': false } });
const ctx = { module: SPLUNK, sourcetype: 'pan:traffic' };
function run(withCtx: boolean, ms: number): number {
  let n = 0, sink = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (const ev of events) sink += applyPolicy(policy, ev, m.classifyEvent(ev, SPLUNK), withCtx ? ctx : undefined).fields.length;
    n += events.length;
  }
  return n / ((performance.now() - t0) / 1000) + (sink & 0);
}
run(true, 500); run(false, 500);
const a: number[] = [], b: number[] = [];
for (let i = 0; i < 5; i++) { a.push(run(false, 400)); b.push(run(true, 400)); }
const med = (x: number[]) => x.sort((p, q) => p - q)[2];
console.log(`no ctx ${Math.round(med(a))} ev/s; with ctx ${Math.round(med(b))} ev/s; ratio ${(med(b) / med(a)).toFixed(3)}`);
