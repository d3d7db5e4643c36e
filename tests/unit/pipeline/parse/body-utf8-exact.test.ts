import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody, firstInvalidUtf8 } from '../../../../src/pipeline/parse/body.ts';
import { parseEventBatch } from '../../../../src/pipeline/parse/envelope.ts';
import { Budgets, DECODED, Hold } from '../../../../src/service/hec/admission.ts';

const strict = new TextDecoder('utf-8', { fatal: true });
function decoderRejects(b: Uint8Array): boolean {
  try { strict.decode(b); return false; } catch { return true; }
}

describe('firstInvalidUtf8 agrees with the strict decoder (issue 13 item 11: "at or before byte -1")', () => {
  it.each([
    ['overlong 3-byte', [0x61, 0xe0, 0x80, 0x80], 1],
    ['surrogate', [0x61, 0x62, 0xed, 0xa0, 0x80], 2],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['overlong 4-byte', [0xf0, 0x80, 0x80, 0x80], 0],
    ['truncated at the end', [0x61, 0xe2, 0x82], 1],
    ['lone continuation', [0x80], 0],
  ])('%s', async (_, bytes, at) => {
    const b = Uint8Array.from(bytes);
    expect(decoderRejects(b)).toBe(true);
    expect(firstInvalidUtf8(b)).toBe(at);
    await expect(decodeBody(Buffer.from(b), undefined, { maxDecompressedBytes: 1e6 })).rejects.toMatchObject({ detail: `the body is not valid UTF-8 (at byte ${at})` });
  });
  it('finds a position for every invalid input and none for valid ones (seeded random bytes)', () => {
    let seed = 13;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const pool = [0x41, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff];
    for (let n = 0; n < 20_000; n++) {
      const b = Uint8Array.from({ length: 1 + (rnd() % 6) }, () => pool[rnd() % pool.length]);
      const at = firstInvalidUtf8(b);
      expect(at >= 0, Buffer.from(b).toString('hex')).toBe(decoderRejects(b));
      if (at >= 0) expect(decoderRejects(b.subarray(0, at))).toBe(false); // the bytes before it are valid
    }
  });
});

describe('"time" out of range (issue 13 item 11: "1e400" stored as Infinity)', () => {
  const parse = (t: string) => parseEventBatch(t, { maxDepth: 10, maxEventBytes: 1e6 }, { allowedIndexes: null, defaultIndex: 'main' });
  it.each(['"1e400"', '1e400', '"-1e999"'])('time %s: 400 code 15, nothing stored', (t) => {
    const r = parse(`{"event":"x","time":${t}}`);
    expect(r.events).toEqual([]);
    expect(r.error?.code).toBe('SIM_ERR_HEC_INDEXED_FIELDS');
    expect(r.error?.body()).toMatchObject({ code: 15, 'invalid-event-number': 0 });
    expect(r.error?.detail).toMatch(/not a finite number/);
  });
  it('a large finite time is still a time', () => {
    expect(parse('{"event":"x","time":"1e10"}').events[0].time).toBe(1e10);
  });
});

describe('events per request (issue 13 item 6)', () => {
  const limits = { maxDepth: 10, maxEventBytes: 1e6, maxEventsPerRequest: 3 };
  it('/event: past the count the whole body is refused (413) and nothing is kept', () => {
    const ok = parseEventBatch('{"event":1}{"event":2}{"event":3}', limits, { allowedIndexes: null, defaultIndex: 'main' });
    expect(ok.error).toBeNull();
    for (const body of ['{"event":1}{"event":2}{"event":3}{"event":4}', '[{"event":1},{"event":2},{"event":3},{"event":4}]']) {
      const r = parseEventBatch(body, limits, { allowedIndexes: null, defaultIndex: 'main' });
      expect(r.events).toEqual([]);
      expect(r.error?.code).toBe('SIM_ERR_HTTP_TOO_MANY_EVENTS');
      expect(r.error?.statusCode).toBe(413);
    }
  });
});

describe('decoded bytes against the global budget (issue 13 item 4)', () => {
  it('a gzip body stops at the global bound with 503 code 9, and gives back what it took', async () => {
    const budgets = Budgets.create({ maxInflightBytes: 1 << 20, maxInflightDecodedBytes: 4 << 20 });
    const other = new Hold(budgets, DECODED);
    other.take(3 << 20); // another request holds 3 MB
    const bomb = gzipSync(Buffer.alloc(2 << 20, 0x61));
    const hold = new Hold(budgets, DECODED);
    await expect(decodeBody(bomb, 'gzip', { maxDecompressedBytes: 100 << 20 }, hold)).rejects.toMatchObject({ code: 'SIM_ERR_HEC_BUSY_MEMORY', statusCode: 503, hecCode: 9 });
    hold.release();
    expect(budgets.used(DECODED)).toBe(3 << 20);
    other.release();
    expect(budgets.used(DECODED)).toBe(0);
    // alone, it fits: decompressed bytes and text are held until released
    const ok = new Hold(budgets, DECODED);
    expect((await decodeBody(bomb, 'gzip', { maxDecompressedBytes: 100 << 20 }, ok)).length).toBe(2 << 20);
    expect(budgets.used(DECODED)).toBe(4 << 20);
    ok.release();
    expect(budgets.used(DECODED)).toBe(0);
  });
  it('the per-request bomb guard still answers 413 with a hold', async () => {
    const budgets = Budgets.create({ maxInflightBytes: 1 << 20, maxInflightDecodedBytes: 1 << 30 });
    const hold = new Hold(budgets, DECODED);
    await expect(decodeBody(gzipSync(Buffer.alloc(3 << 20)), 'gzip', { maxDecompressedBytes: 1 << 20 }, hold)).rejects.toMatchObject({ code: 'SIM_ERR_HTTP_DECOMPRESSED_TOO_LARGE' });
    hold.release();
    expect(budgets.used(DECODED)).toBe(0);
  });
});
