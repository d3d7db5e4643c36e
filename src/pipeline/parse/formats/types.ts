/**
 * What every format parser returns: named fields with the offsets of the text each one came from, so that a
 * dropped field can be cut out of the event's text (src/pipeline/classify/kv.ts `cutKeys`).
 */
export interface KvPair {
  key: string;
  value: string;
  /** Offsets in the whole event text of the segment that carries the field (`key=value`, or the value alone for positional formats). */
  start: number;
  end: number;
}

/** The format a text was recognised as ('raw' when it could not be split). */
export type TextFormat =
  | 'cef' | 'leef' | 'pan-csv' | 'cisco-asa' | 'w3c' | 'squid' | 'json' | 'kv' | 'syslog' | 'raw';

export interface SplitResult {
  format: TextFormat;
  pairs: KvPair[];
}
