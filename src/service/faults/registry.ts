import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import { SchemaError } from '../../config/schema.ts';
import { SimError } from '../../errors/sim-error.ts';
import { decideAck, decideFault, hasAckFaults, isEmptySpec, mulberry32, parseFaultSpec, type FaultDecision, type FaultSpec } from './model.ts';

interface Entry {
  spec: FaultSpec;
  rng: () => number;
  /** Draws of ack faults (delay, loss): their own sequence from the same seed. */
  ackRng: () => number;
  /** Acks decided: delayed (delay > 0) and lost. */
  acks: { decided: number; delayed: number; lost: number };
  /** The seed in use (the spec's, or a random one), reported by GET so a run can be repeated. */
  seed: number;
  decisions: number;
}


/**
 * Faults per region, changeable at run time. Emits 'change' (region, spec) after set/clear, so listeners
 * (e.g. a region port's connection guard) can react.
 */
export class FaultRegistry extends EventEmitter {
  readonly #entries = new Map<string, Entry>();
  readonly #regions: readonly string[];

  /** `initial`: region → fault document (a config file's `faults`); validated here (SchemaError naming the path). */
  constructor(regions: readonly string[], initial: Record<string, unknown> | undefined = {}) {
    super();
    this.#regions = [...regions];
    for (const [region, doc] of Object.entries(initial ?? {})) {
      if (!this.#regions.includes(region)) {
        throw new SchemaError('config', [`/faults/${region}: '${region}' is not a served region (${this.#regions.join(', ')})`]);
      }
      this.set(region, parseFaultSpec(doc, `config /faults/${region}`));
    }
  }

  get regions(): readonly string[] {
    return this.#regions;
  }

  #check(region: string): void {
    if (!this.#regions.includes(region)) {
      throw new SimError('SIM_ERR_ADMIN_UNKNOWN_REGION', { detail: `'${region}' is not a served region (${this.#regions.join(', ')})` });
    }
  }

  /** Replaces a region's faults (already validated: use parseFaultSpec on untrusted input). */
  set(region: string, spec: FaultSpec): void {
    this.#check(region);
    if (isEmptySpec(spec)) {
      this.#entries.delete(region);
    } else {
      const seed = spec.seed ?? randomInt(0, 2 ** 32);
      this.#entries.set(region, { spec, rng: mulberry32(seed), ackRng: mulberry32(seed ^ 0x9e3779b9), seed, decisions: 0, acks: { decided: 0, delayed: 0, lost: 0 } });
    }
    this.emit('change', region, this.get(region));
  }

  clear(region: string): void {
    this.set(region, {});
  }

  /** The region's faults ({} when none). */
  get(region: string): FaultSpec {
    this.#check(region);
    return this.#entries.get(region)?.spec ?? {};
  }

  /** What GET /admin/v1/regions/:region/faults shows. */
  view(region: string): { region: string; faults: FaultSpec; seed: number | null; decisions: number; acks: { decided: number; delayed: number; lost: number } } {
    this.#check(region);
    const e = this.#entries.get(region);
    return { region, faults: e?.spec ?? {}, seed: e?.seed ?? null, decisions: e?.decisions ?? 0, acks: { ...(e?.acks ?? { decided: 0, delayed: 0, lost: 0 }) } };
  }

  /** The indexing delay and loss of one committed request's ack in `region` (none when it has no ack faults). */
  ackFate(region: string): { delayMs: number; lost: boolean } {
    const e = this.#entries.get(region);
    if (!e || !hasAckFaults(e.spec)) return { delayMs: 0, lost: false };
    const f = decideAck(e.spec, e.ackRng);
    e.acks.decided++;
    if (f.lost) e.acks.lost++;
    else if (f.delayMs > 0) e.acks.delayed++;
    return f;
  }

  unreachable(region: string): 'refused' | 'dropped' | null {
    return this.#entries.get(region)?.spec.unreachable ?? null;
  }

  /** True when some region has faults (the hooks skip all work otherwise). */
  get active(): boolean {
    return this.#entries.size > 0;
  }

  /** Decides for one request of `region`; null when the region has no faults. */
  decide(region: string): FaultDecision | null {
    const e = this.#entries.get(region);
    if (!e) return null;
    e.decisions++;
    return decideFault(e.spec, e.rng);
  }
}
