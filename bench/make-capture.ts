/**
 * node --import tsx bench/make-capture.ts OUT.ndjson MB [--bench-shape]
 *
 * Writes a capture of HEC envelopes from the load generator's firewall profile, about MB mebibytes, for
 * timing `ingestor-sim classify --json` on large inputs (docs/formats.md). --bench-shape projects every event
 * on the 12 CIM fields of bench/classify.bench.ts (seed 1), so that events/s compare with its hot-path row.
 */
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildBatch, makeGenerator } from '../src/tools/gen/index.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'bench-shape': { type: 'boolean' } } });
const [out, mb] = positionals;
if (!out || !(Number(mb) > 0)) {
  process.stderr.write('usage: node --import tsx bench/make-capture.ts OUT.ndjson MB [--bench-shape]\n');
  process.exit(2);
}
const FIELDS = ['action', 'app', 'src_ip', 'src_port', 'dest', 'dest_ip', 'dest_port', 'user', 'bytes_in', 'bytes_out', 'transport', 'rule'];
const shape = values['bench-shape'] === true;
const target = Number(mb) * 1048576;
const gen = makeGenerator('firewall', shape ? 1 : 7);
const ws = createWriteStream(out);
let bytes = 0;
let events = 0;
while (bytes < target) {
  let lines = buildBatch(gen, 1000).toString('utf8').split('\n');
  if (shape) {
    lines = lines.flatMap((l) => {
      const env = JSON.parse(l) as { event: Record<string, unknown> };
      const event: Record<string, unknown> = {};
      for (const f of FIELDS) if (f in env.event) event[f] = env.event[f];
      return Object.keys(event).length === FIELDS.length ? [JSON.stringify({ ...env, event })] : [];
    });
  }
  const s = `${lines.join('\n')}\n`;
  bytes += Buffer.byteLength(s);
  events += lines.length;
  if (!ws.write(s)) await new Promise<void>((r) => ws.once('drain', () => r()));
}
ws.end(() => process.stdout.write(`${out}: ${events} events, ${(bytes / 1048576).toFixed(0)} MiB\n`));
