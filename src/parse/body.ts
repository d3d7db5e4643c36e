import { gunzip } from 'node:zlib';
import { SimError } from '../errors/sim-error.ts';

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
 * Turns the bytes on the wire into text: gunzips (`Content-Encoding: gzip`, with a decompressed-size limit),
 * then decodes strict UTF-8 (a BOM is dropped). Throws SimError for empty bodies, unknown encodings,
 * truncated/corrupt gzip, gzip bombs and invalid UTF-8.
 */
export async function decodeBody(body: Buffer | undefined, contentEncoding: string | undefined, limits: BodyLimits): Promise<string> {
  if (body === undefined || body.length === 0) throw new SimError('SIM_ERR_HEC_NO_DATA', { detail: 'the request body is empty' });
  let bytes = body;
  const enc = (contentEncoding ?? '').trim().toLowerCase();
  if (enc === 'gzip' || enc === 'x-gzip') {
    try {
      bytes = await gunzipLimited(body, limits.maxDecompressedBytes);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
        throw new SimError('SIM_ERR_HTTP_DECOMPRESSED_TOO_LARGE', {
          detail: `the gzip body decompresses to more than ${limits.maxDecompressedBytes} bytes (limits.maxDecompressedBytes)`,
        });
      }
      throw new SimError('SIM_ERR_HEC_GZIP_INVALID', { detail: `the gzip body cannot be decompressed: ${e.message}` });
    }
  } else if (enc !== '' && enc !== 'identity') {
    throw new SimError('SIM_ERR_HTTP_ENCODING_UNSUPPORTED', {
      detail: `Content-Encoding '${contentEncoding}' is not supported; send gzip or no Content-Encoding`,
    });
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new SimError('SIM_ERR_HEC_INVALID_UTF8', { detail: `the body is not valid UTF-8 (at or before byte ${firstInvalidUtf8(bytes)})` });
  }
  if (isBlank(text)) throw new SimError('SIM_ERR_HEC_NO_DATA', { detail: 'the request body is only whitespace' });
  return text;
}

/** Byte offset of the first invalid UTF-8 sequence (for the error message), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n = 0;
    if (c < 0x80) { i++; continue; }
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) n = 2;
    else if (c >= 0xf0 && c <= 0xf4) n = 3;
    else return i;
    if (i + n >= b.length) return i;
    for (let k = 1; k <= n; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    i += n + 1;
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
