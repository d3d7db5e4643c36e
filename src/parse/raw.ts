import { SimError } from '../errors/sim-error.ts';

/**
 * Splits a /raw body into events, one per line (LINE_BREAKER=([\r\n]+)); blank lines are skipped and
 * each line is cut at `truncate` characters (Splunk's TRUNCATE=10000). Throws code 5 when no line is left.
 */
export function splitRawLines(text: string, truncate: number): string[] {
  const out: string[] = [];
  let start = 0;
  const n = text.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 0x0a;
    if (c === 0x0a || c === 0x0d) {
      if (i > start) {
        const line = text.slice(start, i);
        if (line.trim() !== '') out.push(line.length > truncate ? line.slice(0, truncate) : line);
      }
      start = i + 1;
    }
  }
  if (out.length === 0) throw new SimError('SIM_ERR_HEC_NO_DATA', { detail: 'the raw body holds no non-blank line' });
  return out;
}
