import { SimError } from '../../errors/sim-error.ts';
import { breakEvents, compileRule, splitLines, type RawEvent, type RawRule } from './linebreak.ts';

const LINES_ONLY = compileRule({ shouldLinemerge: false, datetimeConfig: 'none' });

/**
 * Splits a /raw body into its lines (LINE_BREAKER=([\r\n]+)); blank lines are skipped and each line is cut at
 * `truncate` bytes (Splunk's TRUNCATE=10000). Throws code 5 when no line is left. No merging: see rawEvents.
 */
export function splitRawLines(text: string, truncate: number): string[] {
  const out = splitLines(text, LINES_ONLY, truncate);
  if (out.length === 0) throw new SimError('SIM_ERR_HEC_NO_DATA', { detail: 'the raw body holds no non-blank line' });
  return out;
}

/**
 * A /raw body's events as Splunk makes them for the sourcetype's rule (src/pipeline/parse/linebreak.ts): lines, merged
 * lines, each with the time and host its text gives. Throws code 5 when the body holds no non-blank line.
 */
export function rawEvents(text: string, rule: RawRule, truncate: number, nowMs: number): RawEvent[] {
  const out = breakEvents(text, rule, truncate, nowMs);
  if (out.length === 0) throw new SimError('SIM_ERR_HEC_NO_DATA', { detail: 'the raw body holds no non-blank line' });
  return out;
}
