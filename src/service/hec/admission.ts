import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Gauge, type Registry } from 'prom-client';
import { Transform, type Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Limits } from '../../config/config.ts';
import { SimError } from '../../errors/sim-error.ts';

/**
 * Global memory bounds of the service (issue 13 item 4; docs/reliability.md). Two byte counters live in a
 * SharedArrayBuffer so that the event loop and every ingest worker thread take from the same budget:
 *   WIRE     request bodies as received (compressed or not), from the first byte until the answer;
 *   DECODED  bodies gunzipped and decoded to text, while a request is parsed and classified.
 * A request that would pass either bound gets 503 code 9 at once (before its body is read when it has a
 * Content-Length); so does one past limits.maxQueuedRequests requests admitted and not yet answered.
 */
export const WIRE = 0;
export const DECODED = 1;

export interface BudgetInit {
  cells: SharedArrayBuffer;
  maxWire: number;
  maxDecoded: number;
}

export class Budgets {
  readonly cells: BigInt64Array;
  private readonly max: [bigint, bigint];

  constructor(readonly init: BudgetInit) {
    this.cells = new BigInt64Array(init.cells);
    this.max = [BigInt(init.maxWire), BigInt(init.maxDecoded)];
  }

  static create(limits: Pick<Limits, 'maxInflightBytes' | 'maxInflightDecodedBytes'>): Budgets {
    return new Budgets({ cells: new SharedArrayBuffer(16), maxWire: limits.maxInflightBytes, maxDecoded: limits.maxInflightDecodedBytes });
  }

  /** Takes n bytes of counter i if they fit (atomically, across threads); false when they do not. */
  take(i: number, n: number): boolean {
    const b = BigInt(n);
    const before = Atomics.add(this.cells, i, b);
    if (before + b > this.max[i]) {
      Atomics.sub(this.cells, i, b);
      return false;
    }
    return true;
  }

  give(i: number, n: number): void {
    if (n > 0) Atomics.sub(this.cells, i, BigInt(n));
  }

  used(i: number): number {
    return Number(Atomics.load(this.cells, i));
  }

  limit(i: number): number {
    return Number(this.max[i]);
  }
}

/** One request's share of one counter: taken piece by piece, given back at once. */
export class Hold {
  held = 0;
  constructor(private readonly budgets: Budgets, private readonly counter: number) {}

  /** Takes n more bytes, or throws 503 code 9 (SIM_ERR_HEC_BUSY_MEMORY). */
  take(n: number): void {
    if (!this.budgets.take(this.counter, n)) {
      const what = this.counter === WIRE ? 'request bodies on the wire (limits.maxInflightBytes' : 'decompressed bodies (limits.maxInflightDecodedBytes';
      throw new SimError('SIM_ERR_HEC_BUSY_MEMORY', {
        detail: `${what} ${this.budgets.limit(this.counter)} bytes) are held by other requests; retry later`,
      });
    }
    this.held += n;
  }

  release(): void {
    this.budgets.give(this.counter, this.held);
    if (this.held >= RECLAIM_AFTER_BYTES) reclaimSoon();
    this.held = 0;
  }
}

/** A request that held this much makes the thread collect its garbage soon after (reclaimSoon). */
export const RECLAIM_AFTER_BYTES = 32 * 1024 * 1024;

let gcFn: (() => void) | null | undefined;
let reclaimTimer: NodeJS.Timeout | null = null;

/**
 * A full garbage collection of this thread's heap, 250 ms and 2 s after a big request let go of its memory
 * (debounced: one such pair at a time). A gzip bomb's buffers and its text are garbage once it is answered, but an
 * idle service allocates nothing, so V8 would not collect them and the process kept gigabytes after the load
 * went (issue 13 item 4: "RSS never returned to baseline"). Node exposes gc() only behind --expose-gc; the flag
 * is set at run time and gc taken from a fresh context, once. Buffers of 1 MB and more (zlib's chunks here,
 * the concatenated body, the text) are mmap'ed by malloc, so freeing them gives the memory back to the system.
 */
export function reclaimSoon(): void {
  if (reclaimTimer !== null) return;
  // twice: 250 ms after, and 2 s after (a bomb's zlib stream lets go of its buffers only once its handle has
  // closed, after the first collection; measured: 1.26 GB held 8 s until some allocation collected it)
  reclaimTimer = setTimeout(() => {
    collect();
    reclaimTimer = setTimeout(() => {
      reclaimTimer = null;
      collect();
    }, 1750);
    reclaimTimer.unref();
  }, 250);
  reclaimTimer.unref();
}

