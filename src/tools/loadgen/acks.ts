/**
 * Indexer acknowledgment in a load run (`load --ack`): every accepted request's `ackId` is polled on
 * POST /services/collector/ack (the run's channel) until it reads true; ack latency is the time from the
 * request's arrival (as the request latency) to the poll answer that first reads it true. Ids still pending
 * when the wait after the run ends are reported as never acknowledged (lost or slower than the wait).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';
import { latencySummary, newHistogram, type Histogram } from './histogram.ts';
import type { LatencyMs } from '../report/types.ts';

export interface AckOptions {
  /** The channel (a GUID) every request of the run names; default: a new random one. */
  channel?: string;
  /** Poll period in ms (default 100). */
  pollMs?: number;
  /** After the run, how long to keep polling for pending acks (ms, default 10 s). */
  waitMs?: number;
  /** The most ids in one poll (default 1000). */
  maxIdsPerPoll?: number;
}

export interface AckOutcome {
  channel: string;
  /** Requests answered 200 with an ackId. */
  requested: number;
  /** Of them, read true. */
  acked: number;
  /** Still false when the wait ended: never acknowledged. */
  pending: number;
  polls: number;
  pollErrors: number;
  /** Request arrival → ack read true. */
  latencyMs: LatencyMs;
}

/** The `ackId` of a HEC success body, or null. */
export function ackIdOf(text: string): number | null {
  if (!text.includes('"ackId"')) return null;
  try {
    const id = (JSON.parse(text) as { ackId?: unknown }).ackId;
    return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null;
  } catch {
    return null;
  }
}

export class AckTracker {
  readonly channel: string;
  readonly latency: Histogram = newHistogram();
  private readonly pending = new Map<number, number>();
  private requested = 0;
  private acked = 0;
  private polls = 0;
  private pollErrors = 0;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private readonly pollMs: number;
  private readonly waitMs: number;
  private readonly maxIds: number;

  constructor(private readonly pool: Pool, private readonly ackPath: string, private readonly headers: Record<string, string>, o: AckOptions = {}) {
    this.channel = o.channel ?? randomUUID();
    this.pollMs = o.pollMs ?? 100;
    this.waitMs = o.waitMs ?? 10_000;
    this.maxIds = o.maxIdsPerPoll ?? 1000;
  }

  /** The request headers that name the channel. */
  get channelHeader(): Record<string, string> {
    return { 'x-splunk-request-channel': this.channel };
  }

  /** Registers an accepted request's ack id, with the request's arrival time (performance.now() ms). */
  expect(ackId: number, arrivedAt: number): void {
    this.requested++;
    this.pending.set(ackId, arrivedAt);
  }

  start(): void {
    const tick = () => {
      this.timer = null;
      this.polling = this.pollOnce().finally(() => {
        this.polling = null;
        if (this.timer === null && !this.stopped) this.timer = setTimeout(tick, this.pollMs);
      });
    };
    this.stopped = false;
    this.timer = setTimeout(tick, this.pollMs);
  }

  private stopped = true;

  /** One poll of up to maxIds pending ids; records the ones that read true. */
  async pollOnce(): Promise<void> {
    if (this.pending.size === 0) return;
    const ids = [...this.pending.keys()].slice(0, this.maxIds);
    this.polls++;
    try {
      const r = await this.pool.request({
        path: this.ackPath, method: 'POST', headers: { ...this.headers, ...this.channelHeader, 'content-type': 'application/json' },
        body: JSON.stringify({ acks: ids }),
      });
      const text = await r.body.text();
      if (r.statusCode !== 200) {
        this.pollErrors++;
        return;
      }
      const acks = (JSON.parse(text) as { acks?: Record<string, boolean> }).acks ?? {};
      const t = performance.now();
      for (const id of ids) {
        if (acks[String(id)] !== true) continue;
        const arrivedAt = this.pending.get(id);
        if (arrivedAt === undefined) continue;
        this.pending.delete(id);
        this.acked++;
        this.latency.recordValue(Math.max(1, Math.round((t - arrivedAt) * 1000)));
      }
    } catch {
      this.pollErrors++;
    }
  }

  /** After the run: polls until nothing is pending or the wait is over; then stops. */
  async finish(waitMs = this.waitMs): Promise<AckOutcome> {
    const end = performance.now() + waitMs;
    while (this.pending.size > 0 && performance.now() < end) {
      if (this.polling) await this.polling;
      else await new Promise((r) => setTimeout(r, Math.min(this.pollMs, Math.max(1, end - performance.now()))));
    }
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.polling) await this.polling;
    return {
      channel: this.channel, requested: this.requested, acked: this.acked, pending: this.pending.size,
      polls: this.polls, pollErrors: this.pollErrors, latencyMs: latencySummary(this.latency),
    };
  }
}
