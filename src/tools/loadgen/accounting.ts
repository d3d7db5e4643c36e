import { decodeHistogram, encodeHistogram, latencySummary, newHistogram, percentileMs, usToMs, type Histogram } from './histogram.ts';
import type { TimelinePoint } from '../report/types.ts';

/** The figures of a run so far; what the progress line shows. */
export interface Snapshot {
  elapsedSec: number;
  requests: number;
  events: number;
  errors: number;
  lateStarts: number;
  /** requests/s over the last interval */
  intervalRequestsPerSec: number;
  intervalEventsPerSec: number;
  /** p99 of the last interval, ms */
  intervalP99Ms: number;
}

/**
 * Counts everything the runner observes. Times are `performance.now()` milliseconds.
 * Status classes, HEC codes and transport errors are kept apart (autocannon's habit);
 * latency goes to HDR histograms in µs. Null-prototype records keep the counters cheap.
 */
export class Accounting {
  readonly latency: Histogram = newHistogram();
  readonly service: Histogram = newHistogram();
  private interval: Histogram = newHistogram();
  requests = 0;
  requestsOk = 0;
  events = 0;
  eventsSent = 0;
  bytesSent = 0;
  errors = 0;
  readonly errorsByStatus: Record<string, number> = Object.create(null);
  readonly errorsByHecCode: Record<string, number> = Object.create(null);
  readonly errorsByTransport: Record<string, number> = Object.create(null);
  readonly statusCodes: Record<string, number> = Object.create(null);
  readonly hecCodes: Record<string, number> = Object.create(null);
  lateStarts = 0;
  maxStartDelayMs = 0;
  dropped = 0;
  aborted = 0;
  readonly timeline: TimelinePoint[] = [];
  private intervalRequests = 0;
  private intervalEvents = 0;
  private intervalErrors = 0;
  private lastTickAt: number;
  private lastSnapshot: Snapshot;

  constructor(readonly startedAt: number, readonly lateToleranceMs: number) {
    this.lastTickAt = startedAt;
    this.lastSnapshot = { elapsedSec: 0, requests: 0, events: 0, errors: 0, lateStarts: 0, intervalRequestsPerSec: 0, intervalEventsPerSec: 0, intervalP99Ms: 0 };
  }

  /** Called when a request actually starts; returns true when it started late. */
  started(intendedAt: number, startedAt: number): boolean {
    const delay = startedAt - intendedAt;
    if (delay > this.maxStartDelayMs) this.maxStartDelayMs = delay;
    if (delay > this.lateToleranceMs) {
      this.lateStarts++;
      return true;
    }
    return false;
  }

  /** A response arrived (any status). `hecCode` is the body's `code` or null when there was none. */
  response(intendedAt: number, startedAt: number, endedAt: number, status: number, hecCode: number | null, events: number, bytes: number): void {
    this.requests++;
    this.intervalRequests++;
    this.eventsSent += events;
    this.bytesSent += bytes;
    const latencyUs = Math.max(1, Math.round((endedAt - intendedAt) * 1000));
    this.latency.recordValue(latencyUs);
    this.interval.recordValue(latencyUs);
    this.service.recordValue(Math.max(1, Math.round((endedAt - startedAt) * 1000)));
    const s = String(status);
    this.statusCodes[s] = (this.statusCodes[s] ?? 0) + 1;
    if (hecCode !== null) {
      const c = String(hecCode);
      this.hecCodes[c] = (this.hecCodes[c] ?? 0) + 1;
      if (hecCode !== 0) this.errorsByHecCode[c] = (this.errorsByHecCode[c] ?? 0) + 1;
    }
    if (status >= 200 && status < 300) {
      this.requestsOk++;
      this.events += events;
      this.intervalEvents += events;
    } else {
      this.errors++;
      this.intervalErrors++;
      this.errorsByStatus[s] = (this.errorsByStatus[s] ?? 0) + 1;
    }
  }

  /** A request failed without a response (refused, reset, timeout, ...). */
  transportError(code: string, events: number, bytes: number): void {
    this.requests++;
    this.intervalRequests++;
    this.eventsSent += events;
    this.bytesSent += bytes;
    this.errors++;
    this.intervalErrors++;
    this.errorsByTransport[code] = (this.errorsByTransport[code] ?? 0) + 1;
  }

  /** Closes the current interval (normally once a second) and appends it to the timeline. */
  tick(now: number): Snapshot {
    const seconds = (now - this.lastTickAt) / 1000;
    if (seconds <= 0) return this.lastSnapshot;
    const h = this.interval;
    this.timeline.push({
      t: Math.round(((now - this.startedAt) / 1000) * 1000) / 1000,
      requests: this.intervalRequests,
      events: this.intervalEvents,
      errors: this.intervalErrors,
      p50Ms: percentileMs(h, 50),
      p99Ms: percentileMs(h, 99),
      maxMs: h.totalCount ? usToMs(h.maxValue) : 0,
      histogram: encodeHistogram(h),
    });
    this.lastSnapshot = {
      elapsedSec: (now - this.startedAt) / 1000,
      requests: this.requests,
      events: this.events,
      errors: this.errors,
      lateStarts: this.lateStarts,
      intervalRequestsPerSec: this.intervalRequests / seconds,
      intervalEventsPerSec: this.intervalEvents / seconds,
      intervalP99Ms: percentileMs(h, 99),
    };
    this.interval = newHistogram();
    this.intervalRequests = 0;
    this.intervalEvents = 0;
    this.intervalErrors = 0;
    this.lastTickAt = now;
    return this.lastSnapshot;
  }

  /**
   * Closes the run's last interval. A stub shorter than `minMs` (the drain after the last full second) is
   * folded into the previous point, so the timeline shows no spike from dividing by a tiny interval.
   */
  finish(now: number, minMs = 250): void {
    const last = this.timeline.at(-1);
    if (!last || now - this.lastTickAt >= minMs) {
      if (this.intervalRequests > 0 || !last) this.tick(now);
      return;
    }
    if (this.intervalRequests === 0) return;
    const h = decodeHistogram(last.histogram);
    h.add(this.interval);
    last.t = Math.round(((now - this.startedAt) / 1000) * 1000) / 1000;
    last.requests += this.intervalRequests;
    last.events += this.intervalEvents;
    last.errors += this.intervalErrors;
    last.p50Ms = percentileMs(h, 50);
    last.p99Ms = percentileMs(h, 99);
    last.maxMs = usToMs(h.maxValue);
    last.histogram = encodeHistogram(h);
    this.interval = newHistogram();
    this.intervalRequests = 0;
    this.intervalEvents = 0;
    this.intervalErrors = 0;
    this.lastTickAt = now;
  }

  latencySummary() {
    return latencySummary(this.latency);
  }
}
