import type { Rng } from './prng.ts';
import type { World } from './world.ts';

/** One Splunk HEC `/services/collector/event` envelope. */
export interface HecEnvelope {
  /** epoch seconds with millisecond decimals */
  time: number;
  host: string;
  source: string;
  sourcetype: string;
  event: Record<string, unknown>;
}

export const PROFILES = ['firewall', 'web-gateway', 'endpoint-sensor', 'email-sensor', 'network-sensor', 'mixed'] as const;
export type Profile = (typeof PROFILES)[number];

/** Makes one event at `timeMs` (epoch milliseconds). */
export type EventMaker = (rng: Rng, world: World, timeMs: number) => HecEnvelope;

export function epochSeconds(timeMs: number): number {
  return Math.round(timeMs) / 1000;
}

export function isoTime(timeMs: number): string {
  return new Date(Math.round(timeMs)).toISOString();
}
