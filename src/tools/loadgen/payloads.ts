import { gzipSync } from 'node:zlib';
import { buildBatch, makeGenerator, type GeneratorOptions, type Profile } from '../gen/index.ts';

/** One request body, built before the run. */
export interface Payload {
  body: Buffer;
  /** events in the batch */
  events: number;
  /** size before --gzip */
  rawBytes: number;
}

export interface PayloadPlan {
  profile: Profile;
  seed: number | string;
  batch: number;
  gzip: boolean;
  /** distinct full batches to build and cycle through (default 64) */
  pool?: number;
  /** with --events: the total to send, so the last batch may be short */
  maxEvents?: number;
  generator?: GeneratorOptions;
}

export interface PayloadSet {
  /** full batches, cycled: request i sends full[i % full.length] */
  full: Payload[];
  /** the short last batch of an --events run whose total is not a multiple of the batch size */
  tail: Payload | null;
  /** requests to send in an --events run (Infinity otherwise) */
  requestLimit: number;
}

function toPayload(raw: Buffer, events: number, gzip: boolean): Payload {
  return { body: gzip ? gzipSync(raw) : raw, events, rawBytes: raw.length };
}

/** Builds every request body of a run up front: generation and compression never happen inside the send loop. */
export function buildPayloads(plan: PayloadPlan): PayloadSet {
  const gen = makeGenerator(plan.profile, plan.seed, plan.generator);
  const maxEvents = plan.maxEvents ?? Infinity;
  const fullCount = Math.floor(maxEvents / plan.batch);
  const poolSize = Math.max(1, Math.min(plan.pool ?? 64, fullCount));
  const full: Payload[] = [];
  if (fullCount > 0) for (let i = 0; i < poolSize; i++) full.push(toPayload(buildBatch(gen, plan.batch), plan.batch, plan.gzip));
  const rest = Number.isFinite(maxEvents) ? maxEvents - fullCount * plan.batch : 0;
  const tail = rest > 0 ? toPayload(buildBatch(gen, rest), rest, plan.gzip) : null;
  const requestLimit = Number.isFinite(maxEvents) ? fullCount + (tail ? 1 : 0) : Infinity;
  return { full, tail, requestLimit };
}

/** The body of request number i (0-based), or null past the limit. */
export function payloadFor(set: PayloadSet, i: number): Payload | null {
  if (i >= set.requestLimit) return null;
  if (set.tail && i === set.requestLimit - 1) return set.tail;
  return set.full[i % set.full.length];
}