function collect(): void {
  if (gcFn === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    } catch {
      gcFn = null;
    }
  }
  gcFn?.();
}

/**
 * Events in a /raw body, counted up to max + 1 (an upper bound of what line breaking makes: one event per
 * non-blank line, LINE_BREAKER ([\r\n]+); merging lines only makes fewer). Throws 413 past max, before any
 * event is built (30 MB of `a\n` is 15.7 million events).
 */
export function checkRawEvents(text: string, max: number): void {
  let n = 0;
  let blank = true;
  for (let i = 0, len = text.length; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) {
      if (!blank && ++n > max) throw tooManyEvents(max, '/raw lines');
      blank = true;
    } else if (blank && c !== 0x20 && c !== 0x09) blank = false;
  }
  if (!blank && ++n > max) throw tooManyEvents(max, '/raw lines');
}

export function tooManyEvents(max: number, what: string): SimError {
  return new SimError('SIM_ERR_HTTP_TOO_MANY_EVENTS', {
    detail: `the request holds more than ${max} events (${what}; limits.maxEventsPerRequest); nothing of it was stored — send smaller batches`,
  });
}

const kAdmitted = Symbol('sim.admitted');

/** Counts a stream's bytes against a Hold as they arrive; fails the stream (503 code 9) past the budget. */
function counted(payload: Readable, hold: Hold): Readable {
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        hold.take(chunk.length);
      } catch (err) {
        cb(err as Error);
        return;
      }
      cb(null, chunk);
    },
  });
  payload.on('error', (err) => t.destroy(err));
  return payload.pipe(t);
}

/**
 * The admission hooks of the HEC routes that take a body (event, raw, ack, other): queue depth, then the
 * body's bytes against the global WIRE budget (a Content-Length is taken whole before reading; a chunked body
 * as it arrives). Everything taken is given back when the answer is sent or the connection goes.
 */
export function registerAdmission(app: FastifyInstance, budgets: Budgets, limits: Pick<Limits, 'maxQueuedRequests' | 'maxBodyBytes'>): { admitted(): number } {
  let admitted = 0;
  app.addHook('preParsing', function admission(req: FastifyRequest, reply: FastifyReply, payload: Readable, done: (err: Error | null, body?: Readable) => void) {
    const kind = req.routeOptions.config.hec;
    if (kind === undefined || kind === 'health') return done(null, payload);
    if (admitted >= limits.maxQueuedRequests) {
      return done(new SimError('SIM_ERR_HEC_BUSY_QUEUE', { detail: `${admitted} requests are already being ingested (limits.maxQueuedRequests ${limits.maxQueuedRequests}); retry later` }));
    }
    const len = Number(req.headers['content-length']);
    // a body that can never fit is Fastify's 413 (limits.maxBodyBytes), not a 503 that asks for a retry
    if (Number.isSafeInteger(len) && len > limits.maxBodyBytes) return done(null, payload);
    const hold = new Hold(budgets, WIRE);
    try {
      if (Number.isSafeInteger(len) && len > 0) hold.take(len);
    } catch (err) {
      return done(err as Error);
    }
    admitted++;
    (req as unknown as Record<symbol, boolean>)[kAdmitted] = true;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      admitted--;
      hold.release();
    };
    reply.raw.once('close', release);
    reply.raw.once('finish', release);
    // a chunked body (no Content-Length) is counted as it comes
    done(null, Number.isSafeInteger(len) && len >= 0 ? payload : counted(payload, hold));
  });
  return { admitted: () => admitted };
}

/** The bounds' state in /metrics: bytes held against each budget and requests admitted. */
export function admissionMetrics(registry: Registry, budgets: Budgets, admitted: () => number): void {
  new Gauge({
    name: 'ingestor_sim_inflight_bytes', help: 'Bytes held by requests: wire (bodies as received) and decoded (gunzipped, text), against limits.maxInflightBytes / maxInflightDecodedBytes',
    labelNames: ['kind'] as const, registers: [registry],
    collect() {
      this.set({ kind: 'wire' }, budgets.used(WIRE));
      this.set({ kind: 'decoded' }, budgets.used(DECODED));
    },
  });
  new Gauge({
    name: 'ingestor_sim_admitted_requests', help: 'HEC requests admitted and not yet answered (limits.maxQueuedRequests)',
    registers: [registry], collect() { this.set(admitted()); },
  });
}
