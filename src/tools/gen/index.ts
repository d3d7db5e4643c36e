import { Rng, seedFrom } from './prng.ts';
import { buildWorld, type World } from './world.ts';
import { PROFILES, type EventMaker, type HecEnvelope, type Profile } from './types.ts';
import { firewallEvent } from './profiles/firewall.ts';
import { webGatewayEvent } from './profiles/web-gateway.ts';
import { endpointSensorEvent } from './profiles/endpoint-sensor.ts';
import { emailSensorEvent } from './profiles/email-sensor.ts';
import { networkSensorEvent } from './profiles/network-sensor.ts';

export { PROFILES, Rng, seedFrom };
export type { HecEnvelope, Profile, World };

/** 2026-01-01T00:00:00Z: the default first event time, fixed so that a seed alone reproduces every byte. */
export const DEFAULT_START_TIME_MS = Date.UTC(2026, 0, 1);

const MAKERS: Record<Exclude<Profile, 'mixed'>, EventMaker> = {
  'firewall': firewallEvent,
  'web-gateway': webGatewayEvent,
  'endpoint-sensor': endpointSensorEvent,
  'email-sensor': emailSensorEvent,
  'network-sensor': networkSensorEvent,
};
/** The share of each source in `mixed`: a site's firewall and proxy are the loudest, sensors follow. */
const MIXED = ['firewall', 'web-gateway', 'endpoint-sensor', 'email-sensor', 'network-sensor'] as const;
const MIXED_WEIGHTS = [35, 25, 20, 8, 12];

export interface GeneratorOptions {
  /** Epoch ms of the first event (default DEFAULT_START_TIME_MS). */
  startTimeMs?: number;
  /** Mean simulated event rate that spaces event times (default 200/s); it does not pace anything. */
  simulatedEventsPerSec?: number;
}

export interface EventGenerator {
  readonly profile: Profile;
  readonly seed: number;
  /** The next envelope; the sequence depends only on (profile, seed, options). */
  next(): HecEnvelope;
}

export function isProfile(x: string): x is Profile {
  return (PROFILES as readonly string[]).includes(x);
}

/** A reproducible event generator: the same (profile, seed, options) yields the same events in the same order. */
export function makeGenerator(profile: Profile, seed: number | string = 1, options: GeneratorOptions = {}): EventGenerator {
  if (!isProfile(profile)) throw new RangeError(`unknown profile '${String(profile)}' (one of: ${PROFILES.join(', ')})`);
  const numericSeed = seedFrom(seed);
  const rng = new Rng(numericSeed);
  const world = buildWorld(new Rng((numericSeed ^ 0x9e3779b9) >>> 0));
  const startTimeMs = options.startTimeMs ?? DEFAULT_START_TIME_MS;
  if (!Number.isFinite(startTimeMs) || startTimeMs < 0) throw new RangeError(`startTimeMs must be a non-negative number, got ${startTimeMs}`);
  const rate = options.simulatedEventsPerSec ?? 200;
  if (!(rate > 0)) throw new RangeError(`simulatedEventsPerSec must be > 0, got ${rate}`);
  const meanGapMs = 1000 / rate;
  let t = startTimeMs;
  return {
    profile,
    seed: numericSeed,
    next(): HecEnvelope {
      // exponential gaps (Poisson arrivals), at least 1 ms apart so times stay distinct-ish and ordered
      t += Math.max(1, Math.round(-Math.log(1 - rng.next()) * meanGapMs));
      const maker = profile === 'mixed' ? MAKERS[rng.weighted(MIXED, MIXED_WEIGHTS)] : MAKERS[profile];
      return maker(rng, world, t);
    },
  };
}

/** `n` envelopes from `gen`, newline-separated (the batch form HEC `/services/collector/event` takes). */
export function buildBatch(gen: EventGenerator, n: number): Buffer {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`batch size must be a positive integer, got ${n}`);
  const lines = new Array<string>(n);
  for (let i = 0; i < n; i++) lines[i] = JSON.stringify(gen.next());
  return Buffer.from(lines.join('\n'), 'utf8');
}
