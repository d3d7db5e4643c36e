/**
 * W3C `#Fields:` directives carried across /raw requests.
 *
 * A W3C extended log (IIS, Blue Coat, WSA, Azure CDN …) names its columns once, in a `#Fields:` directive, and
 * a forwarder ships the file in pieces: the directive in one request names the columns of data lines sent in
 * later ones. Splunk reads such a header where it reads the file: `INDEXED_EXTRACTIONS = w3c` runs on the
 * forwarder that monitors the file (Splunk 6+ `[iis]` in props.conf; Splunk_TA_microsoft-iis `ms:iis:auto`),
 * and indexed extractions do not run on `/services/collector/raw` at all (Splunk docs, "Automate indexed field
 * extractions with HTTP Event Collector"). What identifies "one file" to the emulator is what Splunk keeps of
 * it per event: host, source and sourcetype, under one sender (tenant, token and channel). So:
 *
 * - the event loop keeps the latest directive per stream (`W3cStreams`, a bounded LRU map) and puts it into the
 *   request's ingest job (`IngestJob.w3cFields`);
 * - ingest, inline or in an ingest thread alike, applies it and the request's own directives to the request's
 *   events in order (`W3cCarry`) and returns the latest directive (`Ingested.w3cFields`), which the event loop
 *   stores for the stream's next request.
 *
 * A data line that the columns in force split (the column count matches) becomes the record its columns
 * describe, as `ingestor-sim classify` makes it of a text file's lines; directive lines and lines the columns
 * do not fit stay text. Unlike Splunk's forwarder, which keeps a file's first header (the IIS add-on's docs
 * list several `#Fields:` lines in one file as a known issue), the latest directive applies, as the W3C draft
 * (WD-logfile-960323) says: a new `#Fields:` changes the columns of the lines after it.
 *
 * Two requests of one stream in flight at once (a client that does not wait for answers) each start from the
 * directive stored when they arrived; a forwarder that sends a file's pieces in order is unaffected.
 */
import type { Envelope } from './envelope.ts';
import { splitText, w3cFieldsDirective } from './formats/index.ts';

/** The column names of a `#Fields:` directive. */
export type W3cFields = readonly string[];

/** How many streams the event loop remembers a directive for (the least recently used one goes first). */
export const W3C_STREAMS_LIMIT = 10_000;

/** The sender and the metadata that make one stream ("one file"), as the /raw handler knows them. */
export interface W3cStreamId {
  tenant: string;
  token: string;
  channel: string | null;
  host: string;
  source: string;
  sourcetype: string;
}

/** A stream's key in W3cStreams: its parts joined by a character none of them holds in practice (NUL). */
export function w3cStreamKey(id: W3cStreamId): string {
  return `${id.tenant}\0${id.token}\0${id.channel ?? ''}\0${id.host}\0${id.source}\0${id.sourcetype}`;
}

/**
 * The latest `#Fields:` directive per stream, kept by the event loop: a Map in recency order (a get or set
 * moves the key to the end), cut back to `limit` entries by dropping the least recently used.
 */
export class W3cStreams {
  private readonly map = new Map<string, W3cFields>();

  constructor(readonly limit: number = W3C_STREAMS_LIMIT) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`a W3C stream map needs a limit of at least 1, not ${limit}`);
  }

  get size(): number {
    return this.map.size;
  }

  /** The directive in force for the stream, or null (none seen, or forgotten). */
  get(key: string): W3cFields | null {
    const f = this.map.get(key);
    if (f === undefined) return null;
    this.map.delete(key);
    this.map.set(key, f);
    return f;
  }

  /** A request's result: `fields` (Ingested.w3cFields) is the latest directive it held, undefined when none. */
  update(key: string, fields: W3cFields | undefined): void {
    if (fields === undefined) return;
    this.map.delete(key);
    this.map.set(key, fields);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value!);
  }
}

/**
 * One request's pass over its events: starts from the stream's directive, takes each directive line it meets,
 * and turns each single-line event the columns split into the record they describe. `latest` is what the
 * stream's next request starts from (undefined: the request held no directive).
 */
export class W3cCarry {
  private fields: W3cFields | null;
  latest: W3cFields | undefined = undefined;

  constructor(fields: W3cFields | null | undefined, private readonly sourcetype: string) {
    this.fields = fields ?? null;
  }

  /** The envelope of one raw event, with the event as its columns' record when a directive in force splits it. */
  envelope(env: Envelope): Envelope {
    const text = env.event;
    if (typeof text !== 'string') return env;
    // directives: a line of their own, or merged into one event with others (sourcetypes that merge lines
    // without a timestamp: `#Software`, `#Version`, `#Fields` after a `#Date` line)
    if (text.charCodeAt(0) === 35 /* # */ || text.includes('\n#')) {
      if (this.readDirectives(text)) return env;
    }
    if (this.fields === null || text.includes('\n')) return env;
    const r = splitText(text, this.sourcetype, { w3cFields: this.fields });
    if (r.format !== 'w3c') return env;
    const record: Record<string, string> = Object.create(null);
    for (const p of r.pairs) record[p.key] = p.value;
    return { ...env, event: record };
  }

  /** Takes the `#Fields:` directives of the event's lines; true when the event holds only directive lines. */
  private readDirectives(text: string): boolean {
    let only = true;
    let from = 0;
    while (from <= text.length) {
      let nl = text.indexOf('\n', from);
      if (nl === -1) nl = text.length;
      const line = text.slice(from, nl);
      if (line.charCodeAt(0) === 35) {
        const f = line.startsWith('#Fields:') ? w3cFieldsDirective(line) : null;
        if (f !== null && f.length > 0 && f[0] !== '') this.fields = this.latest = f;
      } else if (line.trim() !== '') {
        only = false;
      }
      from = nl + 1;
    }
    return only;
  }
}
