/** Parsers for the load command's option values; each throws a RangeError that names the bad text. */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `30s`, `1.5m`, `500ms`, `2h`, or a bare number of seconds → milliseconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new RangeError(`${what} '${text}' is not a duration (examples: 30s, 500ms, 2m, 1h)`);
  const ms = Number(m[1]) * DURATION_UNITS[m[2] ?? 's'];
  if (!(ms > 0)) throw new RangeError(`${what} '${text}' must be greater than zero`);
  return Math.round(ms);
}

/** `200/s`, `200`, `12000/m`, `1/h` → requests per second. */
export function parseRate(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|m|min|h))?\s*$/.exec(text);
  if (!m) throw new RangeError(`rate '${text}' is not a rate (examples: 200/s, 500, 6000/m)`);
  const per = m[2] === undefined || m[2].startsWith('s') ? 1 : m[2].startsWith('m') ? 60 : 3600;
  const rate = Number(m[1]) / per;
  if (!(rate > 0)) throw new RangeError(`rate '${text}' must be greater than zero`);
  if (rate > 1_000_000) throw new RangeError(`rate '${text}' is above 1,000,000 requests/s`);
  return rate;
}

/** A positive integer within [min, max]. */
export function parseIntIn(text: string, what: string, min: number, max: number): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new RangeError(`${what} '${text}' is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new RangeError(`${what} must be from ${min} to ${max}, got ${n}`);
  return n;
}

/** `--start-time`: `now`, epoch seconds / milliseconds, or an ISO 8601 date → epoch ms. */
export function parseStartTime(text: string, now = Date.now()): number {
  if (text === 'now') return now;
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new RangeError(`start time '${text}' is not 'now', an epoch time or an ISO 8601 date`);
  return t;
}

export const HEC_EVENT_PATH = '/services/collector/event';

/** `--target`: http(s) URL; a URL with no path gets /services/collector/event. */
export function resolveTarget(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError(`target '${text}' is not a URL (example: http://127.0.0.1:8088)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`target '${text}' must be http:// or https://`);
  if (url.username || url.password) throw new RangeError(`target '${text}' must not carry credentials; use --token`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = HEC_EVENT_PATH;
  url.hash = '';
  return url;
}
