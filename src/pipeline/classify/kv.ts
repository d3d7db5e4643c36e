/**
 * Raw text events are split into fields by src/pipeline/parse/formats (syslog headers, CEF, LEEF, PAN-OS CSV, Cisco
 * ASA/FTD, W3C, Squid, JSON, key=value); each field keeps the offsets of its text so that a dropped field can
 * be cut out of the event. Anything that cannot be split stays one `_raw` field.
 */
import { splitText } from '../parse/formats/index.ts';
import type { KvPair } from '../parse/formats/types.ts';

export type { KvPair } from '../parse/formats/types.ts';

/** The fields of a raw text event ([] when it cannot be split); see splitText for the format as well. */
export function parseKeyValues(text: string, sourcetype?: string): KvPair[] {
  return splitText(text, sourcetype).pairs;
}

/**
 * Removes the segments of the given keys from the text. Where a cut leaves two separators side by side
 * (`a=1 b=2 c=3` without b), one is dropped; the rest of the text is kept as it was (tabs, double spaces).
 */
export function cutKeys(text: string, pairs: readonly KvPair[], drop: ReadonlySet<string>): string {
  let out = '';
  let at = 0;
  for (const p of pairs) {
    if (!drop.has(p.key) || p.start < at) continue;
    out += text.slice(at, p.start);
    at = p.end;
    const prev = out.charCodeAt(out.length - 1);
    const next = text.charCodeAt(at);
    if ((prev === 32 || prev === 9) && (next === 32 || next === 9)) at++;
  }
  return (out + text.slice(at)).trim();
}
