import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SimError } from '../../../../src/errors/sim-error.ts';
import { contentCoding, decodeBody, firstInvalidUtf8 } from '../../../../src/pipeline/parse/body.ts';

const limits = { maxDecompressedBytes: 1024 };

describe('decodeBody', () => {
  it('decodes an ASCII body (copied as it is) and any other (the strict decoder) as the strict UTF-8 decoder does', async () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    for (let i = 0; i < 300; i++) {
      // mostly ASCII (with control characters), sometimes a byte of 0x80 and up: valid UTF-8 or not
      const bytes = Buffer.from(Array.from({ length: 1 + rnd(40) }, () => (rnd(10) === 0 ? 0x80 + rnd(128) : rnd(128))));
      let want: string | null = null;
      try { want = strict.decode(bytes); } catch { /* invalid */ }
      const got = await decodeBody(bytes, undefined, limits).then((t) => t, (e: { code: string }) => e.code);
      if (want === null) expect(got, bytes.toString('hex')).toBe('SIM_ERR_HEC_INVALID_UTF8');
      else if (want.trim() === '') expect(got).toBe('SIM_ERR_HEC_NO_DATA');
      else expect(got, bytes.toString('hex')).toBe(want);
    }
    expect(await decodeBody(Buffer.from('{"event":"\u00e9 plain ascii"}'), undefined, limits)).toBe('{"event":"\u00e9 plain ascii"}');
    expect(await decodeBody(Buffer.from('{"event":"é"}'), undefined, limits)).toBe('{"event":"é"}');
  });
  it('plain UTF-8, BOM dropped', async () => {
    expect(await decodeBody(Buffer.from('\ufeff{"event":"é"}'), undefined, limits)).toBe('{"event":"é"}');
  });
  it('gzip and x-gzip, identity', async () => {
    expect(await decodeBody(gzipSync('hello'), 'gzip', limits)).toBe('hello');
    expect(await decodeBody(gzipSync('hello'), 'X-GZIP', limits)).toBe('hello');
    expect(await decodeBody(Buffer.from('hi'), 'identity', limits)).toBe('hi');
  });
  it('empty and blank bodies are code 5', async () => {
    await expect(decodeBody(Buffer.alloc(0), undefined, limits)).rejects.toMatchObject({ hecCode: 5 });
    await expect(decodeBody(undefined, undefined, limits)).rejects.toMatchObject({ hecCode: 5 });
    await expect(decodeBody(Buffer.from(' \n'), undefined, limits)).rejects.toMatchObject({ hecCode: 5 });
  });
  it('gzip over the decompressed limit is 413, truncated gzip is code 6, deflate is 415', async () => {
    await expect(decodeBody(gzipSync(Buffer.alloc(5000)), 'gzip', limits)).rejects.toMatchObject({ code: 'SIM_ERR_HTTP_DECOMPRESSED_TOO_LARGE', statusCode: 413 });
    const z = gzipSync('x'.repeat(500));
    await expect(decodeBody(z.subarray(0, z.length - 4), 'gzip', limits)).rejects.toMatchObject({ code: 'SIM_ERR_HEC_GZIP_INVALID', hecCode: 6 });
    await expect(decodeBody(Buffer.from('x'), 'deflate', limits)).rejects.toMatchObject({ statusCode: 415 });
  });
  it("the global budget's own SimError comes out of a gzip body as it is (one error class, no wrapper)", async () => {
    let taken = 0;
    const busy = new SimError('SIM_ERR_HEC_BUSY_MEMORY', { detail: 'the global decoded-bytes budget is spent' });
    const hold = { take(n: number) { taken += n; if (taken > 3000) throw busy; } };
    await expect(decodeBody(gzipSync(Buffer.alloc(5000)), 'gzip', { maxDecompressedBytes: 1 << 20 }, hold)).rejects.toBe(busy);
    taken = 0;
    expect(await decodeBody(gzipSync('x'.repeat(100)), 'gzip', { maxDecompressedBytes: 1 << 20 }, hold)).toBe('x'.repeat(100));
  });
  it('invalid UTF-8 is code 6', async () => {
    await expect(decodeBody(Buffer.from([0x7b, 0xff]), undefined, limits)).rejects.toMatchObject({ code: 'SIM_ERR_HEC_INVALID_UTF8' });
  });
});

describe('firstInvalidUtf8', () => {
  it.each([
    [[0x61, 0x62], -1], [[0xc3, 0xa9], -1], [[0xe2, 0x80, 0x93], -1], [[0xf0, 0x9f, 0x99, 0x82], -1],
    [[0x61, 0xff], 1], [[0x61, 0xc3, 0x28], 1], [[0x61, 0x62, 0xe2, 0x80], 2], [[0xc0, 0x80], 0],
  ])('%j → %i', (bytes, at) => {
    expect(firstInvalidUtf8(Uint8Array.from(bytes))).toBe(at);
  });
});

describe('contentCoding: a Content-Encoding header as the body is decoded', () => {
  it('trimmed and in lower case; none and identity are the bytes as they are', () => {
    expect([undefined, '', ' ', 'identity', ' IDENTITY '].map(contentCoding)).toEqual(['', '', '', '', '']);
    expect([' GZip', 'x-gzip', 'deflate'].map(contentCoding)).toEqual(['gzip', 'x-gzip', 'deflate']);
  });
});
