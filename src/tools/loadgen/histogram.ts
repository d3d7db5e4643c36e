import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import type { LatencyMs } from '../report/types.ts';

export type { Histogram };

/** Latency histograms record microseconds: 1 µs to 1 hour at 3 significant digits, growing if needed. */
export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

export function encodeHistogram(h: Histogram): string {
  return h.totalCount === 0 ? '' : hdr.encodeIntoCompressedBase64(h);
}

/** Decodes a histogram written by encodeHistogram ('' is an empty histogram). Throws on garbage. */
export function decodeHistogram(base64: string): Histogram {
  const out = newHistogram();
  if (base64 === '') return out;
  out.add(hdr.decodeFromCompressedBase64(base64));
  return out;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
/** µs → ms with 3 decimals. */
export const usToMs = (us: number) => round3(us / 1000);

/** The value at percentile p in ms, never above the largest value recorded (a percentile reads the top of its bucket). */
export function percentileMs(h: Histogram, p: number): number {
  return h.totalCount === 0 ? 0 : usToMs(Math.min(h.getValueAtPercentile(p), h.maxValue));
}

export function latencySummary(h: Histogram): LatencyMs {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, min: 0, mean: 0 };
  const at = (p: number) => percentileMs(h, p);
  return {
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: usToMs(h.maxValue),
    min: usToMs(h.minNonZeroValue),
    mean: usToMs(h.mean),
  };
}
