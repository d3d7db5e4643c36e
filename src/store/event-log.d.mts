// Types of event-log.mjs (plain JavaScript: the writer thread runs it without a TypeScript loader).
import type { Database } from 'better-sqlite3';
import type { PackedBatch } from './packed.ts';

export const LOG_FILE: string;
export const HEADER: number;
export const OVERFLOW_PATH: string;
export const PATH_OVERFLOW: string;
export const KIND_SKIP: number;
export const KIND_CLASSES: number;
export const KIND_CHUNK: number;
export const KIND_CHUNK_PATHS: number;
export function isChunk(kind: number): boolean;
export const INDEX_DDL: string;
export const TOTALS_DDL: string;

export interface EncodedRecord { buffers: Buffer[]; size: number }
export function classesRecord(pairs: ReadonlyArray<readonly [number, string]>): EncodedRecord;
export const REFS: number;
export const TEXTS: number;
export const NUMBERS: number;
export const REF_MODULE: number;
export const NUM_DROPPED: number;
export const NUM_FLAGGED: number;
/** A packed batch whose `verdicts` are classification ids; `exact`: [field index, path, ...] (kind 3 when any). */
export function chunkRecord(firstEvent: number, batch: PackedBatch & { exact?: Array<number | string> }): EncodedRecord;
export function parseChunk(payload: Buffer): PackedBatch & { firstEvent: number };
/** A chunk record of either kind; `exact`: [field index, path, ...] of the fields whose path is not their classification's. */
export function parseRecordChunk(kind: number, payload: Buffer): PackedBatch & { firstEvent: number; exact: Array<number | string> };
export function countModules(batch: PackedBatch, modules: Map<string, [number, number, number]>): Map<string, [number, number, number]>;
export function countChunk(batch: PackedBatch, tally: number[], modules: Map<string, [number, number, number]>): string[];
export function addModules(into: Map<string, [number, number, number]>, from: Map<string, [number, number, number]>): void;
export function readRecord(fd: number, offset: number, end?: number): { kind: number; payload: Buffer; size: number } | null;
export function resync(fd: number, at: number, end: number): number;
export function writeAll(fd: number, buffers: readonly Buffer[]): void;

export class LogIndex {
  constructor(db: Database);
  addClasses(pairs: ReadonlyArray<readonly [number, string]>): void;
  addChunk(firstEvent: number, events: number, offset: number, size: number, modules: Iterable<string>): number | bigint;
  addTotals(tally: number[], modules: Map<string, [number, number, number]>): void;
  setSynced(offset: number): void;
  setTotalsThrough(offset: number): void;
  addChunkRecord(payload: Buffer, offset: number, size: number, indexed: boolean, kind?: number, parsed?: (PackedBatch & { firstEvent: number }) | null): void;
}

/** A piece of the log recovery took out, and the file of the region's quarantine folder that holds its bytes. */
export interface Quarantined { offset: number; length: number; reason: 'damaged' | 'torn'; file: string }
export interface Recovered { replayed: number; truncated: number; rebuilt: boolean; quarantined: Quarantined[] }
export function recover(db: Database, logPath: string): Recovered;
