import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { Budgets, checkRawEvents, DECODED, WIRE } from '../../../../src/service/hec/admission.ts';

describe('checkRawEvents: /raw events counted before any is built', () => {
  it('counts non-blank lines split by CR/LF runs', () => {
    expect(() => checkRawEvents('a\nb\r\nc', 3)).not.toThrow();
    expect(() => checkRawEvents('a\n\n \n\t\nb\n', 2)).not.toThrow();
    expect(() => checkRawEvents('a\nb\nc\nd', 3)).toThrow(/more than 3 events/);
    expect(() => checkRawEvents('a\rb\rc\rd\r', 3)).toThrow(expect.objectContaining({ code: 'SIM_ERR_HTTP_TOO_MANY_EVENTS' }));
  });
  it('stops early on 30 MB of "a\\n" (15.7 million events)', () => {
    const text = 'a\n'.repeat(15_728_640);
    expect(() => checkRawEvents(text, 100_000)).toThrow(expect.objectContaining({ statusCode: 413 }));
  });
});

describe('Budgets: one bound across threads', () => {
  it('take/give per counter; a take past the bound fails and leaves nothing taken', () => {
    const b = Budgets.create({ maxInflightBytes: 100, maxInflightDecodedBytes: 1000 });
    expect(b.take(WIRE, 60)).toBe(true);
    expect(b.take(WIRE, 50)).toBe(false);
    expect(b.used(WIRE)).toBe(60);
    expect(b.take(DECODED, 1000)).toBe(true);
    b.give(WIRE, 60);
    b.give(DECODED, 1000);
    expect([b.used(WIRE), b.used(DECODED)]).toEqual([0, 0]);
  });
  it('a worker thread takes from the same cells', async () => {
    const b = Budgets.create({ maxInflightBytes: 100, maxInflightDecodedBytes: 1000 });
    const w = new Worker(`const { workerData, parentPort } = require('node:worker_threads');
      const c = new BigInt64Array(workerData); Atomics.add(c, 1, 700n); parentPort.postMessage(1);`, { eval: true, workerData: b.init.cells });
    await new Promise((r) => w.once('message', r));
    await w.terminate();
    expect(b.used(DECODED)).toBe(700);
    expect(b.take(DECODED, 400)).toBe(false);
  });
});
