/**
 * Fault model and the pure per-request decision. No I/O: the Fastify plugin (plugin.ts) applies decisions.
 */
import { SchemaError, validateAgainst } from '../../config/schema.ts';

export type LatencySpec =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'normal'; meanMs: number; stddevMs: number };

export type ErrorAnswer = 'busy' | 'throttle' | 'internal';

/** One region's faults (schemas/faults.schema.json). */
export interface FaultSpec {
  latency?: LatencySpec;
  error?: { rate: number; answer: ErrorAnswer; retryAfterSeconds?: number };
  reset?: { rate: number };
  slow?: { rate?: number; bytesPerSecond: number; chunkBytes?: number };
  unreachable?: 'refused' | 'dropped' | null;
  /** Indexer acknowledgment: an indexing delay before a committed request's ack reads true, and a share of acks lost. */
  ack?: { delay?: LatencySpec; lossRate?: number };
  seed?: number;
}

/** The error answers: HTTP status, HEC code and text (hec-protocol.md §4). */
export const ERROR_ANSWERS: Record<ErrorAnswer, { status: number; code: number; text: string }> = {
  busy: { status: 503, code: 9, text: 'Server is busy' },
  throttle: { status: 429, code: 26, text: 'HEC queue is at capacity and cannot process any more requests' },
  internal: { status: 500, code: 8, text: 'Internal server error' },
};

export type FaultAction = 'pass' | 'refuse' | 'drop' | 'reset' | 'error';

export interface FaultDecision {
  action: FaultAction;
  /** Milliseconds to wait before acting (0 for refuse/drop). */
  delayMs: number;
  /** For action 'error'. */
  error: { status: number; code: number; text: string; retryAfterSeconds: number | null } | null;
  /** For action 'pass': trickle the response body. */
  slow: { bytesPerSecond: number; chunkBytes: number } | null;
}

const PASS: FaultDecision = Object.freeze({ action: 'pass', delayMs: 0, error: null, slow: null }) as FaultDecision;

/** A seeded 32-bit PRNG (mulberry32): fast, repeatable, good enough for fault rates. Returns [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws a latency in ms (never negative; normal uses Box-Muller and is clamped at 0). */
export function drawLatency(spec: LatencySpec, rng: () => number): number {
  switch (spec.kind) {
    case 'fixed':
      return spec.ms;
    case 'uniform':
      return spec.minMs + (spec.maxMs - spec.minMs) * rng();
    case 'normal': {
      const u1 = 1 - rng(); // (0, 1]
      const u2 = rng();
      const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      return Math.max(0, spec.meanMs + spec.stddevMs * z);
    }
  }
}

/** True when the spec does nothing. */
export function isEmptySpec(spec: FaultSpec): boolean {
  return !spec.latency && !spec.error && !spec.reset && !spec.slow && !spec.unreachable && !hasAckFaults(spec);
}

/** True when the spec delays or loses acks. */
export function hasAckFaults(spec: FaultSpec): boolean {
  return spec.ack !== undefined && (spec.ack.delay !== undefined || (spec.ack.lossRate ?? 0) > 0);
}

/**
 * What happens to one committed request's ack: lost with probability lossRate (one draw when lossRate is set),
 * else readable after the drawn indexing delay (one draw when delay is set). Draws come from the region's own
 * ack generator, so ack faults do not shift the request faults' sequence of a seed.
 */
export function decideAck(spec: FaultSpec, rng: () => number): { delayMs: number; lost: boolean } {
  const a = spec.ack;
  if (!a) return { delayMs: 0, lost: false };
  if (a.lossRate !== undefined && a.lossRate > 0 && rng() < a.lossRate) return { delayMs: 0, lost: true };
  return { delayMs: a.delay ? drawLatency(a.delay, rng) : 0, lost: false };
}

/**
 * Decides what happens to one request. Draw order is fixed (latency, reset, error, slow; one draw each when
 * configured) so a seed gives the same sequence. unreachable wins over everything and draws nothing.
 */
export function decideFault(spec: FaultSpec, rng: () => number): FaultDecision {
  if (spec.unreachable === 'refused') return { action: 'refuse', delayMs: 0, error: null, slow: null };
  if (spec.unreachable === 'dropped') return { action: 'drop', delayMs: 0, error: null, slow: null };
  if (isEmptySpec(spec)) return PASS;
  const delayMs = spec.latency ? drawLatency(spec.latency, rng) : 0;
  if (spec.reset && rng() < spec.reset.rate) return { action: 'reset', delayMs, error: null, slow: null };
  if (spec.error && rng() < spec.error.rate) {
    const a = ERROR_ANSWERS[spec.error.answer];
    const retryAfter = spec.error.retryAfterSeconds ?? (spec.error.answer === 'throttle' ? 1 : null);
    return { action: 'error', delayMs, error: { ...a, retryAfterSeconds: retryAfter }, slow: null };
  }
  if (spec.slow && rng() < (spec.slow.rate ?? 1)) {
    return { action: 'pass', delayMs, error: null, slow: { bytesPerSecond: spec.slow.bytesPerSecond, chunkBytes: spec.slow.chunkBytes ?? 1 } };
  }
  return { action: 'pass', delayMs, error: null, slow: null };
}

/** Validates a fault document (schema + the rules a schema cannot say); throws SchemaError naming each bad path. */
export function parseFaultSpec(data: unknown, what = 'faults'): FaultSpec {
  const spec = validateAgainst<FaultSpec>('faults', data, what);
  const problems: string[] = [];
  if (spec.latency?.kind === 'uniform' && spec.latency.minMs > spec.latency.maxMs) {
    problems.push(`/latency: minMs (${spec.latency.minMs}) is larger than maxMs (${spec.latency.maxMs})`);
  }
  const d = spec.ack?.delay;
  if (d?.kind === 'uniform' && d.minMs > d.maxMs) problems.push(`/ack/delay: minMs (${d.minMs}) is larger than maxMs (${d.maxMs})`);
  if (problems.length) throw new SchemaError(what, problems);
  return spec;
}
