import { PassThrough } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { chunksLength, joinChunks, readChunks, type BodyChunks } from '../../../../src/service/hec/body-chunks.ts';

/** Runs the parser over `pieces` sent as a stream, with the given headers; resolves with its error or chunks. */
function parse(limit: number, pieces: Array<string | Error>, headers: Record<string, string> = {}): Promise<{ err: (Error & { code?: string; statusCode?: number }) | null; body?: BodyChunks }> {
  const payload = new PassThrough();
  const req = { headers } as unknown as FastifyRequest;
  return new Promise((resolve) => {
    readChunks(limit)(req, payload, (err, body) => resolve({ err: err as never, body }));
    for (const p of pieces) {
      if (p instanceof Error) return void payload.destroy(p);
      payload.write(Buffer.from(p));
    }
    payload.end();
  });
}

describe('readChunks: the HEC body as the chunks it arrived in', () => {
  it('keeps each chunk as it came (no joined copy); joinChunks and chunksLength read them as one body', async () => {
    const { err, body } = await parse(100, ['{"event":', '"x"}'], { 'content-length': '13' });
    expect(err).toBeNull();
    expect(body!.map((c) => c.toString())).toEqual(['{"event":', '"x"}']);
    expect(chunksLength(body)).toBe(13);
    expect(joinChunks(body)!.toString()).toBe('{"event":"x"}');
    expect(joinChunks([Buffer.from('one')])).toBeInstanceOf(Buffer);
    expect(joinChunks(undefined)).toBeUndefined();
    expect(chunksLength(undefined)).toBe(0);
  });

  it('a content-encoded body is joined at once (the event loop gunzips it whole; its pieces die at once)', async () => {
    const gz = await parse(100, ['ab', 'cd', 'e'], { 'content-encoding': 'gzip' });
    expect(gz.body!.map((c) => c.toString())).toEqual(['abcde']);
    expect((await parse(100, ['ab', 'cd'], { 'content-encoding': 'identity' })).body!.length).toBe(2);
    expect((await parse(100, ['ab', 'cd'])).body!.length).toBe(2);
  });

  it('a Content-Length past the limit is refused before anything is read (413: FST_ERR_CTP_BODY_TOO_LARGE)', async () => {
    const { err } = await parse(10, [], { 'content-length': '11' });
    expect(err).toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
  });

  it('a body without Content-Length (chunked) is refused as soon as it passes the limit', async () => {
    const { err, body } = await parse(10, ['123456', '78901', 'never read']);
    expect(err).toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    expect(body).toBeUndefined();
  });

  it('a body not as long as its Content-Length: FST_ERR_CTP_INVALID_CONTENT_LENGTH (400)', async () => {
    const { err } = await parse(100, ['12345'], { 'content-length': '9' });
    expect(err).toMatchObject({ code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', statusCode: 400 });
  });

  it('a stream error is a 400 (the client went away or sent a broken body)', async () => {
    const { err } = await parse(100, ['12', new Error('aborted')]);
    expect(err).toMatchObject({ message: 'aborted', statusCode: 400 });
  });
});
