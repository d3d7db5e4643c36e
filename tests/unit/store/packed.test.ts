import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { HEADER, KIND_CHUNK, KIND_CHUNK_PATHS, chunkRecord, parseRecordChunk } from '../../../src/store/event-log.ts';
import { eventsOf, moduleCountsOf, moduleRows, packRecords, transferOf, type ModuleCounts, type PackedBatch } from '../../../src/store/packed.ts';
import type { StoreRecord } from '../../../src/store/types.ts';

const rec = (n: number, over: Partial<StoreRecord> = {}): StoreRecord => ({
  receivedAt: 1_700_000_000_000 + n, tenant: 't', module: n % 2 ? 'fw' : null, time: n % 5 ? n : null, host: `h${n % 3}`, source: 's',
  sourcetype: 'st', index: 'main', endpoint: 'event', event: { n, note: 'ü€𝄞'.repeat(n % 4) }, fields: n % 4 ? null : { dc: `d${n}` },
  verdicts: Array.from({ length: n % 3 }, (_, i) => ({ path: `f${i}`, item: null, module: null, category: 'non-personal', by: 'none', kind: null, action: 'keep' }) as StoreRecord['verdicts'][number]),
  dropped: 0, flagged: 0, ...over,
});

/** The texts of a decoded chunk, per event: [event JSON, envelope, fields JSON] (null where absent). */
function textsOf(c: { events: number; lens: Int32Array; text: string }): Array<Array<string | null>> {
  const out: Array<Array<string | null>> = [];
  for (let e = 0, at = 0; e < c.events; e++) {
    const row: Array<string | null> = [];
    for (let t = 0; t < 3; t++) {
      const len = c.lens[e * 3 + t];
      row.push(len < 0 ? null : c.text.slice(at, at + len));
      at += Math.max(0, len);
    }
    out.push(row);
  }
  return out;
}

const payloadOf = (r: { buffers: Buffer[] }) => Buffer.concat(r.buffers).subarray(HEADER);

describe('packed batches: the chunk record built in the producer, moved without a copy', () => {
  it('writes texts of any script as UTF-8 past its first guess, and the log record reads back as packed', () => {
    // envelopes longer than the guess of the events before them, with two- three- and four-byte characters
    const long = `{"event":"${'é€𝄞'.repeat(6000)}"}`;
    const records = [...Array.from({ length: 40 }, (_, i) => rec(i)), rec(40, { envelope: long, event: 'x' }), rec(41, { envelope: '{"event":"ascii"}', event: 'ascii' })];
    const b = packRecords(records, (f) => Number(f.path.slice(1)) + 7);
    const c = parseRecordChunk(KIND_CHUNK, payloadOf(chunkRecord(12, b)));
    expect(c.firstEvent).toBe(12);
    expect(c.events).toBe(42);
    expect(c.table).toEqual(b.table);
    expect([...c.refsOf]).toEqual([...b.refsOf]);
    expect([...c.nums]).toEqual([...b.nums]);
    expect([...c.idCounts]).toEqual(records.map((r) => r.verdicts.length));
    expect([...c.verdicts]).toEqual(records.flatMap((r) => r.verdicts.map((f) => Number(f.path.slice(1)) + 7)));
    expect(textsOf(c)).toEqual(records.map((r) => r.envelope !== undefined
      ? [null, r.envelope, null]
      : [JSON.stringify(r.event), null, r.fields === null ? null : JSON.stringify(r.fields)]));
  });

  it('a batch without texts (a store that only counts) has its columns and no text', () => {
    const b = packRecords([rec(1), rec(2)], () => 0, false);
    expect(b.tail.length).toBe(0);
    expect([...b.lens]).toEqual([-1, -1, -1, -1, -1, -1]);
    expect(b.table).toEqual(['t', 'fw', 'h1', 's', 'st', 'main', 'event', 'h2']);
  });

  it('a record with exact paths (kind 3) holds the same chunk after them', () => {
    const b = packRecords([rec(2), rec(5)], () => 3);
    const c = parseRecordChunk(KIND_CHUNK_PATHS, payloadOf(chunkRecord(1, b, [0, 'tags[7]', 2, 'a.1.b'])));
    expect(c.exact).toEqual([0, 'tags[7]', 2, 'a.1.b']);
    expect(textsOf(c)).toEqual([[JSON.stringify(rec(2).event), null, null], [JSON.stringify(rec(5).event), null, null]]);
  });

  it('posted with transferOf, its buffers move (the sender keeps none) and the receiver writes the same record', () => {
    const b = packRecords([rec(1), rec(3, { envelope: '{"event":"ü"}' })], () => 1);
    const want = Buffer.concat(chunkRecord(5, b).buffers);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(b, transferOf(b));
    expect(b.columns.byteLength).toBe(0); // detached: moved, not copied
    expect(b.tail.byteLength).toBe(0);
    const got = receiveMessageOnPort(port2)!.message as PackedBatch;
    port1.close();
    expect(got.refsOf.buffer).toBe(got.columns.buffer); // the columns still view the one buffer
    expect(Buffer.concat(chunkRecord(5, got).buffers)).toEqual(want);
  });
});

describe('ModuleRows (per-module counts as they cross threads)', () => {
  it('round-trips per-module counts, and eventsOf adds up their events', () => {
    const counts: ModuleCounts = new Map([['splunk-network-firewall-web-gateway-logs', [3, 2, 1]], ['', [4, 0, 5]]]);
    const rows = moduleRows(counts);
    expect(rows).toEqual(['splunk-network-firewall-web-gateway-logs', 3, 2, 1, '', 4, 0, 5]);
    expect(moduleCountsOf(rows)).toEqual(counts);
    expect(eventsOf(rows)).toBe(7);
    expect(eventsOf([])).toBe(0);
  });
});
