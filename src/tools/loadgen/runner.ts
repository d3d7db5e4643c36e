import { performance } from 'node:perf_hooks';
import PQueue from 'p-queue';
import { Pool } from 'undici';
import { Accounting, type Snapshot } from './accounting.ts';
import { payloadFor, type Payload, type PayloadSet } from './payloads.ts';
import { ackIdOf, AckTracker, type AckOptions, type AckOutcome } from './acks.ts';

export interface RunOptions {
  /** full URL of the HEC endpoint, path included */
  target: URL;
  token: string;
  /** Host header to send (e.g. a region's ingestor host); null keeps the target's */
  hostHeader?: string | null;
  payloads: PayloadSet;
  gzip: boolean;
  /** open model: arrivals per second; absent: closed model */
  rate?: number;
  connections: number;
  pipelining: number;
  /** stop scheduling after this long (ms) */
  durationMs?: number;
  /** per-request timeout for headers and body (ms) */
  timeoutMs: number;
  /** a request starting later than this after its arrival time counts as late (open model) */
  lateToleranceMs: number;
  /** after the end, how long in-flight requests may take before they are cut off (ms) */
  drainTimeoutMs: number;
  /** aborting stops the run early; it then drains and returns what it has */
  signal?: AbortSignal;
  /** called once a second with the figures so far */
  onTick?: (s: Snapshot) => void;
  /** TLS: skip certificate verification */
  insecure?: boolean;
  /** TLS: extra CA certificates (PEM) */
  ca?: string;
  /** Indexer acknowledgment: send a channel, poll every ackId until true, report ack latency (src/tools/loadgen/acks.ts) */
  ack?: AckOptions;
}

export interface RunOutcome {
  acc: Accounting;
  startedAtMs: number;
  durationSec: number;
  stopReason: 'duration' | 'events' | 'interrupted';
  /** With `ack`: requests acknowledged, pending, and the latency from arrival to ack true. */
  acks?: AckOutcome;
}

const now = () => performance.now();

/** The HEC `code` of a response body, or null when the body is not a HEC reply. */
export function hecCodeOf(text: string): number | null {
  if (text.length === 0 || text.length > 65_536 || text.charCodeAt(0) !== 123 /* { */) return null;
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code;
    return typeof code === 'number' && Number.isInteger(code) ? code : null;
  } catch {
    return null;
  }
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; errors?: unknown[]; cause?: unknown };
  if (typeof e?.code === 'string' && e.code !== '') return e.code;
  if (Array.isArray(e?.errors) && e.errors.length > 0) return errorCode(e.errors[0]);
  if (e?.cause) return errorCode(e.cause);
  return typeof e?.name === 'string' ? e.name : 'UNKNOWN';
}

/**
 * Runs one load test. Closed model: connections × pipelining requests always in flight.
 * Open model: request k arrives at start + k/rate; p-queue holds arrivals that find every
 * slot busy; latency counts from the arrival, not from the late start (coordinated omission).
 */
