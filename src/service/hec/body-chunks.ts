import type { Readable } from 'node:stream';
import { errorCodes, type FastifyRequest } from 'fastify';
import { contentCoding } from '../../pipeline/parse/body.ts';

/**
 * A HEC request's body as the chunks Node's HTTP parser gave it. Each chunk is a Buffer with memory of its own
 * (the parser copies every piece of a body out of the socket's read buffer), so the chunks move to an ingest
 * thread as they are (src/workers/pool.ts): the event loop neither copies the body into one buffer nor holds a
 * second copy of it. What the event loop allocates and drops per request counts toward V8's limit for its old
 * generation (an ArrayBuffer's memory is "external" memory); a joined copy of every 70 KB body, dropped a moment
 * later, started a full mark-compact of the event loop's heap every ~150 ms toward the default store
 * (docs/benchmarks.md, "What cut it, and what did not").
 */
export type BodyChunks = readonly Buffer[];

/** The body as one Buffer (the chunk itself when there is one), for what reads it in the event loop. */
export function joinChunks(chunks: BodyChunks | undefined): Buffer | undefined {
  if (chunks === undefined) return undefined;
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks as Buffer[]);
}

/** A body's length in bytes. */
export function chunksLength(chunks: BodyChunks | undefined): number {
  let n = 0;
  if (chunks !== undefined) for (const c of chunks) n += c.length;
  return n;
}

/**
 * The HEC plugin's body parser (Fastify's function form: it reads the payload stream itself): the body as its
 * chunks, up to `limit` bytes. It keeps Fastify's own checks of a body read as a buffer (content-type-parser.js
 * rawBody), with its errors, which src/service/hec/client-error.ts answers as HEC does: a Content-Length or a
 * body past the limit is FST_ERR_CTP_BODY_TOO_LARGE (413), a body shorter or longer than its Content-Length
 * FST_ERR_CTP_INVALID_CONTENT_LENGTH (400), a stream error 400.
 */
export function readChunks(limit: number) {
  return function bodyChunks(req: FastifyRequest, payload: Readable & { receivedEncodedLength?: number }, done: (err: Error | null, body?: BodyChunks) => void): void {
    const contentLength = Number(req.headers['content-length']);
    if (contentLength > limit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onEnd);
    };
    function onData(chunk: Buffer): void {
      received += chunk.length;
      if (received > limit || (payload.receivedEncodedLength ?? 0) > limit) {
        stop();
        done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
        return;
      }
      chunks.push(chunk);
    }
    function onEnd(err?: Error & { statusCode?: number }): void {
      stop();
      if (err != null) {
        if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
        return done(err);
      }
      if (!Number.isNaN(contentLength) && (payload.receivedEncodedLength || received) !== contentLength) {
        return done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
      }
      // a compressed body is joined at once: the event loop gunzips it whole (routes.ts), and its pieces must not
      // stay alive in its heap beside the joined copy while it does (after a run of gzip bombs the heap then kept
      // 100-600 MB it could not give back: tests/socket/service-limits.test.ts, "memory back after")
      const encoded = contentCoding(req.headers['content-encoding']) !== '';
      done(null, encoded && chunks.length > 1 ? [Buffer.concat(chunks, received)] : chunks);
    }
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onEnd);
    payload.resume();
  };
}
