import { isAscii } from 'node:buffer';
import { createGunzip, gunzip } from 'node:zlib';
import { isSimError, SimError } from '../../errors/sim-error.ts';

/** Where decoded bytes are counted against the global bound (src/service/hec/admission.ts Hold): take throws 503 code 9. */
export interface DecodedHold {
  take(n: number): void;
}

export interface BodyLimits {
  /** Largest decompressed body (gzip bomb guard), bytes. */
  maxDecompressedBytes: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function gunzipLimited(buf: Buffer, maxOutputLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    gunzip(buf, { maxOutputLength }, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

/**
 * Gunzips chunk by chunk, each chunk taken from the global decoded-bytes budget as it comes out, so that many
 * concurrent bombs stop at the global bound, not at maxOutputLength each (40 × 1 GB → 7.6 GB before).
 */
function gunzipHeld(buf: Buffer, maxOutputLength: number, hold: DecodedHold): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // 1 MB chunks: malloc maps each one, so once collected it goes back to the system (small ones stay in its heap)
    const z = createGunzip({ chunkSize: 1024 * 1024 });
    const chunks: Buffer[] = [];
    let total = 0;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      chunks.length = 0;
      z.destroy();
      reject(err);
    };
    z.on('data', (c: Buffer) => {
      if (failed) return;
      total += c.length;
      if (total > maxOutputLength) {
        const e = new RangeError('Cannot create a Buffer larger than maxOutputLength') as NodeJS.ErrnoException;
        e.code = 'ERR_BUFFER_TOO_LARGE';
        return fail(e);
      }
      try {
        hold.take(c.length);
      } catch (err) {
        // the hold's own SimError (503 code 9) goes to the caller as it is: gunzip's errors are never SimErrors
        return fail(err as Error);
      }
      chunks.push(c);
    });
    z.on('error', fail);
    z.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total));
    });
    z.end(buf);
  });
}

/**
 * Turns the bytes on the wire into text: gunzips (`Content-Encoding: gzip`, with a decompressed-size limit),
 * then decodes strict UTF-8 (a BOM is dropped). Throws SimError for empty bodies, unknown encodings,
 * truncated/corrupt gzip, gzip bombs and invalid UTF-8. With a `hold`, the decompressed bytes and the text
 * are taken from the global budget (503 code 9 past it); the caller releases the hold when done.
 */
export async function decodeBody(body: Buffer | undefined, contentEncoding: string | undefined, limits: BodyLimits, hold?: DecodedHold): Promise<string> {
  if (body === undefined || body.length === 0) throw new SimError('SIM_ERR_HEC_NO_DATA', { detail: 'the request body is empty' });
  const bytes = await decompressBody(body, contentEncoding, limits, hold);
  // the text: one byte per character for ASCII, two otherwise (an upper bound of V8's string)
  hold?.take(bytes.length);
  let text: string;
  try {
    // ASCII (the common body) is UTF-8 as it is, with no BOM: checked and copied natively, without the decoder
    text = isAscii(bytes) ? bytes.toString('latin1') : utf8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new SimError('SIM_ERR_HEC_INVALID_UTF8', { detail: at >= 0 ? `the body is not valid UTF-8 (at byte ${at})` : 'the body is not valid UTF-8' });
  }
  if (isBlank(text)) throw new SimError('SIM_ERR_HEC_NO_DATA', { detail: 'the request body is only whitespace' });
  return text;
}

/** A Content-Encoding header as decompressBody reads it: trimmed, in lower case; '' for none or `identity` (the bytes as they are). */
export function contentCoding(header: string | undefined): string {
  const enc = (header ?? '').trim().toLowerCase();
  return enc === 'identity' ? '' : enc;
}

/**
 * The first half of decodeBody: the body's bytes gunzipped (`Content-Encoding: gzip`, within the per-request
 * limit and, with a hold, the global budget), or as they are. The service runs it in the event loop before a
 * request goes to an ingest thread (src/service/hec/routes.ts): buffers the event loop allocates go back to the
 * system once freed, where the threads' malloc arenas kept hundreds of MB after a bomb attack.
 */
export async function decompressBody(body: Buffer, contentEncoding: string | undefined, limits: BodyLimits, hold?: DecodedHold): Promise<Buffer> {
  let bytes = body;
  const enc = contentCoding(contentEncoding);
  if (enc === 'gzip' || enc === 'x-gzip') {
    try {
      bytes = hold ? await gunzipHeld(body, limits.maxDecompressedBytes, hold) : await gunzipLimited(body, limits.maxDecompressedBytes);
    } catch (err) {
      if (isSimError(err)) throw err; // the global budget (hold.take), not the gzip stream
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
        throw new SimError('SIM_ERR_HTTP_DECOMPRESSED_TOO_LARGE', {
          detail: `the gzip body decompresses to more than ${limits.maxDecompressedBytes} bytes (limits.maxDecompressedBytes)`,
        });
      }
      throw new SimError('SIM_ERR_HEC_GZIP_INVALID', { detail: `the gzip body cannot be decompressed: ${e.message}` });
    }
  } else if (enc !== '') {
    throw new SimError('SIM_ERR_HTTP_ENCODING_UNSUPPORTED', {
      detail: `Content-Encoding '${contentEncoding}' is not supported; send gzip or no Content-Encoding`,
    });
  }
  return bytes;
}

/**
 * Byte offset of the first ill-formed UTF-8 sequence (for the error message), or -1 when there is none. Exact per
 * Unicode's table of well-formed byte sequences (no overlong forms, no surrogates, nothing past U+10FFFF), so it
 * agrees with the strict decoder.
 */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => k < n && b[k] >= lo && b[k] <= hi;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) { i++; continue; }
    let len: number;
    let lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c === 0xe0) lo = 0xa0; // no overlong forms
      else if (c === 0xed) hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c === 0xf0) lo = 0x90; // no overlong forms
      else if (c === 0xf4) hi = 0x8f; // nothing past U+10FFFF
    } else return i;
    if (!cont(i + 1, lo, hi)) return i;
    for (let k = 2; k < len; k++) if (!cont(i + k)) return i;
    i += len;
  }
  return -1;
}

export function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return true;
}