export async function runLoad(o: RunOptions): Promise<RunOutcome> {
  if (o.durationMs === undefined && !Number.isFinite(o.payloads.requestLimit)) {
    throw new RangeError('a load run needs a duration or an event count: it is always bounded');
  }
  const path = o.target.pathname + o.target.search;
  const headers: Record<string, string> = {
    'authorization': `Splunk ${o.token}`,
    'content-type': 'application/json',
  };
  if (o.gzip) headers['content-encoding'] = 'gzip';
  if (o.hostHeader) headers['host'] = o.hostHeader;
  const connect: Record<string, unknown> = {};
  if (o.target.protocol === 'https:') {
    if (o.insecure) connect.rejectUnauthorized = false;
    if (o.ca) connect.ca = o.ca;
    if (o.hostHeader) connect.servername = o.hostHeader;
  }
  const pool = new Pool(o.target.origin, {
    connections: o.connections,
    pipelining: o.pipelining,
    headersTimeout: o.timeoutMs,
    bodyTimeout: o.timeoutMs,
    keepAliveTimeout: 30_000,
    connect,
  });
  // acks: one channel for the run; its polls share the pool (and count in nothing but the ack figures)
  const tracker = o.ack ? new AckTracker(pool, '/services/collector/ack', headers, o.ack) : null;
  if (tracker) Object.assign(headers, tracker.channelHeader);
  // POST is not idempotent, so undici would never pipeline it; marking it idempotent allows --pipelining.
  const idempotent = o.pipelining > 1;
  const slots = o.connections * o.pipelining;
  const queue = new PQueue({ concurrency: slots });
  const startedAtMs = Date.now();
  const t0 = now();
  const acc = new Accounting(t0, o.lateToleranceMs);
  const deadline = o.durationMs === undefined ? Infinity : t0 + o.durationMs;
  let stopped = false;
  let stopReason: RunOutcome['stopReason'] = 'duration';
  let destroying = false;
  let next = 0;
  let stopDeadlineTimer: NodeJS.Timeout | undefined;
  let wake = () => {};
  const finished = new Promise<void>((resolve) => { wake = resolve; });

  const stop = (reason: RunOutcome['stopReason']) => {
    if (stopped) return;
    stopped = true;
    stopReason = reason;
    if (reason !== 'events') {
      // arrivals still waiting for a connection at the end are dropped, not sent after it
      acc.dropped += queue.size;
      queue.clear();
    }
    wake();
  };
  const onAbort = () => stop('interrupted');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) stop('interrupted');
  if (Number.isFinite(deadline)) stopDeadlineTimer = setTimeout(() => stop('duration'), o.durationMs);

  const ticker = setInterval(() => {
    const s = acc.tick(now());
    o.onTick?.(s);
  }, 1000);

  // undici's dispatch API with a plain handler: no response stream, no promise per chunk; the response
  // body (a HEC reply of a few dozen bytes) is kept only to read its `code`
  let inFlight = 0;
  let onAllDone: (() => void) | null = null;
  const done = () => {
    if (--inFlight === 0 && onAllDone) onAllDone();
  };
  /** Resolves when nothing is queued or in flight. */
  const allDone = async (): Promise<void> => {
    await queue.onIdle();
    if (inFlight > 0) await new Promise<void>((r) => { onAllDone = r; });
    onAllDone = null;
  };
  const send = (p: Payload, intendedAt: number): Promise<void> => new Promise<void>((res) => {
    inFlight++;
    const resolve = () => {
      done();
      res();
    };
    const startedAt = now();
    acc.started(intendedAt, startedAt);
    let status = 0;
    let first: Buffer | null = null;
    let more: Buffer[] | null = null;
    const fail = (err: unknown) => {
      if (destroying) acc.aborted++;
      else acc.transportError(errorCode(err), p.events, p.body.length);
      resolve();
    };
    try {
      pool.dispatch({ path, method: 'POST', headers, body: p.body, idempotent }, {
        // undici takes a handler as the new (controller-based) kind only when it has onRequestStart
        onRequestStart() {},
        onResponseStart(_controller, statusCode) {
          status = statusCode;
        },
        onResponseData(_controller, chunk) {
          if (first === null) first = chunk;
          else (more ??= [first]).push(chunk);
        },
        onResponseEnd() {
          const text = more ? Buffer.concat(more).toString('utf8') : first ? first.toString('utf8') : '';
          acc.response(intendedAt, startedAt, now(), status, hecCodeOf(text), p.events, p.body.length);
          if (tracker && status === 200) {
            const id = ackIdOf(text);
            if (id !== null) tracker.expect(id, intendedAt);
          }
          resolve();
        },
        onResponseError(_controller, err) {
          fail(err);
        },
      });
    } catch (err) {
      fail(err);
    }
  });

  tracker?.start();
  if (o.rate === undefined) {
    // closed model: connections × pipelining request loops; each finished request immediately starts the
    // next. The loops themselves bound the concurrency, so no queue sits in this hot path (p-queue holds the
    // open model's arrivals)
    const loop = (): void => {
      if (stopped) return;
      const p = payloadFor(o.payloads, next);
      if (!p) return stop('events');
      next++;
      void send(p, now()).then(loop);
    };
    for (let i = 0; i < slots && !stopped; i++) loop();
  } else {
    // open model: constant arrival rate, scheduled against the clock (not against completions)
    const gapMs = 1000 / o.rate;
    const schedule = () => {
      if (stopped) return;
      const t = now();
      for (;;) {
        const due = t0 + next * gapMs;
        if (due > t) break;
        if (due >= deadline) return stop('duration');
        const p = payloadFor(o.payloads, next);
        if (!p) return stop('events');
        next++;
        void queue.add(() => send(p, due));
      }
      setTimeout(schedule, Math.max(0, t0 + next * gapMs - now()));
    };
    schedule();
  }

  // scheduling ends at the deadline, the event limit or an abort; then what is in flight drains
  await finished;
  clearTimeout(stopDeadlineTimer);
  o.signal?.removeEventListener('abort', onAbort);
  const drainTimer = new Promise<'timeout'>((r) => { const t = setTimeout(() => r('timeout'), o.drainTimeoutMs); t.unref(); });
  const drained = await Promise.race([allDone().then(() => 'idle' as const), drainTimer]);
  if (drained === 'timeout') {
    destroying = true;
    await pool.destroy().catch(() => undefined);
    await allDone();
  }
  const tEnd = now();
  clearInterval(ticker);
  acc.finish(tEnd);
  // pending acks get the wait after the run (none when the pool was cut off)
  const acks = tracker ? await tracker.finish(destroying ? 0 : undefined) : undefined;
  if (!destroying) await pool.close().catch(() => undefined);
  return { acc, startedAtMs, durationSec: (tEnd - t0) / 1000, stopReason, ...(acks ? { acks } : {}) };
}
