/** Latency figures in milliseconds (HDR histogram, 3 significant digits). */
export interface LatencyMs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  min: number;
  mean: number;
}

/** One interval (normally one second) of the run. */
export interface TimelinePoint {
  /** seconds since the run started, at the end of the interval */
  t: number;
  requests: number;
  events: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** the interval's latency histogram (µs), hdr-histogram compressed base64; '' when empty */
  histogram: string;
}

/** Where a merged report's parts came from. */
export interface ReportSource {
  file?: string;
  target: string;
  startedAt: string;
  requests: number;
  events: number;
}

export const REPORT_KIND = 'ingestor-sim/load-report';
export const REPORT_VERSION = 1;

/** What `ingestor-sim load --json FILE` writes and `report merge` reads (schemas/load-report.schema.json). */
export interface LoadReport {
  kind: typeof REPORT_KIND;
  version: typeof REPORT_VERSION;
  target: string;
  hostHeader: string | null;
  region: string | null;
  profile: string;
  seed: number;
  batch: number;
  gzip: boolean;
  model: 'open' | 'closed';
  /** open model: the arrival rate in requests/s; closed: null */
  rate: number | null;
  connections: number;
  pipelining: number;
  startedAt: string;
  startedAtMs: number;
  durationSec: number;
  stopReason: 'duration' | 'events' | 'interrupted' | 'merged';
  /** completed requests (a response or a transport error) */
  requests: number;
  /** requests answered 2xx */
  requestsOk: number;
  /** events in requests answered 2xx */
  events: number;
  /** events in every completed request */
  eventsSent: number;
  /** request body bytes on the wire (after --gzip) of completed requests */
  bytesSent: number;
  /** requests that failed: non-2xx status or a transport error */
  errors: number;
  errorsByStatus: Record<string, number>;
  /** non-zero HEC `code` values in responses */
  errorsByHecCode: Record<string, number>;
  /** transport failures by error code (ECONNREFUSED, UND_ERR_SOCKET, ...) */
  errorsByTransport: Record<string, number>;
  statusCodes: Record<string, number>;
  hecCodes: Record<string, number>;
  /** open model: requests that started later than their arrival time plus the tolerance */
  lateStarts: number;
  lateToleranceMs: number;
  maxStartDelayMs: number;
  /** open model: arrivals still waiting for a connection when the run ended (never sent) */
  dropped: number;
  /** in-flight requests cut off at the end of the drain period */
  aborted: number;
  requestsPerSec: number;
  eventsPerSec: number;
  /** MB (10^6 bytes) of request bodies per second */
  mbPerSec: number;
  /** latency from the intended start (open model: coordinated-omission corrected) */
  latencyMs: LatencyMs;
  /** time from the actual start to the end of the response */
  serviceTimeMs: LatencyMs;
  /** latency histogram in µs, hdr-histogram-js encodeIntoCompressedBase64 */
  histogram: string;
  serviceHistogram: string;
  histogramUnit: 'us';
  timeline: TimelinePoint[];
  /** `load --ack`: requests acknowledged, still pending at the end, and arrival → ack true latency. */
  acks?: { channel: string; requested: number; acked: number; pending: number; polls: number; pollErrors: number; latencyMs: LatencyMs };
  /** set by `report merge` */
  sources?: ReportSource[];
}
