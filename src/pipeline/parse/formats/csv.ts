/**
 * One CSV record (RFC 4180 quoting: a field in double quotes may hold commas, a doubled quote stands for
 * one), with each field's offsets. Hand-written because the parsers on npm (csv-parse, papaparse) give no
 * per-field offsets, and cutting a dropped column out of the text needs them.
 */
export interface CsvField {
  value: string;
  /** Offsets of the field as written (quotes included). */
  start: number;
  end: number;
}

/**
 * A double-quoted value starting at `text[at] === '"'`, a doubled quote standing for one: the value and the
 * offset just after its closing quote (at most `end`). CSV records and W3C log lines quote alike.
 */
export function readQuoted(text: string, at: number, end: number): { value: string; next: number } {
  let v = '';
  let p = at + 1;
  for (; p < end; p++) {
    if (text[p] === '"') {
      if (text[p + 1] === '"') {
        v += '"';
        p++;
      } else break;
    } else v += text[p];
  }
  return { value: v, next: Math.min(p + 1, end) };
}

export function splitCsvRecord(text: string, start = 0, end = text.length, sep = ','): CsvField[] {
  const out: CsvField[] = [];
  let i = start;
  for (;;) {
    if (text[i] === '"') {
      const { value: v, next: close } = readQuoted(text, i, end);
      // anything between the closing quote and the separator is kept, as PAN-OS never writes it
      let q = close;
      while (q < end && text[q] !== sep) q++;
      out.push({ value: v + text.slice(close, q), start: i, end: q });
      i = q;
    } else {
      let q = text.indexOf(sep, i);
      if (q === -1 || q > end) q = end;
      out.push({ value: text.slice(i, q), start: i, end: q });
      i = q;
    }
    if (i >= end) break;
    i++; // the separator
    if (i === end) {
      out.push({ value: '', start: i, end: i });
      break;
    }
  }
  return out;
}
